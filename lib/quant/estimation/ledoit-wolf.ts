import type { Matrix } from "../linalg.js";

export interface LedoitWolfOptions {
  /** Periods per year (default 252). */
  readonly annualization?: number;
}

export interface ShrunkCovariance {
  /** (1 − δ)·S + δ·F, annualized. */
  readonly covariance: number[][];
  /** Shrinkage intensity δ in [0, 1]. */
  readonly shrinkage: number;
  /** Target F = ν·I with ν = trace(S)/N (annualized). */
  readonly target: number;
}

/**
 * Ledoit-Wolf (2004, "A well-conditioned estimator for large-dimensional covariance matrices")
 * shrinkage of the sample covariance toward a scaled identity, on rows without NaN.
 *
 * With demeaned rows xₜ, S = Σ xₜxₜ'/T, ν = tr(S)/N, d² = ‖S − νI‖², b̄² = (1/T²)Σ‖xₜxₜ' − S‖²,
 * b² = min(b̄², d²), δ = b²/d² (Frobenius norms divided by N). The returned covariance uses the
 * same 1/T normalization as the estimator, times `annualization`. δ is clamped to [0, 1] and is 1
 * when d² = 0. Fewer than two complete rows: δ = 1 on a NaN target (all-NaN result).
 */
export function ledoitWolf(returns: Matrix, opts: LedoitWolfOptions = {}): ShrunkCovariance {
  const annualization = opts.annualization ?? 252;
  const n = returns[0]?.length ?? 0;
  const rows = returns.filter((r) => r.every((v) => !Number.isNaN(v)));
  const t = rows.length;
  if (t < 2 || n === 0) {
    return {
      covariance: Array.from({ length: n }, () => new Array<number>(n).fill(Number.NaN)),
      shrinkage: 1,
      target: Number.NaN,
    };
  }
  const mean = new Array<number>(n).fill(0);
  for (const r of rows) for (let j = 0; j < n; j++) mean[j]! += r[j]! / t;
  const x = rows.map((r) => Float64Array.from(r, (v, j) => v - mean[j]!));
  const s: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let k = i; k < n; k++) {
      let acc = 0;
      for (const xt of x) acc += xt[i]! * xt[k]!;
      s[i]![k] = acc / t;
      s[k]![i] = acc / t;
    }
  }
  let nu = 0;
  for (let i = 0; i < n; i++) nu += s[i]![i]! / n;
  let d2 = 0;
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) d2 += (s[i]![k]! - (i === k ? nu : 0)) ** 2;
  d2 /= n;
  // Σₜ ‖xₜxₜ' − S‖² = Σₜ (‖xₜ‖²)² − T‖S‖²  (since Σₜ xₜxₜ' = T·S)
  let sumSq = 0;
  for (const xt of x) {
    let nrm = 0;
    for (let j = 0; j < n; j++) nrm += xt[j]! * xt[j]!;
    sumSq += nrm * nrm;
  }
  let sNorm = 0;
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) sNorm += s[i]![k]! ** 2;
  const bBar2 = Math.max(0, (sumSq - t * sNorm) / n / (t * t));
  const b2 = Math.min(bBar2, d2);
  const shrinkage = d2 > 0 ? Math.min(1, Math.max(0, b2 / d2)) : 1;
  const covariance = s.map((row, i) =>
    row.map((v, k) => ((1 - shrinkage) * v + (i === k ? shrinkage * nu : 0)) * annualization),
  );
  return { covariance, shrinkage, target: nu * annualization };
}
