import { cholesky, choleskySolve, dot, type Matrix, quadForm, sum } from "../linalg.js";
import { buildConstraints, isConstraintProblem, isUnconstrained, validateInputs } from "./constraints.js";
import { describePortfolio, isFailure, solvePortfolioQP } from "./portfolio-qp.js";
import { failed, type PortfolioOptions, type PortfolioResult } from "./types.js";

/**
 * Mean-variance utility: maximize μ'w − (δ/2)·w'Σw (δ = riskAversion > 0) subject to bounds,
 * budget and groups. `objective` is the utility at the solution.
 *
 * Without bounds and groups it uses the closed form: w = Σ⁻¹μ/δ (no budget), or
 * w = Σ⁻¹μ/δ + γ·Σ⁻¹1 with γ = (b − 1'Σ⁻¹μ/δ)/(1'Σ⁻¹1) (budget b); otherwise one HiGHS QP.
 */
export function maxQuadraticUtility(
  mu: readonly number[],
  cov: Matrix,
  riskAversion: number,
  opts: PortfolioOptions = {},
): PortfolioResult {
  const bad = validateInputs(cov, mu);
  if (bad) return failed("error", bad);
  if (!(riskAversion > 0) || !Number.isFinite(riskAversion)) return failed("error", "riskAversion must be positive");
  const n = cov.length;
  const c = buildConstraints(n, opts);
  if (isConstraintProblem(c)) return failed(c.kind, c.message);
  const info = { mu, riskFreeRate: opts.riskFreeRate };
  const utility = (w: readonly number[]) => dot(mu, w) - 0.5 * riskAversion * quadForm(cov, w);
  if (isUnconstrained(c)) {
    const l = cholesky(cov);
    if (l) {
      const a = choleskySolve(l, mu).map((v) => v / riskAversion);
      let w = a;
      if (c.budget !== null) {
        const ones = choleskySolve(l, new Array<number>(n).fill(1));
        const gamma = (c.budget - sum(a)) / sum(ones);
        w = a.map((v, i) => v + gamma * ones[i]!);
      }
      return describePortfolio(cov, w, { ...info, objective: utility(w), iterations: 0, method: "closed-form" });
    }
    if (c.budget === null) return failed("unbounded", "singular covariance without bounds: utility may be unbounded");
  }
  const r = solvePortfolioQP(
    cov,
    riskAversion,
    mu.map((m) => -m),
    c,
    [],
    opts.timeLimit,
    opts.solver,
  );
  if (isFailure(r)) return r;
  return describePortfolio(cov, r.weights, {
    ...info,
    objective: utility(r.weights),
    iterations: r.iterations,
    method: r.method,
  });
}
