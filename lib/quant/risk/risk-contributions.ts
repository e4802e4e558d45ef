import { type Matrix, matVec, quadForm } from "../linalg.js";

/** ∂σ/∂wᵢ = (Σw)ᵢ/σ (all zeros when σ = 0). */
export function marginalRiskContributions(weights: readonly number[], cov: Matrix): number[] {
  const sw = matVec(cov, weights);
  const sigma = Math.sqrt(Math.max(0, quadForm(cov, weights)));
  return sigma > 0 ? sw.map((v) => v / sigma) : sw.map(() => 0);
}

/** wᵢ·(Σw)ᵢ/σ; they sum to σ (Euler's theorem for the 1-homogeneous σ(w)). */
export function componentRiskContributions(weights: readonly number[], cov: Matrix): number[] {
  return marginalRiskContributions(weights, cov).map((m, i) => m * weights[i]!);
}

/** Component contributions as fractions of σ (sum to 1; zeros when σ = 0). */
export function percentRiskContributions(weights: readonly number[], cov: Matrix): number[] {
  const c = componentRiskContributions(weights, cov);
  const total = c.reduce((s, v) => s + v, 0);
  return total !== 0 ? c.map((v) => v / total) : c.map(() => 0);
}
