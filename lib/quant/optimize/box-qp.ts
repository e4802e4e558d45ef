/**
 * `solveBoxQP`: a primal active-set method for strictly convex QPs with box bounds and an optional
 * budget equality — the shape of most portfolio problems (long-only/capped weights summing to b):
 *
 * ```
 * minimize ½x'Qx + c'x   s.t.   lower ≤ x ≤ upper,   [Σx = b]
 * ```
 *
 * Q must be symmetric positive definite on the free variables (a covariance matrix of full rank).
 * The method starts from a feasible point with few free variables (weights at their bounds, the
 * budget filled greedily), then alternates (1) the Newton step on the free variables within the
 * budget hyperplane, shortened at the first bound it hits (that variable becomes fixed), and
 * (2) at a subspace minimizer, releasing the bound variable whose multiplier has the wrong sign.
 * The Cholesky factor of Q_FF is updated (append a row, O(|F|²)) and downdated (Givens rotations,
 * O(|F|²)) instead of refactorized, and the gradient is updated in O(n·|F|), so a solve costs a
 * few n·|F| operations per active-set change. Finite termination for strictly convex Q; an
 * iteration cap guards against degenerate cycling. Before declaring optimality the gradient is
 * recomputed from scratch and the multiplier signs re-checked. Tolerances are relative to the
 * gradient's magnitude, so the units of Q and c do not matter.
 *
 * Returns status "error" when Q is not positive definite on the free set (callers fall back to
 * HiGHS), "infeasible" when the bounds cannot meet the budget.
 */
import type { Matrix } from "../linalg.js";
import type { SolveStatus } from "./qp-solver.js";
import { f64, f64Copy } from "../f64-slab.js";

export interface BoxQPProblem {
  /** Symmetric (not checked here; the optimizers validate it), positive definite on free variables. */
  readonly Q: Matrix;
  readonly c: readonly number[];
  /** Per-variable bounds; ±Infinity allowed. */
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  /** Σx = budget when given. */
  readonly budget?: number | null;
  /** Default 50·n + 1000. */
  readonly maxIterations?: number;
}

export interface BoxQPResult {
  readonly status: SolveStatus;
  /** Empty unless optimal. */
  readonly x: number[];
  /** ½x'Qx + c'x (Infinity unless optimal). */
  readonly objective: number;
  /** Budget multiplier ν (Qx + c = ν·1 + z, z the bound multipliers); 0 without a budget. */
  readonly budgetMultiplier: number;
  readonly iterations: number;
  readonly message?: string;
}

const AT_LOWER = 0;
const AT_UPPER = 1;
const FREE = 2;
const FIXED = 3;

function fail(status: SolveStatus, message: string, iterations = 0): BoxQPResult {
  return { status, x: [], objective: Number.POSITIVE_INFINITY, budgetMultiplier: 0, iterations, message };
}

/** g = Qx + c, from scratch. */
function fullGradient(Q: Matrix, c: readonly number[], x: Float64Array, g: Float64Array): void {
  const n = c.length;
  for (let k = 0; k < n; k++) {
    const row = Q[k]!;
    let acc = c[k]!;
    for (let j = 0; j < n; j++) {
      const xj = x[j]!;
      if (xj !== 0) acc += row[j]! * xj;
    }
    g[k] = acc;
  }
}

/**
 * The Cholesky factor L of Q_FF over the free variables `free` (in the order they were added):
 * rows of capacity n, appended in O(|F|²) and removed with Givens rotations in O(|F|²).
 *
 * A class rather than closures made per solve (README, Operators: per-batch closures lose their
 * optimized code at full collections).
 */
class FreeCholesky {
  readonly L: Float64Array[] = [];
  readonly free: number[] = [];
  /** |F|: rows of L in use. */
  m = 0;
  /** False when Q_FF of the initial free set was not positive definite. */
  readonly ok: boolean;
  private readonly y: Float64Array;

  constructor(
    private readonly Q: Matrix,
    initial: readonly number[],
  ) {
    this.y = f64(Q.length);
    let ok = true;
    for (const j of initial) {
      if (!this.append(j)) {
        ok = false;
        break;
      }
    }
    this.ok = ok;
  }

