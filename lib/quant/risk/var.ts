import { dot, type Matrix, quadForm } from "../linalg.js";
import { normalQuantile } from "./normal.js";

export interface ParametricRiskOptions {
  /** Confidence level c in (0, 1), default 0.95. */
  readonly confidence?: number;
  /** Expected returns per asset (same period as Σ); default zero mean. */
  readonly mu?: readonly number[];
  /** Horizon in periods of Σ: mean scales by h, volatility by √h (default 1). */
  readonly horizon?: number;
}

/**
 * Gaussian (delta-normal) VaR as a positive loss fraction: z_c·σ√h − μ_p·h with σ = √(w'Σw),
 * μ_p = μ'w, z_c = Φ⁻¹(c). Multiply by NAV for money.
 */
export function parametricVaR(weights: readonly number[], cov: Matrix, opts: ParametricRiskOptions = {}): number {
  const c = opts.confidence ?? 0.95;
  const h = opts.horizon ?? 1;
  const sigma = Math.sqrt(Math.max(0, quadForm(cov, weights)));
  const mean = opts.mu ? dot(opts.mu, weights) : 0;
  return normalQuantile(c) * sigma * Math.sqrt(h) - mean * h;
}

/** Tail size used by the historical estimators: the worst ⌈T·(1 − c)⌉ observations (at least 1). */
export function tailCount(observations: number, confidence: number): number {
  return Math.max(1, Math.min(observations, Math.ceil(observations * (1 - confidence) - 1e-9)));
}

/**
 * Historical VaR of a return (or P&L) series as a positive loss: with losses Lₜ = −rₜ sorted from
 * worst, the k-th worst loss, k = ⌈T(1 − c)⌉. NaN entries are ignored; NaN for an empty series.
 */
export function historicalVaR(returns: readonly number[], opts: { readonly confidence?: number } = {}): number {
  const c = opts.confidence ?? 0.95;
  const losses = returns.filter((r) => !Number.isNaN(r)).map((r) => -r);
  if (losses.length === 0) return Number.NaN;
  losses.sort((a, b) => b - a);
  return losses[tailCount(losses.length, c) - 1]!;
}
