import { cholesky, choleskySolve, dot, type Matrix, quadForm } from "../linalg.js";
import { buildConstraints, clipToBounds, isConstraintProblem, isUnconstrained, validateInputs } from "./constraints.js";
import { solveBoxQP } from "./box-qp.js";
import { describePortfolio } from "./portfolio-qp.js";
import { type LinearConstraint, lowerTriangle, solveQP } from "./qp-solver.js";
import { failed, type PortfolioOptions, type PortfolioResult } from "./types.js";

export interface KellyOptions extends PortfolioOptions {
  /** Fraction of full Kelly, in (0, 1] typically (default 1). */
  readonly fraction?: number;
  /** Cap on gross exposure Σ|fᵢ| (default Infinity). */
  readonly maxLeverage?: number;
}

/**
 * Kelly fractions: maximize the growth rate g(f) = r + (μ − r)'f − ½ f'Σf (continuous-time
 * approximation), scaled to fractional Kelly by maximizing (μ − r)'f − (1/(2·fraction))·f'Σf, whose
 * unconstrained solution is fraction·Σ⁻¹(μ − r).
 *
 * Defaults differ from the other optimizers in one respect: `budget` defaults to `null` (no sum
 * constraint; the rest is cash). `lower`/`upper` default to 0 and 1 like everywhere else; pass
 * lower: -Infinity, upper: Infinity for the unconstrained closed form. `maxLeverage` bounds gross
 * exposure: a single row Σf ≤ L when all lower bounds are ≥ 0, otherwise auxiliary tᵢ ≥ |fᵢ| with
 * Σt ≤ L. `objective` is the growth rate g(f) (per period of μ, Σ) at the solution.
 */
export function kelly(mu: readonly number[], cov: Matrix, opts: KellyOptions = {}): PortfolioResult {
  const bad = validateInputs(cov, mu);
  if (bad) return failed("error", bad);
  const n = cov.length;
  const fraction = opts.fraction ?? 1;
  if (!(fraction > 0) || !Number.isFinite(fraction)) return failed("error", "fraction must be positive");
  const leverage = opts.maxLeverage ?? Number.POSITIVE_INFINITY;
  if (!(leverage >= 0)) return failed("error", "maxLeverage must be ≥ 0");
  const c = buildConstraints(n, opts, { lower: 0, upper: 1, budget: null });
  if (isConstraintProblem(c)) return failed(c.kind, c.message);
  const r = opts.riskFreeRate ?? 0;
  const excess = mu.map((m) => m - r);
  const growth = (f: readonly number[]) => r + dot(excess, f) - 0.5 * quadForm(cov, f);
  const info = { mu, riskFreeRate: r };

  if (isUnconstrained(c) && c.budget === null && leverage === Number.POSITIVE_INFINITY) {
    const l = cholesky(cov);
    if (!l) return failed("unbounded", "singular covariance without constraints: Kelly growth may be unbounded");
    const f = choleskySolve(l, excess).map((v) => v * fraction);
    return describePortfolio(cov, f, { ...info, objective: growth(f), iterations: 0, method: "closed-form" });
  }

  const longOnly = c.lower.every((v) => v >= 0);
  if ((opts.solver ?? "auto") === "auto" && c.groupRows.length === 0 && (!Number.isFinite(leverage) || longOnly)) {
    // Fast path: bounds (+ budget) only. The objective ½f'Σf/fraction − (μ−r)'f has the argmin of
    // ½f'Σf − fraction·(μ−r)'f, so Σ is used as is. A long-only leverage cap Σf ≤ L is handled
    // exactly: solve with Σf = L; if its budget multiplier ν ≤ 0 the cap binds and that is the
    // optimum (KKT of the inequality), otherwise solve without the cap.
    const q = excess.map((e) => -fraction * e);
    let box: ReturnType<typeof solveBoxQP> | undefined;
    if (c.budget !== null) {
      if (Number.isFinite(leverage) && c.budget > leverage + 1e-12) {
        return failed("infeasible", `budget ${c.budget} exceeds maxLeverage ${leverage}`);
      }
      box = solveBoxQP({ Q: cov, c: q, lower: c.lower, upper: c.upper, budget: c.budget });
    } else if (Number.isFinite(leverage)) {
      const capped = solveBoxQP({ Q: cov, c: q, lower: c.lower, upper: c.upper, budget: leverage });
      if (capped.status === "optimal" && capped.budgetMultiplier <= 0) box = capped;
      else if (capped.status === "optimal" || capped.status === "infeasible") {
        // not binding (or Σf = L unreachable within the bounds): the cap is slack at the optimum
        const loose = solveBoxQP({ Q: cov, c: q, lower: c.lower, upper: c.upper, budget: null });
        if (loose.status !== "optimal" || loose.x.reduce((a, b) => a + b, 0) <= leverage + 1e-9) box = loose;
      }
    } else {
      box = solveBoxQP({ Q: cov, c: q, lower: c.lower, upper: c.upper, budget: null });
    }
    if (box?.status === "optimal") {
      const f = clipToBounds(box.x, c.lower, c.upper);
      return describePortfolio(cov, f, {
        ...info,
        objective: growth(f),
        iterations: box.iterations,
        method: "active-set",
      });
    }
    if (box?.status === "infeasible") return failed("infeasible", box.message ?? "infeasible", box.iterations);
  }
  const useAux = Number.isFinite(leverage) && !longOnly;
  const dim = useAux ? 2 * n : n;
  const q = new Array<number>(dim).fill(0);
  for (let i = 0; i < n; i++) q[i] = -excess[i]!;
  const lower = [...c.lower, ...(useAux ? new Array<number>(n).fill(0) : [])];
  const upper = [...c.upper, ...(useAux ? new Array<number>(n).fill(Number.POSITIVE_INFINITY) : [])];
  const rows: LinearConstraint[] = [...c.rows];
  if (Number.isFinite(leverage)) {
    if (useAux) {
      for (let i = 0; i < n; i++) {
        rows.push({ indices: [i, n + i], values: [-1, 1], lower: 0 }); // t ≥ f
        rows.push({ indices: [i, n + i], values: [1, 1], lower: 0 }); // t ≥ −f
      }
      rows.push({
        indices: Array.from({ length: n }, (_, i) => n + i),
        values: new Array<number>(n).fill(1),
        upper: leverage,
      });
    } else {
      rows.push({ coefficients: new Array<number>(n).fill(1), upper: leverage });
    }
  }
  const res = solveQP({
    P: lowerTriangle(cov, dim, 1 / fraction),
    q,
    lower,
    upper,
    constraints: rows,
    ...(opts.timeLimit !== undefined ? { timeLimit: opts.timeLimit } : {}),
  });
  if (res.status !== "optimal") return failed(res.status, res.message ?? res.status, res.iterations);
  const f = clipToBounds(res.x.slice(0, n), c.lower, c.upper);
  return describePortfolio(cov, f, { ...info, objective: growth(f), iterations: res.iterations, method: "highs" });
}