  /** Adds variable j to the free set; false (and no change) when Q_FF would not stay positive definite. */
  append(j: number): boolean {
    const { L, Q, free } = this;
    const m = this.m;
    const row = L[m] ?? f64(Q.length);
    L[m] = row;
    const qj = Q[j]!;
    let d = qj[j]!;
    for (let r = 0; r < m; r++) {
      const lr = L[r]!;
      let acc = qj[free[r]!]!;
      for (let k = 0; k < r; k++) acc -= lr[k]! * row[k]!;
      const v = acc / lr[r]!;
      row[r] = v;
      d -= v * v;
    }
    if (!(d > 1e-13 * qj[j]!)) return false;
    row[m] = Math.sqrt(d);
    this.m = m + 1;
    free.push(j);
    return true;
  }

  /** Drops the p-th free variable. */
  remove(p: number): void {
    const L = this.L;
    const m = this.m;
    // drop row p, then restore triangularity with Givens rotations on column pairs (k, k+1)
    const dropped = L[p]!;
    for (let r = p; r < m - 1; r++) L[r] = L[r + 1]!;
    L[m - 1] = dropped;
    for (let k = p; k < m - 1; k++) {
      const a = L[k]![k]!;
      const b = L[k]![k + 1]!;
      const h = Math.hypot(a, b);
      const cs = a / h;
      const sn = b / h;
      for (let r = k; r < m - 1; r++) {
        const row = L[r]!;
        const u = row[k]!;
        const v = row[k + 1]!;
        row[k] = cs * u + sn * v;
        row[k + 1] = -sn * u + cs * v;
      }
    }
    for (let r = 0; r < m - 1; r++) L[r]![m - 1] = 0;
    this.m = m - 1;
    this.free.splice(p, 1);
  }

  /** out = Q_FF⁻¹ g_F. */
  solveGradient(g: Float64Array, out: Float64Array): void {
    const { L, y, free } = this;
    const m = this.m;
    for (let r = 0; r < m; r++) {
      const lr = L[r]!;
      let acc = g[free[r]!]!;
      for (let k = 0; k < r; k++) acc -= lr[k]! * y[k]!;
      y[r] = acc / lr[r]!;
    }
    this.back(out);
  }

  /** out = Q_FF⁻¹ 1. */
  solveOnes(out: Float64Array): void {
    const { L, y } = this;
    const m = this.m;
    for (let r = 0; r < m; r++) {
      const lr = L[r]!;
      let acc = 1;
      for (let k = 0; k < r; k++) acc -= lr[k]! * y[k]!;
      y[r] = acc / lr[r]!;
    }
    this.back(out);
  }

  /** Solves L'out = y (the second half of a solve). */
  private back(out: Float64Array): void {
    const { L, y } = this;
    for (let r = this.m - 1; r >= 0; r--) {
      let acc = y[r]!;
      for (let k = r + 1; k < this.m; k++) acc -= L[k]![r]! * out[k]!;
      out[r] = acc / L[r]![r]!;
    }
  }
}

