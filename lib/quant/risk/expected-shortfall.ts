import { dot, type Matrix, quadForm } from "../linalg.js";
import { normalPdf, normalQuantile } from "./normal.js";
import { type ParametricRiskOptions, tailCount } from "./var.js";

/**
 * Historical expected shortfall (CVaR) as a positive loss: the mean of the worst k = ⌈T(1 − c)⌉
 * losses, the same tail as {@link historicalVaR}, so ES ≥ VaR always. NaN entries are ignored.
 */
export function expectedShortfall(returns: readonly number[], opts: { readonly confidence?: number } = {}): number {
  const c = opts.confidence ?? 0.95;
  const losses = returns.filter((r) => !Number.isNaN(r)).map((r) => -r);
  if (losses.length === 0) return Number.NaN;
  losses.sort((a, b) => b - a);
  const k = tailCount(losses.length, c);
  let s = 0;
  for (let i = 0; i < k; i++) s += losses[i]!;
  return s / k;
}

/** Gaussian expected shortfall: σ√h·φ(z_c)/(1 − c) − μ_p·h. */
export function parametricExpectedShortfall(
  weights: readonly number[],
  cov: Matrix,
  opts: ParametricRiskOptions = {},
): number {
  const c = opts.confidence ?? 0.95;
  const h = opts.horizon ?? 1;
  const sigma = Math.sqrt(Math.max(0, quadForm(cov, weights)));
  const mean = opts.mu ? dot(opts.mu, weights) : 0;
  return (sigma * Math.sqrt(h) * normalPdf(normalQuantile(c))) / (1 - c) - mean * h;
}
