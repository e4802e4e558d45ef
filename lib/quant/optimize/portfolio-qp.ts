/** Shared plumbing: run a portfolio QP through HiGHS and package the result. */
import { dot, type Matrix, quadForm } from "../linalg.js";
import { clipToBounds, type BuiltConstraints } from "./constraints.js";
import { solveBoxQP } from "./box-qp.js";
import { type LinearConstraint, lowerTriangle, solveQP } from "./qp-solver.js";
import { failed, type PortfolioResult, type PortfolioSolution } from "./types.js";

/** Packages weights with volatility, expected return and Sharpe ratio. */
export function describePortfolio(
  cov: Matrix,
  weights: number[],
  extra: {
    readonly mu?: readonly number[] | undefined;
    readonly riskFreeRate?: number | undefined;
    readonly objective: number;
    readonly iterations: number;
    readonly method: string;
  },
): PortfolioSolution {
  const volatility = Math.sqrt(Math.max(0, quadForm(cov, weights)));
  const base = {
    status: "optimal" as const,
    weights,
    volatility,
    objective: extra.objective,
    iterations: extra.iterations,
  };
  if (!extra.mu) return { ...base, method: extra.method };
  const expectedReturn = dot(extra.mu, weights);
  const sharpe = volatility > 0 ? (expectedReturn - (extra.riskFreeRate ?? 0) * sumOf(weights)) / volatility : 0;
  return { ...base, expectedReturn, sharpe, method: extra.method };
}

function sumOf(x: readonly number[]): number {
  let s = 0;
  for (const v of x) s += v;
  return s;
}

/**
 * minimize ½·riskWeight·w'Σw + q'w subject to the built constraints plus `extraRows`.
 * Bounds + budget only (and solver "auto"): the active-set {@link solveBoxQP}; otherwise, or if that
 * reports an error (e.g. Σ not positive definite), HiGHS. Weights are clipped into the bounds.
 */
export function solvePortfolioQP(
  cov: Matrix,
  riskWeight: number,
  q: readonly number[],
  c: BuiltConstraints,
  extraRows: readonly LinearConstraint[],
  timeLimit: number | undefined,
  solver: "auto" | "highs" = "auto",
): { weights: number[]; objective: number; iterations: number; method: string } | ReturnType<typeof failed> {
  const n = cov.length;
  if (solver === "auto" && extraRows.length === 0 && c.groupRows.length === 0) {
    // ½k·w'Σw + q'w has the argmin of ½w'Σw + (q/k)'w (objective divided by k): no scaled copy of Σ
    const box = solveBoxQP({
      Q: cov,
      c: riskWeight === 1 ? q : q.map((v) => v / riskWeight),
      lower: c.lower,
      upper: c.upper,
      budget: c.budget,
    });
    if (box.status === "optimal") {
      return {
        weights: clipToBounds(box.x, c.lower, c.upper),
        objective: box.objective * riskWeight,
        iterations: box.iterations,
        method: "active-set",
      };
    }
    if (box.status === "infeasible") return failed("infeasible", box.message ?? "infeasible", box.iterations);
  }
  const res = solveQP({
    P: lowerTriangle(cov, n, riskWeight),
    q,
    lower: c.lower,
    upper: c.upper,
    constraints: [...c.rows, ...extraRows],
    ...(timeLimit !== undefined ? { timeLimit } : {}),
  });
  if (res.status !== "optimal") return failed(res.status, res.message ?? res.status, res.iterations);
  return {
    weights: clipToBounds(res.x, c.lower, c.upper),
    objective: res.objective,
    iterations: res.iterations,
    method: "highs",
  };
}

export function isFailure(x: object): x is ReturnType<typeof failed> {
  return "status" in x && (x as PortfolioResult).status !== "optimal";
}
