/**
 * Returns from prices. Prices are T x N rows (one row per date, one column per asset);
 * missing or non-positive prices are NaN and yield NaN returns (the covariance estimators treat NaN
 * as missing).
 */
import type { Matrix } from "../linalg.js";

function returnsOf(prices: Matrix, f: (prev: number, cur: number) => number): number[][] {
  const out: number[][] = [];
  for (let t = 1; t < prices.length; t++) {
    const prev = prices[t - 1]!;
    const cur = prices[t]!;
    const row = new Array<number>(cur.length);
    for (let j = 0; j < cur.length; j++) {
      const a = prev[j]!;
      const b = cur[j]!;
      row[j] = a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b) ? f(a, b) : Number.NaN;
    }
    out.push(row);
  }
  return out;
}

/** Simple returns pₜ/pₜ₋₁ − 1, (T−1) x N. */
export function simpleReturns(prices: Matrix): number[][] {
  return returnsOf(prices, (a, b) => b / a - 1);
}

/** Log returns ln(pₜ/pₜ₋₁), (T−1) x N. */
export function logReturns(prices: Matrix): number[][] {
  return returnsOf(prices, (a, b) => Math.log(b / a));
}

/** Column means ignoring NaN, times `annualization` (default 1). NaN for an all-missing column. */
export function meanReturns(returns: Matrix, annualization = 1): number[] {
  const n = returns[0]?.length ?? 0;
  const sums = new Array<number>(n).fill(0);
  const counts = new Array<number>(n).fill(0);
  for (const row of returns) {
    for (let j = 0; j < n; j++) {
      const v = row[j]!;
      if (!Number.isNaN(v)) {
        sums[j]! += v;
        counts[j]! += 1;
      }
    }
  }
  return sums.map((s, j) => (counts[j]! > 0 ? (s / counts[j]!) * annualization : Number.NaN));
}

/** Portfolio return series r·w per row; a NaN asset return counts as 0 (documented convention). */
export function portfolioReturns(returns: Matrix, weights: readonly number[]): number[] {
  return returns.map((row) => {
    let s = 0;
    for (let j = 0; j < weights.length; j++) {
      const v = row[j]!;
      if (!Number.isNaN(v)) s += v * weights[j]!;
    }
    return s;
  });
}
