import type { Matrix } from "../linalg.js";

export interface EwmaOptions {
  /** Decay per period λ in (0, 1) (default 0.94, RiskMetrics daily). Ignored if halfLife is set. */
  readonly lambda?: number;
  /** Half-life in periods; sets λ = 2^(−1/halfLife). */
  readonly halfLife?: number;
  /** Periods per year (default 252). */
  readonly annualization?: number;
  /** Subtract the EWMA mean (default false: zero-mean returns, the RiskMetrics convention). */
  readonly demean?: boolean;
}

/**
 * Exponentially weighted covariance of a T x N returns matrix (last row = most recent):
 * Σ = Σₜ wₜ (rₜ − m)(rₜ − m)' / Σₜ wₜ with wₜ = λ^(T−1−t), over rows without NaN (rows with any
 * NaN are skipped and do not advance the decay), annualized. NaN matrix if no complete row.
 */
export function ewmaCovariance(returns: Matrix, opts: EwmaOptions = {}): number[][] {
  const lambda = opts.halfLife !== undefined ? 2 ** (-1 / opts.halfLife) : (opts.lambda ?? 0.94);
  const annualization = opts.annualization ?? 252;
  const n = returns[0]?.length ?? 0;
  const rows = returns.filter((r) => r.every((v) => !Number.isNaN(v)));
  const out: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(Number.NaN));
  if (rows.length === 0 || !(lambda > 0 && lambda < 1)) return out;
  const t = rows.length;
  const weights = rows.map((_, i) => lambda ** (t - 1 - i));
  const wsum = weights.reduce((s, v) => s + v, 0);
  const mean = new Array<number>(n).fill(0);
  if (opts.demean) {
    for (let r = 0; r < t; r++) for (let j = 0; j < n; j++) mean[j]! += (weights[r]! * rows[r]![j]!) / wsum;
  }
  for (let i = 0; i < n; i++) {
    for (let k = i; k < n; k++) {
      let s = 0;
      for (let r = 0; r < t; r++) s += weights[r]! * (rows[r]![i]! - mean[i]!) * (rows[r]![k]! - mean[k]!);
      const v = (s / wsum) * annualization;
      out[i]![k] = v;
      out[k]![i] = v;
    }
  }
  return out;
}
