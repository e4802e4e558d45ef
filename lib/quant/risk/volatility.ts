import { type Matrix, quadForm } from "../linalg.js";

/** √(w'Σw), in the unit of Σ (annualized if Σ is). */
export function portfolioVolatility(weights: readonly number[], cov: Matrix): number {
  return Math.sqrt(Math.max(0, quadForm(cov, weights)));
}

/** w'Σw */
export function portfolioVariance(weights: readonly number[], cov: Matrix): number {
  return quadForm(cov, weights);
}
