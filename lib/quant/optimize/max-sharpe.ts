import type { Matrix } from "../linalg.js";
import { buildConstraints, clipToBounds, isConstraintProblem, validateInputs } from "./constraints.js";
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
