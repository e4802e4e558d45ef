import type { Matrix } from "../linalg.js";

/** Σᵢⱼ = ρᵢⱼ·σᵢ·σⱼ. */
export function correlationToCovariance(corr: Matrix, vols: readonly number[]): number[][] {
  return corr.map((row, i) => row.map((rho, j) => rho * vols[i]! * vols[j]!));
}

/** ρᵢⱼ = Σᵢⱼ/(σᵢσⱼ) with σᵢ = √Σᵢᵢ; the diagonal is exactly 1 (NaN where σᵢ is 0 or missing). */
export function covarianceToCorrelation(cov: Matrix): { correlation: number[][]; volatilities: number[] } {
  const volatilities = cov.map((row, i) => Math.sqrt(row[i]!));
  const correlation = cov.map((row, i) =>
    row.map((v, j) => {
      const d = volatilities[i]! * volatilities[j]!;
      if (!(d > 0)) return Number.NaN;
      return i === j ? 1 : v / d;
    }),
  );
  return { correlation, volatilities };
}
