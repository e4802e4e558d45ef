import type { Matrix } from "../linalg.js";
import { buildConstraints, isConstraintProblem, validateInputs } from "./constraints.js";
import { searchFrontier } from "./frontier.js";
import { describePortfolio, isFailure, solvePortfolioQP } from "./portfolio-qp.js";
import { failed, type PortfolioOptions, type PortfolioResult } from "./types.js";

/**
 * Minimum variance for a required return: minimize w'Σw subject to μ'w ≥ targetReturn plus
 * bounds, budget and groups (one HiGHS QP). A target above the best attainable return gives
 * status "infeasible". A target below the minimum-variance portfolio's return gives that portfolio
 * (the constraint is an inequality). `objective` is the variance.
 *
 * Fallback: HiGHS's QP solver can end in a solve error when the return row is nearly tight at a
 * vertex (targets within ~1e-5 of the maximum attainable return). Then the same frontier point is
 * located by the utility parametrization (`frontier.ts`), to a return within 1e-10·max|μ| above
 * the target; `method` says "frontier-search".
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
  if (isFailure(r)) {
    if (r.status !== "error") return r;
    const tol = 1e-10 * Math.max(...mu.map(Math.abs));
    const out = searchFrontier(mu, cov, c, {
      goal: (p) => (p.expectedReturn ?? 0) - targetReturn,
      tolerance: tol,
      side: "above",
      maxIterations: 100,
      timeLimit: opts.timeLimit,
      riskFreeRate: opts.riskFreeRate,
      solver: opts.solver ?? "auto",
    });
    if (out.kind === "failed") return out.failure;
    const ret = out.point.expectedReturn ?? 0;
    if (out.kind === "beyond-max" && ret < targetReturn - tol) {
      return failed("infeasible", `target return ${targetReturn} above the maximum attainable ${ret}`, out.solves);
    }
    return { ...out.point, objective: out.point.volatility ** 2, iterations: out.solves };
  }
  const desc = describePortfolio(cov, r.weights, {
    mu,
    riskFreeRate: opts.riskFreeRate,
    objective: 0,
    iterations: r.iterations,
    method: r.method,
  });
  return { ...desc, objective: desc.volatility ** 2 };
}
