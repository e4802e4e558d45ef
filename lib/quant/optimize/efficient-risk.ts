import type { Matrix } from "../linalg.js";
import { buildConstraints, isConstraintProblem, validateInputs } from "./constraints.js";
import { searchFrontier } from "./frontier.js";
import { failed, type PortfolioOptions, type PortfolioResult } from "./types.js";

export interface EfficientRiskOptions extends PortfolioOptions {
  /** Relative tolerance on the volatility match (default 1e-6). */
  readonly tolerance?: number;
  /** Maximum number of root-search QP solves after bracketing (default 60). */
  readonly maxIterations?: number;
}

/**
 * Maximum return for a volatility ceiling: maximize μ'w subject to √(w'Σw) ≤ targetVolatility plus
 * bounds, budget and groups.
 *
 * This is a QCQP; it is solved on the efficient frontier (see `frontier.ts`): the frontier
 * portfolios w(t) = argmin ½w'Σw − t·μ'w have volatility nondecreasing in t, so t is bracketed and
 * refined by regula falsi until target·(1 − tolerance) ≤ σ ≤ target. If the minimum-variance
 * portfolio is already riskier than the target → "infeasible"; if even the maximum-return end of
 * the frontier is within the target, the risk constraint does not bind and that end is returned.
 * `iterations` counts QP solves; `objective` is μ'w.
 */
export function efficientRisk(
  mu: readonly number[],
  cov: Matrix,
  targetVolatility: number,
  opts: EfficientRiskOptions = {},
): PortfolioResult {
  const bad = validateInputs(cov, mu);
  if (bad) return failed("error", bad);
  if (!(targetVolatility >= 0) || !Number.isFinite(targetVolatility))
    return failed("error", "targetVolatility must be ≥ 0");
  const c = buildConstraints(cov.length, opts);
  if (isConstraintProblem(c)) return failed(c.kind, c.message);
  const tol = (opts.tolerance ?? 1e-6) * targetVolatility;
  const out = searchFrontier(mu, cov, c, {
    goal: (p) => p.volatility - targetVolatility,
    tolerance: tol,
    side: "below",
    maxIterations: opts.maxIterations ?? 60,
    timeLimit: opts.timeLimit,
    riskFreeRate: opts.riskFreeRate,
    solver: opts.solver ?? "auto",
  });
  switch (out.kind) {
    case "failed":
      return out.failure;
    case "below-min":
      return failed(
        "infeasible",
        `target volatility ${targetVolatility} is below the minimum attainable ${out.point.volatility}`,
        out.solves,
      );
    default:
      return { ...out.point, objective: out.point.expectedReturn ?? 0, iterations: out.solves };
  }
}
