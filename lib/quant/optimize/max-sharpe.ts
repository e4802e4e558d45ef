import type { Matrix } from "../linalg.js";
import { buildConstraints, clipToBounds, isConstraintProblem, validateInputs } from "./constraints.js";
import { searchFrontier } from "./frontier.js";
import { describePortfolio } from "./portfolio-qp.js";
import { type LinearConstraint, lowerTriangle, solveQP } from "./qp-solver.js";
import { failed, type PortfolioOptions, type PortfolioResult } from "./types.js";

/**
 * Tangency portfolio: maximize (μ − rf)'w / √(w'Σw) subject to bounds, budget (must be a positive
 * number) and groups.
 *
 * Solved as one convex QP by homogenization: with y = w/κ, κ ≥ 0,
 * ```
 * minimize ½ y'Σy  s.t.  (μ − rf)'y / m = 1,  1'y = b·κ,  lᵢκ ≤ yᵢ ≤ uᵢκ,  groupLo·κ ≤ Σ_g y ≤ groupHi·κ
 * ```
 * (m = max|μᵢ − rf| keeps y of order one), then w = y/κ. When no feasible portfolio has a positive
 * excess return the QP is infeasible and so is the result. `objective` is the Sharpe ratio.
 *
 * With solver "auto" and no group limits the same point is found without HiGHS, on the frontier
 * (see the comment in the code; `method` "frontier-search"); HiGHS's homogenized QP is used with
 * groups, with solver "highs", or if the frontier search fails.
 */
export function maxSharpe(mu: readonly number[], cov: Matrix, opts: PortfolioOptions = {}): PortfolioResult {
  const bad = validateInputs(cov, mu);
  if (bad) return failed("error", bad);
  const n = cov.length;
  const c = buildConstraints(n, opts);
  if (isConstraintProblem(c)) return failed(c.kind, c.message);
  if (c.budget === null || !(c.budget > 0)) return failed("error", "maxSharpe needs a positive budget");
  const b = c.budget;
  const rf = opts.riskFreeRate ?? 0;
  const excess = mu.map((m) => m - rf);
  const m = Math.max(...excess.map(Math.abs));
  if (!(m > 0)) return failed("infeasible", "no asset has a non-zero excess return");

  if ((opts.solver ?? "auto") === "auto" && c.groupRows.length === 0) {
    // Fast path without HiGHS: the tangency portfolio is the frontier point w(t) (argmin of
    // ½w'Σw − t·μ'w under bounds and budget) where t·(μ'w − rf·b) = w'Σw. (Divide the homogenized
    // problem's KKT conditions by κ: its multipliers are the utility problem's, with the κ-condition
    // becoming this equation.) Along t the Sharpe ratio rises while the left side is smaller and
    // falls after, so it is found by the frontier root search; a maximum-return end with positive
    // excess return that never reaches it is itself the tangency point.
    const out = searchFrontier(mu, cov, c, {
      goal: (p, t) => (t * ((p.expectedReturn ?? 0) - rf * b)) / Math.max(p.volatility ** 2, 1e-300) - 1,
      tolerance: 1e-9,
      side: "below",
      maxIterations: 100,
      timeLimit: opts.timeLimit,
      riskFreeRate: rf,
      solver: "auto",
    });
    if (out.kind === "found" || out.kind === "beyond-max") {
      const p = out.point;
      if ((p.expectedReturn ?? 0) - rf * b <= 0) {
        return failed("infeasible", "no feasible portfolio with a positive excess return", out.solves);
      }
      return { ...p, objective: p.sharpe ?? 0, iterations: out.solves, method: "frontier-search" };
    }
    // a failed search (e.g. Σ singular for the active-set solver) falls through to HiGHS
  }
  const colLower = new Array<number>(n + 1).fill(Number.NEGATIVE_INFINITY);
  const colUpper = new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY);
  colLower[n] = 0;
  const rows: LinearConstraint[] = [
    { indices: [...excess.keys()], values: excess.map((e) => e / m), lower: 1, upper: 1 },
    { indices: [...excess.keys(), n], values: [...new Array<number>(n).fill(1), -b], lower: 0, upper: 0 },
  ];
  const allLowerFinite = c.lower.every(Number.isFinite);
  const sumLower = c.lower.reduce((s, v) => s + v, 0);
  for (let i = 0; i < n; i++) {
    const l = c.lower[i]!;
    const u = c.upper[i]!;
    if (l === 0) colLower[i] = 0;
    else if (Number.isFinite(l)) rows.push({ indices: [i, n], values: [1, -l], lower: 0 });
    const implied = allLowerFinite && u >= b - (sumLower - l);
    if (u === 0) colUpper[i] = 0;
    else if (Number.isFinite(u) && !implied) rows.push({ indices: [i, n], values: [1, -u], upper: 0 });
  }
  for (const g of c.groupRows) {
    const idx = [...g.members, n];
    if (Number.isFinite(g.lower)) rows.push({ indices: idx, values: [...g.members.map(() => 1), -g.lower], lower: 0 });
    if (Number.isFinite(g.upper)) rows.push({ indices: idx, values: [...g.members.map(() => 1), -g.upper], upper: 0 });
  }
  const res = solveQP({
    P: lowerTriangle(cov, n + 1),
    q: new Array<number>(n + 1).fill(0),
    lower: colLower,
    upper: colUpper,
    constraints: rows,
    ...(opts.timeLimit !== undefined ? { timeLimit: opts.timeLimit } : {}),
  });
  if (res.status !== "optimal") {
    const why = res.status === "infeasible" ? "no feasible portfolio with a positive excess return" : res.message;
    return failed(res.status, why ?? res.status, res.iterations);
  }
  const kappa = res.x[n]!;
  if (!(kappa > 1e-12)) return failed("error", `degenerate homogenization (kappa = ${kappa})`, res.iterations);
  const weights = clipToBounds(
    res.x.slice(0, n).map((y) => y / kappa),
    c.lower,
    c.upper,
  );
  const desc = describePortfolio(cov, weights, {
    mu,
    riskFreeRate: rf,
    objective: 0,
    iterations: res.iterations,
    method: "highs-homogenized",
  });
  return { ...desc, objective: desc.sharpe ?? 0 };
}
