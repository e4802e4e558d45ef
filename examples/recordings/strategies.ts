/**
 * Signal generators computed from the real closes: cross-sectional momentum (12-1), short-term
 * reversal (5 day) and a time-series mean-reversion z-score (20 day). Each reads closes up to and
 * including day `t` (the previous close when the signal is emitted on day t+1).
 */
import type { Direction } from "../../lib/events/common.js";

export interface RawSignal {
  readonly instrument: number;
  readonly direction: Exclude<Direction, "flat">;
  /** The strategy's own score (a z-score); its sign is the direction. */
  readonly score: number;
  readonly expectedReturn: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) * (b - m), 0) / Math.max(1, xs.length - 1));
};

/** Cross-sectional z-scores of `values` (0 when they are all equal). */
export function crossSectionalZ(values: readonly number[]): number[] {
  const m = mean(values);
  const s = sd(values);
  return values.map((v) => (s > 0 ? (v - m) / s : 0));
}

/** Indices of the `k` largest and `k` smallest values (ties by index, for determinism). */
export function extremes(values: readonly number[], k: number): { top: number[]; bottom: number[] } {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => b.v - a.v || a.i - b.i);
  return { top: order.slice(0, k).map((o) => o.i), bottom: order.slice(-k).map((o) => o.i) };
}

/** Momentum 12-1: return from t-252 to t-21; long the top k, short the bottom k of the universe. */
export function momentum121(closes: readonly (readonly number[])[], t: number, universe: readonly number[], k: number) {
  const rets = universe.map((i) => closes[t - 21]![i]! / closes[t - 252]![i]! - 1);
  const z = crossSectionalZ(rets);
  const { top, bottom } = extremes(z, k);
  const out: RawSignal[] = [];
  for (const j of top) out.push({ instrument: universe[j]!, direction: "long", score: z[j]!, expectedReturn: 0.004 * z[j]! });
  for (const j of bottom) {
    out.push({ instrument: universe[j]!, direction: "short", score: z[j]!, expectedReturn: 0.004 * z[j]! });
  }
  return out;
}

/** Short-term reversal: last 5-day return; long the k worst losers, short the k best winners. */
export function reversal5d(closes: readonly (readonly number[])[], t: number, universe: readonly number[], k: number) {
  const rets = universe.map((i) => closes[t]![i]! / closes[t - 5]![i]! - 1);
  const z = crossSectionalZ(rets);
  const { top, bottom } = extremes(z, k);
  const out: RawSignal[] = [];
  for (const j of bottom) {
    out.push({ instrument: universe[j]!, direction: "long", score: -z[j]!, expectedReturn: -0.25 * rets[j]! });
  }
  for (const j of top) {
    out.push({ instrument: universe[j]!, direction: "short", score: -z[j]!, expectedReturn: -0.25 * rets[j]! });
  }
  return out;
}

/** Mean reversion: z = (close - 20d mean) / 20d sd; a signal against the move when |z| > threshold. */
export function zscore20d(
  closes: readonly (readonly number[])[],
  t: number,
  universe: readonly number[],
  threshold: number,
): RawSignal[] {
  const out: RawSignal[] = [];
  for (const i of universe) {
    const window: number[] = [];
    for (let s = t - 19; s <= t; s++) window.push(closes[s]![i]!);
    const m = mean(window);
    const s = sd(window);
    const p = closes[t]![i]!;
    if (s <= 0) continue;
    const z = (p - m) / s;
    if (Math.abs(z) <= threshold) continue;
    out.push({
      instrument: i,
      direction: z > 0 ? "short" : "long",
      score: -z,
      expectedReturn: (0.5 * (m - p)) / p,
    });
  }
  return out;
}

/** Annualized volatility of the last `n` daily log returns ending at day t. */
export function realizedVol(closes: readonly (readonly number[])[], t: number, i: number, n: number): number {
  const r: number[] = [];
  for (let s = t - n + 1; s <= t; s++) r.push(Math.log(closes[s]![i]! / closes[s - 1]![i]!));
  return sd(r) * Math.sqrt(252);
}

/** Sample correlation matrix and annualized vols of daily simple returns over (t-n, t]. */
export function correlationOf(closes: readonly (readonly number[])[], t: number, n: number, count: number) {
  const rets: number[][] = [];
  for (let i = 0; i < count; i++) {
    const r: number[] = [];
    for (let s = t - n + 1; s <= t; s++) r.push(closes[s]![i]! / closes[s - 1]![i]! - 1);
    rets.push(r);
  }
  const means = rets.map(mean);
  const sds = rets.map(sd);
  const corr: number[][] = [];
  for (let i = 0; i < count; i++) {
    const row: number[] = [];
    for (let j = 0; j < count; j++) {
      if (i === j) row.push(1);
      else if (j < i) row.push(corr[j]![i]!);
      else {
        let c = 0;
        for (let s = 0; s < n; s++) c += (rets[i]![s]! - means[i]!) * (rets[j]![s]! - means[j]!);
        c /= n - 1;
        row.push(Math.round((c / (sds[i]! * sds[j]!)) * 1e6) / 1e6);
      }
    }
    corr.push(row);
  }
  return { correlations: corr, volatilities: sds.map((s) => s * Math.sqrt(252)), meanDaily: means };
}
