/**
 * Walking the efficient frontier by its quadratic-utility parametrization.
 *
 * For t ≥ 0 let w(t) minimize ½w'Σw − t·μ'w under the portfolio constraints (t = 1/δ of
 * {@link maxQuadraticUtility}). Along t, w(t) is piecewise affine and both μ'w(t) and √(w'Σw) are
 * nondecreasing: t = 0 is the minimum-variance portfolio, and for t large enough w(t) reaches the
 * least-variance portfolio among the maximum-return ones. A scalar goal that is nondecreasing in
 * t (volatility or return minus a target) is therefore located by bracketing t (growing it
 * geometrically) and an Illinois regula-falsi on t. Every evaluation is one QP without an extra
 * constraint row, which avoids HiGHS's trouble with a return row nearly tight at a vertex.
 */
import { dot, type Matrix, trace } from "../linalg.js";
import type { BuiltConstraints } from "./constraints.js";
import { describePortfolio, isFailure, solvePortfolioQP } from "./portfolio-qp.js";
import { failed, type PortfolioFailure, type PortfolioSolution } from "./types.js";

export interface FrontierGoal {
  /**
   * The search looks for goal(w(t), t) = 0. It must be negative at t = 0 side and change sign
   * once (nondecreasing goals such as volatility or return minus a target do).
   */
  readonly goal: (p: PortfolioSolution, t: number) => number;
  /** Accept |goal| ≤ tolerance. */
  readonly tolerance: number;
  /** Which side of the root to return: "below" (goal ≤ 0) or "above" (goal ≥ 0). */
  readonly side: "below" | "above";
  readonly maxIterations: number;
  readonly timeLimit: number | undefined;
  readonly riskFreeRate: number | undefined;
  readonly solver: "auto" | "highs";
}

export type FrontierOutcome =
  | { readonly kind: "found"; readonly point: PortfolioSolution; readonly solves: number }
  /** goal(w(0)) > 0: even the minimum-variance portfolio overshoots. */
  | { readonly kind: "below-min"; readonly point: PortfolioSolution; readonly solves: number }
  /** goal stays < 0 up to the maximum-return end; `point` is that end. */
  | { readonly kind: "beyond-max"; readonly point: PortfolioSolution; readonly solves: number }
  | { readonly kind: "failed"; readonly failure: PortfolioFailure };

export function searchFrontier(
  mu: readonly number[],
  cov: Matrix,
  c: BuiltConstraints,
  g: FrontierGoal,
): FrontierOutcome {
  const n = cov.length;
  let solves = 0;
  const at = (t: number): PortfolioSolution | PortfolioFailure => {
    solves++;
    const r = solvePortfolioQP(
      cov,
      1,
      mu.map((m) => -t * m),
      c,
      [],
      g.timeLimit,
      g.solver,
    );
    if (isFailure(r)) return r;
    return describePortfolio(cov, r.weights, {
      mu,
      riskFreeRate: g.riskFreeRate,
      objective: 0,
      iterations: r.iterations,
      method: "frontier-search",
    });
  };
  const p0 = at(0);
  if (p0.status !== "optimal") return { kind: "failed", failure: p0 };
  const f0 = g.goal(p0, 0);
  if (Math.abs(f0) <= g.tolerance && (g.side === "below" || f0 >= 0)) return { kind: "found", point: p0, solves };
  if (f0 > 0) return { kind: "below-min", point: p0, solves };
  const muMax = Math.max(...mu.map(Math.abs));
  if (!(muMax > 0)) return { kind: "beyond-max", point: p0, solves };
  let lo = { t: 0, f: f0, p: p0 };
  let t = trace(cov) / n / muMax;
  let hi: { t: number; f: number; p: PortfolioSolution } | undefined;
  let prevReturn = dot(mu, p0.weights);
  for (let k = 0; k < 80 && !hi; k++) {
    const p = at(t);
    if (p.status !== "optimal") return { kind: "failed", failure: p };
    const f = g.goal(p, t);
    const ret = dot(mu, p.weights);
    if (f >= 0) hi = { t, f, p };
    else {
      if (k > 0 && Math.abs(ret - prevReturn) <= 1e-13 * Math.max(1e-300, Math.abs(ret)) && ret >= prevReturn) {
        return { kind: "beyond-max", point: p, solves };
      }
      lo = { t, f, p };
      prevReturn = ret;
      t *= 4;
    }
  }
  if (!hi) return { kind: "beyond-max", point: lo.p, solves };
  if (Math.abs(hi.f) <= g.tolerance && g.side === "above") return { kind: "found", point: hi.p, solves };
  let side = 0;
  for (let k = 0; k < g.maxIterations; k++) {
    let tm: number = (lo.t * hi.f - hi.t * lo.f) / (hi.f - lo.f);
    if (!(tm > lo.t && tm < hi.t)) tm = 0.5 * (lo.t + hi.t);
    const p = at(tm);
    if (p.status !== "optimal") return { kind: "failed", failure: p };
    const f = g.goal(p, tm);
    if (Math.abs(f) <= g.tolerance && (g.side === "below" ? f <= 0 : f >= 0))
      return { kind: "found", point: p, solves };
    if (f < 0) {
      lo = { t: tm, f, p };
      if (side === -1) hi = { ...hi, f: hi.f / 2 };
      side = -1;
    } else {
      hi = { t: tm, f, p };
      if (side === 1) lo = { ...lo, f: lo.f / 2 };
      side = 1;
    }
    if (hi.t - lo.t <= 1e-13 * hi.t) {
      // The goal jumps across 0 (flat frontier piece): return the requested side.
      return { kind: "found", point: g.side === "below" ? lo.p : hi.p, solves };
    }
  }
  return {
    kind: "failed",
    failure: failed("iteration-limit", `frontier search did not converge in ${g.maxIterations} steps`, solves),
  };
}