export function solveBoxQP(problem: BoxQPProblem): BoxQPResult {
  const n = problem.c.length;
  const { lower, upper } = problem;
  const budget = problem.budget ?? null;
  if (n === 0 || problem.Q.length !== n || lower.length !== n || upper.length !== n) {
    return fail("error", "dimension mismatch");
  }
  let traceQ = 0;
  for (let i = 0; i < n; i++) traceQ += problem.Q[i]![i]!;
  if (!(traceQ > 0) || !Number.isFinite(traceQ)) return fail("error", "Q must have a positive finite trace");
  // Work in the caller's units; tolerances are relative to the gradient's scale below.
  const Q = problem.Q;
  const c = problem.c;
  const meanDiag = traceQ / n;

  // ---- feasible start with few free variables: every variable at a finite bound (the one nearest
  // to zero; if zero is inside, the one its linear cost favours), unbounded ones free at 0; then
  // the budget is met by moving variables toward their other bound, most attractive first (lowest
  // cᵢ, then lowest Qᵢᵢ).
  const x = f64(n);
  const state = new Uint8Array(n);
  let sumLower = 0;
  let sumUpper = 0;
  for (let i = 0; i < n; i++) {
    const l = lower[i]!;
    const u = upper[i]!;
    if (!(l <= u)) return fail("infeasible", `lower[${i}] > upper[${i}]`);
    sumLower += l;
    sumUpper += u;
    const lf = l > Number.NEGATIVE_INFINITY;
    const uf = u < Number.POSITIVE_INFINITY;
    if (l >= 0 || u <= 0)
      x[i] = Math.min(u, Math.max(l, 0)); // the bound nearest to zero
    else if (lf && uf)
      x[i] = c[i]! < 0 ? u : l; // zero inside: the bound the linear cost favours
    else if (lf) x[i] = l;
    else if (uf) x[i] = u;
    else x[i] = 0;
  }
  if (budget !== null) {
    const tol = 1e-12 * Math.max(1, Math.abs(budget));
    if (sumLower > budget + tol || sumUpper < budget - tol) return fail("infeasible", "bounds cannot meet the budget");
    let rest = budget;
    for (let i = 0; i < n; i++) rest -= x[i]!;
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => c[a]! - c[b]! || Q[a]![a]! - Q[b]![b]! || a - b,
    );
    if (rest < 0) order.reverse();
    for (const i of order) {
      if (rest === 0) break;
      const room = rest > 0 ? upper[i]! - x[i]! : lower[i]! - x[i]!;
      const move = rest > 0 ? Math.min(room, rest) : Math.max(room, rest);
      x[i]! += move;
      rest -= move;
    }
    if (Math.abs(rest) > tol) return fail("infeasible", "bounds cannot meet the budget");
  }
  const free: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = lower[i]!;
    const u = upper[i]!;
    if (l === u) {
      state[i] = FIXED;
      x[i] = l;
    } else if (x[i] === l) state[i] = AT_LOWER;
    else if (x[i] === u) state[i] = AT_UPPER;
    else {
      state[i] = FREE;
      free.push(i);
    }
  }

  // ---- gradient g = Qx + c
  const g = f64(n);
  fullGradient(Q, c, x, g);

  // ---- Cholesky factor of Q_FF
  const chol = new FreeCholesky(Q, free.splice(0, free.length));
  if (!chol.ok) return fail("error", "Q is not positive definite on the free variables");
  const maxIterations = problem.maxIterations ?? 50 * n + 1000;
  const qg = f64(n);
  const qo = f64(n);
  const p = f64(n);
  let nu = 0;
  let atMinimum = false;
  // Anti-cycling: a variable released and then blocked by a zero-length step (its multiplier's
  // wrong sign was rounding noise) may not be released again until a step of positive length.
  const barred = new Uint8Array(n);
  let barredCount = 0;
  let lastReleased = -1;
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    const m = chol.m;
    const free = chol.free;
    if (!atMinimum) {
      // With a budget, a single free variable cannot move: the step within the budget hyperplane
      // is zero. Computed, it is rounding noise (~1e-15) whose sign can block the variable at once
      // and bar it, so that a vertex needing two variables to trade places never got them both
      // released ("active-set cycling" on a well-posed problem). So the step is taken from two
      // free variables on; with one, the multipliers below release the next.
      if (m > (budget === null ? 0 : 1)) {
        chol.solveGradient(g, qg);
        if (budget !== null) {
          chol.solveOnes(qo);
          let num = 0;
          let den = 0;
          for (let r = 0; r < m; r++) {
            num += qg[r]!;
            den += qo[r]!;
          }
          nu = num / den;
          for (let r = 0; r < m; r++) p[r] = -(qg[r]! - nu * qo[r]!);
        } else {
          for (let r = 0; r < m; r++) p[r] = -qg[r]!;
        }
        let alpha = 1;
        let block = -1;
        for (let r = 0; r < m; r++) {
          const i = free[r]!;
          const pr = p[r]!;
          if (pr < 0 && lower[i]! > Number.NEGATIVE_INFINITY) {
            const a = Math.max(0, (lower[i]! - x[i]!) / pr);
            if (a < alpha) {
              alpha = a;
              block = r;
            }
          } else if (pr > 0 && upper[i]! < Number.POSITIVE_INFINITY) {
            const a = Math.max(0, (upper[i]! - x[i]!) / pr);
            if (a < alpha) {
              alpha = a;
              block = r;
            }
          }
        }
        if (alpha > 0) {
          if (barredCount > 0) {
            barred.fill(0);
            barredCount = 0;
          }
          for (let r = 0; r < m; r++) x[free[r]!]! += alpha * p[r]!;
          // g += α·Q[:, F]·p, as axpys over rows (Q is symmetric): contiguous memory access
          for (let r = 0; r < m; r++) {
            const coef = alpha * p[r]!;
            if (coef === 0) continue;
            const row = Q[free[r]!]!;
            for (let k = 0; k < n; k++) g[k]! += coef * row[k]!;
          }
        }
        if (block >= 0) {
          const i = free[block]!;
          if (alpha === 0 && i === lastReleased) {
            barred[i] = 1;
            barredCount++;
          }
          const toLower = p[block]! < 0;
          x[i] = toLower ? lower[i]! : upper[i]!;
          state[i] = toLower ? AT_LOWER : AT_UPPER;
          chol.remove(block);
          continue;
        }
      }
      atMinimum = true;
    }
    // ---- multipliers at a subspace minimizer
    let scale = 0;
    let xMax = 0;
    for (let k = 0; k < n; k++) {
      scale = Math.max(scale, Math.abs(g[k]!));
      xMax = Math.max(xMax, Math.abs(x[k]!));
    }
    scale = Math.max(scale, meanDiag * xMax, 1e-300);
    const tol = 1e-11 * scale;
    if (budget !== null) {
      if (m > 0) {
        let acc = 0;
        for (let r = 0; r < m; r++) acc += g[free[r]!]!;
        nu = acc / m;
      } else {
        // every variable at a bound: ν anywhere in [max over at-upper g, min over at-lower g]
        let lo = Number.NEGATIVE_INFINITY;
        let hi = Number.POSITIVE_INFINITY;
        for (let i = 0; i < n; i++) {
          if (state[i] === AT_LOWER) hi = Math.min(hi, g[i]!);
          else if (state[i] === AT_UPPER) lo = Math.max(lo, g[i]!);
        }
        nu =
          Number.isFinite(lo) && Number.isFinite(hi)
            ? (lo + hi) / 2
            : Number.isFinite(lo)
              ? lo
              : Number.isFinite(hi)
                ? hi
                : 0;
      }
    } else nu = 0;
    let worst = -1;
    let worstViolation = tol;
    for (let i = 0; i < n; i++) {
      const st = state[i]!;
      if (st === FREE || st === FIXED || barred[i] === 1) continue;
      const z = g[i]! - nu;
      const violation = st === AT_LOWER ? -z : z;
      if (violation > worstViolation) {
        worstViolation = violation;
        worst = i;
      }
    }
    if (worst < 0) {
      // confirm against a freshly computed gradient before accepting
      const drift = f64Copy(g);
      fullGradient(Q, c, x, g);
      let moved = 0;
      for (let k = 0; k < n; k++) moved = Math.max(moved, Math.abs(drift[k]! - g[k]!));
      if (moved > tol) {
        atMinimum = false;
        continue;
      }
      if (barredCount > 0) {
        // optimality with barred variables: accept only if their multipliers are tiny
        let barredViolation = 0;
        for (let i = 0; i < n; i++) {
          if (barred[i] !== 1) continue;
          const z = g[i]! - nu;
          barredViolation = Math.max(barredViolation, state[i] === AT_LOWER ? -z : z);
        }
        if (barredViolation > 1e-8 * scale) {
          return fail("error", "active-set cycling: degenerate problem", iterations);
        }
      }
      break;
    }
    if (!chol.append(worst)) return fail("error", "Q is not positive definite on the free variables", iterations);
    state[worst] = FREE;
    lastReleased = worst;
    atMinimum = false;
  }
  if (iterations >= maxIterations)
    return fail("iteration-limit", `no convergence in ${maxIterations} iterations`, iterations);
  const out = Array.from(x);
  let objective = 0;
  for (let i = 0; i < n; i++) {
    const row = problem.Q[i]!;
    let acc = 0;
    for (let j = 0; j < n; j++) acc += row[j]! * out[j]!;
    objective += out[i]! * (0.5 * acc + problem.c[i]!);
  }
  return { status: "optimal", x: out, objective, budgetMultiplier: nu, iterations };
}
