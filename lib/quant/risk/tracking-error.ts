import { type Matrix, quadForm } from "../linalg.js";

/** Ex-ante tracking error √((w − b)'Σ(w − b)) against benchmark weights b. */
export function trackingError(weights: readonly number[], benchmarkWeights: readonly number[], cov: Matrix): number {
  const active = weights.map((w, i) => w - (benchmarkWeights[i] ?? 0));
  return Math.sqrt(Math.max(0, quadForm(cov, active)));
}
