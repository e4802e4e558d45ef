import { dot, type Matrix } from "../linalg.js";
import { buildConstraints, clipToBounds, isConstraintProblem, validateInputs } from "./constraints.js";
import { efficientReturn } from "./efficient-return.js";
import { minVariance } from "./min-variance.js";
import { solveQP } from "./qp-solver.js";
import { failed, type PortfolioOptions, type PortfolioResult, type PortfolioSolution } from "./types.js";

export interface EfficientRiskOptions extends PortfolioOptions {
  /** Relative tolerance on the volatility match (default 1e-6). */
  readonly tolerance?: number;
  /** Maximum number of QP solves in the root search (default 60). */
  readonly maxIterations?: number;
}

/**
 * Maximum return for a volatility ceiling: maximize μ'w subject to √(w'Σw) ≤ targetVolatility plus
 * bounds, budget and groups.
 *
 * This is a QCQP. It is solved on the efficient frontier: the frontier volatility σ(r) of
 * {@link efficientReturn} is nondecreasing in the target return r between the minimum-variance
 * portfolio's return and the best attainable return (an LP). So:
 * 1. minimum-variance portfolio: if its volatility exceeds the target → "infeasible";
 * 2. the max-return LP and the least-variance portfolio reaching that return: if its volatility is
 *    within the target, the risk constraint does not bind and that portfolio is optimal;
 * 3. otherwise a safeguarded regula falsi (Illinois) on f(r) = σ(r)² − target² over the bracket,
 *    each evaluation one QP, until |σ − target| ≤ tolerance·target; the returned portfolio is the
 *    last one with σ ≤ target·(1 + tolerance).
 * `iterations` counts QP/LP solves; `objective` is μ'w.
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
  const n = cov.length;
  const c = buildConstraints(n, opts);
  if (isConstraintProblem(c)) return failed(c.kind, c.message);
  const tol = opts.tolerance ?? 1e-6;
  const maxIter = opts.maxIterations ?? 60;
  let solves = 0;
  const finish = (p: PortfolioSolution): PortfolioSolution => ({
    ...p,
    objective: p.expectedReturn ?? dot(mu, p.weights),
    iterations: solves,
    method: "frontier-search",
  });

  const mv = minVariance(cov, { ...opts, mu });
  solves++;
  if (mv.status !== "optimal") return { ...mv, iterations: solves };
  if (mv.volatility > targetVolatility * (1 + tol)) {
    return failed(
      "infeasible",
      `target volatility ${targetVolatility} below minimum volatility ${mv.volatility}`,
      solves,
    );
  }
  const lp = solveQP({
    q: mu.map((m) => -m),
    lower: c.lower,
    upper: c.upper,
    constraints: c.rows,
    ...(opts.timeLimit !== undefined ? { timeLimit: opts.timeLimit } : {}),
  });
  solves++;
  if (lp.status !== "optimal") return failed(lp.status, lp.message ?? lp.status, solves);
  const rMax = dot(mu, clipToBounds(lp.x, c.lower, c.upper));
  const rMin = mv.expectedReturn ?? dot(mu, mv.weights);
  if (rMax <= rMin) return finish(mv);
  // Least-variance portfolio among (numerically) maximum-return ones.
  const top = efficientReturn(mu, cov, rMax - 1e-9 * Math.max(1, Math.abs(rMax)), opts);
  solves++;
  if (top.status === "optimal" && top.volatility <= targetVolatility * (1 + tol)) return finish(top);

  const f = (p: PortfolioSolution) => p.volatility ** 2 - targetVolatility ** 2;
  if (top.status !== "optimal") return failed(top.status, top.message, solves);
  let lo: { r: number; f: number } = { r: rMin, f: f(mv) };
  let hi: { r: number; f: number } = { r: top.expectedReturn ?? rMax, f: f(top) };
  let best: PortfolioSolution = mv;
  let side = 0;
  for (let k = 0; k < maxIter; k++) {
    let r: number = (lo.r * hi.f - hi.r * lo.f) / (hi.f - lo.f);
    if (!(r > lo.r && r < hi.r)) r = 0.5 * (lo.r + hi.r);
    const p = efficientReturn(mu, cov, r, opts);
    solves++;
    if (p.status !== "optimal") {
      return failed(p.status, `frontier point at return ${r}: ${p.message}`, solves);
    }
    const fr = f(p);
    if (p.volatility <= targetVolatility * (1 + tol)) best = p;
    if (Math.abs(p.volatility - targetVolatility) <= tol * targetVolatility) return finish(p);
    if (fr < 0) {
      lo = { r, f: fr };
      if (side === -1) hi = { ...hi, f: hi.f / 2 };
      side = -1;
    } else {
      hi = { r, f: fr };
      if (side === 1) lo = { ...lo, f: lo.f / 2 };
      side = 1;
    }
    if (hi.r - lo.r <= 1e-14 * Math.max(1, Math.abs(hi.r))) return finish(best);
  }
  return failed("iteration-limit", `no frontier point within tolerance after ${maxIter} solves`, solves);
}
