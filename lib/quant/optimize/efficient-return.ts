import type { Matrix } from "../linalg.js";
import { buildConstraints, isConstraintProblem, validateInputs } from "./constraints.js";
import { describePortfolio, isFailure, solvePortfolioQP } from "./portfolio-qp.js";
import { failed, type PortfolioOptions, type PortfolioResult } from "./types.js";

/**
 * Minimum variance for a required return: minimize w'Σw subject to μ'w ≥ targetReturn plus
 * bounds, budget and groups (one HiGHS QP). A target above the best attainable return gives
 * status "infeasible". A target below the minimum-variance portfolio's return gives that portfolio
 * (the constraint is an inequality). `objective` is the variance.
 */
export function efficientReturn(
  mu: readonly number[],
  cov: Matrix,
  targetReturn: number,
  opts: PortfolioOptions = {},
): PortfolioResult {
  const bad = validateInputs(cov, mu);
  if (bad) return failed("error", bad);
  if (!Number.isFinite(targetReturn)) return failed("error", "targetReturn must be finite");
  const n = cov.length;
  const c = buildConstraints(n, opts);
  if (isConstraintProblem(c)) return failed(c.kind, c.message);
  const r = solvePortfolioQP(
    cov,
    2,
    new Array<number>(n).fill(0),
    c,
    [{ coefficients: mu, lower: targetReturn }],
    opts.timeLimit,
  );
  if (isFailure(r)) return r;
  const desc = describePortfolio(cov, r.weights, {
    mu,
    riskFreeRate: opts.riskFreeRate,
    objective: 0,
    iterations: r.iterations,
    method: "highs",
  });
  return { ...desc, objective: desc.volatility ** 2 };
}
