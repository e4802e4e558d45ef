import type { Matrix } from "../linalg.js";

export interface CovarianceOptions {
  /** Periods per year; the sample covariance is multiplied by it (default 252; 1 = per period). */
  readonly annualization?: number;
  /**
   * Missing values (NaN): "pairwise" (default) estimates each pair on the rows where both are
   * present (each with its own means); "complete" keeps only rows with no NaN at all.
   */
  readonly missing?: "pairwise" | "complete";
}

/**
 * Sample covariance (ddof 1) of a T x N returns matrix, annualized. Under "pairwise", an entry with
 * fewer than two overlapping rows is NaN (not estimable); the result can then also fail to be
 * positive semidefinite, as usual for pairwise estimates. Under "complete", fewer than two complete
 * rows gives an all-NaN matrix.
 */
export function covarianceMatrix(returns: Matrix, opts: CovarianceOptions = {}): number[][] {
  const annualization = opts.annualization ?? 252;
  const missing = opts.missing ?? "pairwise";
  const n = returns[0]?.length ?? 0;
  const out: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(Number.NaN));
  if (missing === "complete") {
    const rows = returns.filter((r) => r.every((v) => !Number.isNaN(v)));
    const t = rows.length;
    if (t < 2) return out;
    const mean = new Array<number>(n).fill(0);
    for (const r of rows) for (let j = 0; j < n; j++) mean[j]! += r[j]! / t;
    const centered = rows.map((r) => r.map((v, j) => v - mean[j]!));
    for (let i = 0; i < n; i++) {
      for (let k = i; k < n; k++) {
        let s = 0;
        for (const r of centered) s += r[i]! * r[k]!;
        const v = (s / (t - 1)) * annualization;
        out[i]![k] = v;
        out[k]![i] = v;
      }
    }
    return out;
  }
  const allPresent = returns.every((r) => r.every((v) => !Number.isNaN(v)));
  if (allPresent) return covarianceMatrix(returns, { annualization, missing: "complete" });
  for (let i = 0; i < n; i++) {
    for (let k = i; k < n; k++) {
      let cnt = 0;
      let si = 0;
      let sk = 0;
      for (const r of returns) {
        const a = r[i]!;
        const b = r[k]!;
        if (!Number.isNaN(a) && !Number.isNaN(b)) {
          cnt++;
          si += a;
          sk += b;
        }
      }
      if (cnt < 2) continue;
      const mi = si / cnt;
      const mk = sk / cnt;
      let s = 0;
      for (const r of returns) {
        const a = r[i]!;
        const b = r[k]!;
        if (!Number.isNaN(a) && !Number.isNaN(b)) s += (a - mi) * (b - mk);
      }
      const v = (s / (cnt - 1)) * annualization;
      out[i]![k] = v;
      out[k]![i] = v;
    }
  }
  return out;
}
