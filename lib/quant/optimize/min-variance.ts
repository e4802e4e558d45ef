import { cholesky, choleskySolve, type Matrix, sum } from "../linalg.js";
import { buildConstraints, isConstraintProblem, isUnconstrained, validateInputs } from "./constraints.js";
import { describePortfolio, isFailure, solvePortfolioQP } from "./portfolio-qp.js";
import { failed, type PortfolioOptions, type PortfolioResult } from "./types.js";

/**
 * Global minimum-variance portfolio: minimize w'Σw subject to bounds, budget and groups.
 *
 * Without bounds and groups (lower = -Infinity, upper = Infinity) it uses the closed form
 * w = b·Σ⁻¹1 / (1'Σ⁻¹1); otherwise one HiGHS QP. `objective` is the variance w'Σw.
 * Pass `mu` in opts to have expectedReturn and sharpe reported.
 */
export function minVariance(
  cov: Matrix,
  opts: PortfolioOptions & { readonly mu?: readonly number[] } = {},
): PortfolioResult {
  const bad = validateInputs(cov, opts.mu);
  if (bad) return failed("error", bad);
  const n = cov.length;
  const c = buildConstraints(n, opts);
  if (isConstraintProblem(c)) return failed(c.kind, c.message);
  const info = { mu: opts.mu, riskFreeRate: opts.riskFreeRate };
  if (isUnconstrained(c)) {
    if (c.budget === null) {
      return describePortfolio(cov, new Array<number>(n).fill(0), {
        ...info,
        objective: 0,
        iterations: 0,
        method: "closed-form",
      });
    }
    const l = cholesky(cov);
    if (l) {
      const x = choleskySolve(l, new Array<number>(n).fill(1));
      const k = c.budget / sum(x);
      const w = x.map((v) => v * k);
      const desc = describePortfolio(cov, w, { ...info, objective: 0, iterations: 0, method: "closed-form" });
      return { ...desc, objective: desc.volatility ** 2 };
    }
  }
  const r = solvePortfolioQP(cov, 2, new Array<number>(n).fill(0), c, [], opts.timeLimit, opts.solver);
  if (isFailure(r)) return r;
  const desc = describePortfolio(cov, r.weights, { ...info, objective: 0, iterations: r.iterations, method: r.method });
  return { ...desc, objective: desc.volatility ** 2 };
}
