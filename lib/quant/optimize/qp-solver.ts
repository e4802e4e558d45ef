/**
 * `solveQP`: convex quadratic programs through HiGHS (WebAssembly), via its structured model API
 * with a sparse lower-triangular Hessian.
 *
 * ```
 * minimize    ½ x'Px + q'x
 * subject to  lower  ≤ x  ≤ upper          (variable bounds)
 *             cLower ≤ Ax ≤ cUpper         (linear constraints, one per row)
 * ```
 *
 * Async/sync convention: the WASM module is loaded once, asynchronously, by {@link initSolver}
 * (idempotent; `await` it at start-up). After that every solve is synchronous and blocking.
 * A solve attempted before initialization returns status `"error"` (it never throws).
 *
 * Safety: HiGHS's active-set QP solver fails to terminate when Hessian entries are around 1e-3 or
 * smaller (e.g. daily-return covariances), so the whole objective is rescaled by `n / trace(P)`
 * (optimal x unchanged; objective and duals are scaled back). Every solve carries a time limit
 * (default 1 s) and an iteration limit, and only HiGHS's "Optimal" status yields a solution.
 */
import highsModule from "highs";
import type { HessianInput, Highs, InitOptions, Model } from "highs";
import type { Matrix } from "../linalg.js";

/** Outcome of a solve. Only `"optimal"` carries weights/solution values. */
export type SolveStatus = "optimal" | "infeasible" | "unbounded" | "time-limit" | "iteration-limit" | "error";

/** Symmetric matrix in compressed sparse columns (HiGHS's Hessian layout). */
export interface SparseSymmetricMatrix {
  /** `"triangular"`: only entries with row ≥ column are stored; `"square"`: all entries. */
  readonly format: "triangular" | "square";
  readonly dimension: number;
  /** Column boundaries into `indices`/`values`, length `dimension + 1`. */
  readonly starts: readonly number[] | Int32Array;
  /** Row index of each entry. */
  readonly indices: readonly number[] | Int32Array;
  readonly values: readonly number[] | Float64Array;
}

/** One linear constraint `lower ≤ a'x ≤ upper`, with `a` dense (`coefficients`) or sparse (`indices`+`values`). */
export interface LinearConstraint {
  readonly coefficients?: readonly number[];
  readonly indices?: readonly number[];
  readonly values?: readonly number[];
  /** Default -Infinity. */
  readonly lower?: number;
  /** Default +Infinity. */
  readonly upper?: number;
}

export interface QPProblem {
  /** Positive semidefinite Hessian, dense rows or sparse; omit for a linear program. */
  readonly P?: Matrix | SparseSymmetricMatrix;
  /** Linear term; its length is the number of variables. */
  readonly q: readonly number[];
  /** Variable lower bounds (scalar or per variable); default -Infinity. */
  readonly lower?: number | readonly number[];
  /** Variable upper bounds (scalar or per variable); default +Infinity. */
  readonly upper?: number | readonly number[];
  readonly constraints?: readonly LinearConstraint[];
  /**
   * Wall-clock budget in seconds for the solver (default 10): a safety net against a solve that
   * never returns. The iteration limit is what bounds work deterministically; a result that hit the
   * time limit is reported as `time-limit`, never as optimal.
   */
  readonly timeLimit?: number;
  /** QP active-set / simplex iteration limit (default 10 000 + 50·(n + rows)). */
  readonly iterationLimit?: number;
  /**
   * Objective scale: `"auto"` (default) multiplies P and q by n / trace(P); a number uses that
   * factor; `1` disables. Scaling never changes the optimal x.
   */
  readonly scale?: "auto" | number;
}

export interface QPResult {
  readonly status: SolveStatus;
  /** Optimal solution; empty unless status is `"optimal"`. */
  readonly x: number[];
  /** ½ x'Px + q'x at `x` (unscaled); `Infinity` unless optimal. */
  readonly objective: number;
  /**
   * Lagrange multipliers, convention `Px + q = A'rowDuals + colDuals`: a positive row dual means the
   * row's lower bound binds, negative its upper bound; likewise `colDuals` for variable bounds.
   */
  readonly rowDuals: number[];
  readonly colDuals: number[];
  readonly iterations: number;
  readonly message?: string;
}

type HighsLoader = (options?: InitOptions) => Promise<Highs>;
/** The ESM build default-exports the loader; the CJS typings describe it as a namespace. Accept both. */
const loadHighs: HighsLoader =
  typeof highsModule === "function"
    ? (highsModule as unknown as HighsLoader)
    : (highsModule as unknown as { default: HighsLoader }).default;

let highs: Highs | undefined;
let loading: Promise<void> | undefined;
let model: Model | undefined;

/** Loads the HiGHS WebAssembly module once. Idempotent; await before the first solve. */
export function initSolver(): Promise<void> {
  if (highs) return Promise.resolve();
  if (!loading) {
    loading = loadHighs().then(
      (h) => {
        highs = h;
      },
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    );
  }
  return loading as Promise<void>;
}

/** Whether {@link initSolver} has completed, i.e. solves can run synchronously. */
export function isSolverReady(): boolean {
  return highs !== undefined;
}

function failure(status: SolveStatus, message: string, iterations = 0): QPResult {
  return { status, x: [], objective: Number.POSITIVE_INFINITY, rowDuals: [], colDuals: [], iterations, message };
}

/**
 * Lower triangle of a dense symmetric matrix in HiGHS's CSC layout, padded with empty columns up to
 * `dimension` (for extra variables without a quadratic term), each entry multiplied by `factor`.
 */
export function lowerTriangle(m: Matrix, dimension = m.length, factor = 1): SparseSymmetricMatrix {
  const n = m.length;
  const nnz = (n * (n + 1)) / 2;
  const starts = new Int32Array(dimension + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let k = 0;
  for (let j = 0; j < n; j++) {
    for (let i = j; i < n; i++) {
      indices[k] = i;
      values[k] = m[i]![j]! * factor;
      k++;
    }
    starts[j + 1] = k;
  }
  for (let j = n; j < dimension; j++) starts[j + 1] = k;
  return { format: "triangular", dimension, starts, indices, values };
}

function isSparse(p: Matrix | SparseSymmetricMatrix): p is SparseSymmetricMatrix {
  return !Array.isArray(p);
}

/** Lower triangle of P, scaled, in CSC; also the trace (of the unscaled P). */
function hessianOf(p: Matrix | SparseSymmetricMatrix, n: number): { h: HessianInput; traceP: number } | string {
  if (isSparse(p)) {
    if (p.dimension !== n) return `P dimension ${p.dimension} does not match q length ${n}`;
    const starts: number[] = [0];
    const indices: number[] = [];
    const values: number[] = [];
    let traceP = 0;
    for (let j = 0; j < n; j++) {
      for (let k = p.starts[j]!; k < p.starts[j + 1]!; k++) {
        const i = p.indices[k]!;
        const v = p.values[k]!;
        if (i === j) traceP += v;
        if (i >= j && v !== 0) {
          indices.push(i);
          values.push(v);
        }
      }
      starts.push(indices.length);
    }
    return {
      h: {
        format: "triangular",
        dimension: n,
        starts: Int32Array.from(starts),
        indices: Int32Array.from(indices),
        values: Float64Array.from(values),
      },
      traceP,
    };
  }
  const dense = p as Matrix;
  if (dense.length !== n) return `P has ${dense.length} rows but q has length ${n}`;
  let nnz = 0;
  for (let j = 0; j < n; j++) {
    const row = dense[j];
    if (!row || row.length !== n) return "P must be square";
    for (let i = j; i < n; i++) if (dense[i]![j]! !== 0) nnz++;
  }
  const starts = new Int32Array(n + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let k = 0;
  let traceP = 0;
  for (let j = 0; j < n; j++) {
    traceP += dense[j]![j]!;
    for (let i = j; i < n; i++) {
      const v = dense[i]![j]!;
      if (v !== 0) {
        indices[k] = i;
        values[k] = v;
        k++;
      }
    }
    starts[j + 1] = k;
  }
  return { h: { format: "triangular", dimension: n, starts, indices, values }, traceP };
}

function vectorOf(v: number | readonly number[] | undefined, n: number, fallback: number): Float64Array | string {
  const out = new Float64Array(n);
  if (v === undefined) out.fill(fallback);
  else if (typeof v === "number") out.fill(v);
  else {
    if (v.length !== n) return `bound vector has length ${v.length}, expected ${n}`;
    out.set(v);
  }
  return out;
}

function hasNaN(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (Number.isNaN(v[i]!)) return true;
  return false;
}

/**
 * Solves a convex QP (or LP when `P` is omitted). Never throws for bad numbers or solver trouble:
 * those come back as status `"error"` with a message; infeasible/unbounded/limits are typed statuses.
 */
export function solveQP(problem: QPProblem): QPResult {
  if (!highs) return failure("error", "HiGHS is not loaded: await initSolver() before solving");
  const h = highs;
  const n = problem.q.length;
  if (n === 0) return failure("error", "empty problem");
  if (hasNaN(problem.q)) return failure("error", "q contains NaN");
  const colLower = vectorOf(problem.lower, n, Number.NEGATIVE_INFINITY);
  const colUpper = vectorOf(problem.upper, n, Number.POSITIVE_INFINITY);
  if (typeof colLower === "string") return failure("error", colLower);
  if (typeof colUpper === "string") return failure("error", colUpper);
  if (hasNaN(colLower) || hasNaN(colUpper)) return failure("error", "bounds contain NaN");
  for (let i = 0; i < n; i++)
    if (colLower[i]! > colUpper[i]!) return failure("infeasible", `lower > upper for x[${i}]`);

  let hessian: HessianInput | undefined;
  let s = 1;
  if (problem.P) {
    const built = hessianOf(problem.P, n);
    if (typeof built === "string") return failure("error", built);
    if (hasNaN(built.h.values)) return failure("error", "P contains NaN");
    if (!Number.isFinite(built.traceP) || built.traceP < 0) return failure("error", "P must have a non-negative trace");
    const sc = problem.scale ?? "auto";
    s = sc === "auto" ? (built.traceP > 0 ? n / built.traceP : 1) : sc;
    if (!(s > 0) || !Number.isFinite(s)) return failure("error", "scale must be a positive finite number");
    if (s !== 1) {
      const vals = Float64Array.from(built.h.values);
      for (let k = 0; k < vals.length; k++) vals[k]! *= s;
      hessian = { ...built.h, values: vals };
    } else {
      hessian = built.h;
    }
    if (hessian.values.length === 0) hessian = undefined;
  }
  const colCost = new Float64Array(n);
  for (let i = 0; i < n; i++) colCost[i] = problem.q[i]! * s;

  const constraints = problem.constraints ?? [];
  const m = constraints.length;
  const rowLower = new Float64Array(m);
  const rowUpper = new Float64Array(m);
  const rowScale = new Float64Array(m).fill(1);
  const starts: number[] = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < m; r++) {
    const c = constraints[r]!;
    rowLower[r] = c.lower ?? Number.NEGATIVE_INFINITY;
    rowUpper[r] = c.upper ?? Number.POSITIVE_INFINITY;
    if (Number.isNaN(rowLower[r]!) || Number.isNaN(rowUpper[r]!))
      return failure("error", `constraint ${r} bound is NaN`);
    if (rowLower[r]! > rowUpper[r]!) return failure("infeasible", `constraint ${r} has lower > upper`);
    if (c.coefficients) {
      if (c.coefficients.length !== n)
        return failure("error", `constraint ${r} has ${c.coefficients.length} coefficients`);
      for (let j = 0; j < n; j++) {
        const v = c.coefficients[j]!;
        if (Number.isNaN(v)) return failure("error", `constraint ${r} has NaN coefficient`);
        if (v !== 0) {
          indices.push(j);
          values.push(v);
        }
      }
    } else if (c.indices && c.values && c.indices.length === c.values.length) {
      const seen = new Set<number>();
      for (let k = 0; k < c.indices.length; k++) {
        const j = c.indices[k]!;
        const v = c.values[k]!;
        if (!Number.isInteger(j) || j < 0 || j >= n || seen.has(j)) {
          return failure("error", `constraint ${r} has a bad or repeated index ${j}`);
        }
        if (Number.isNaN(v)) return failure("error", `constraint ${r} has NaN coefficient`);
        seen.add(j);
        if (v !== 0) {
          indices.push(j);
          values.push(v);
        }
      }
    } else {
      return failure("error", `constraint ${r} needs coefficients, or indices and values of equal length`);
    }
    // Row equilibration: scale the row so its largest |coefficient| is 1 (HiGHS's QP solver fails
    // on rows of tiny coefficients such as daily expected returns); duals are scaled back below.
    let big = 0;
    for (let k = starts[r]!; k < indices.length; k++) big = Math.max(big, Math.abs(values[k]!));
    const rs = big > 0 && Number.isFinite(big) ? 1 / big : 1;
    rowScale[r] = rs;
    if (rs !== 1) {
      for (let k = starts[r]!; k < indices.length; k++) values[k]! *= rs;
      rowLower[r]! *= rs;
      rowUpper[r]! *= rs;
    }
    starts.push(indices.length);
  }

  try {
    if (!model || model.disposed) {
      model = h.createModel();
      model.options.set({ output_flag: false });
    }
    const timeLimit = problem.timeLimit ?? 10;
    const iterationLimit = Math.floor(problem.iterationLimit ?? 10_000 + 50 * (n + m));
    model.options.set({
      time_limit: timeLimit > 0 ? timeLimit : 1,
      qp_iteration_limit: iterationLimit,
      simplex_iteration_limit: iterationLimit,
    });
    model.passModel({
      numCols: n,
      numRows: m,
      colCost,
      colLower,
      colUpper,
      rowLower,
      rowUpper,
      matrix: {
        format: "csr",
        numRows: m,
        numCols: n,
        starts: Int32Array.from(starts),
        indices: Int32Array.from(indices),
        values: Float64Array.from(values),
      },
      ...(hessian ? { hessian } : {}),
    });
    model.zeroAllClocks();
    const run = model.run();
    const codes = h.constants.modelStatus;
    const iterations = Number(model.info.get(hessian ? "qp_iteration_count" : "simplex_iteration_count") ?? 0);
    switch (run.modelStatus) {
      case codes.optimal: {
        const sol = model.getSolution();
        const x = Array.from(sol.colValue);
        const rowDuals = Array.from(sol.rowDual, (v, r) => (v * rowScale[r]!) / s);
        const colDuals = Array.from(sol.colDual, (v) => v / s);
        const objective = model.getObjectiveValue() / s;
        return { status: "optimal", x, objective, rowDuals, colDuals, iterations };
      }
      case codes.infeasible:
        return failure("infeasible", "HiGHS proved the constraints infeasible", iterations);
      case codes.unboundedOrInfeasible:
        return failure("infeasible", "HiGHS: infeasible or unbounded (not distinguished)", iterations);
      case codes.unbounded:
        return failure("unbounded", "HiGHS proved the objective unbounded", iterations);
      case codes.timeLimit:
        return failure("time-limit", `time limit of ${timeLimit}s reached`, iterations);
      case codes.iterationLimit:
        return failure("iteration-limit", `iteration limit of ${iterationLimit} reached`, iterations);
      default:
        return failure("error", `HiGHS model status ${run.modelStatus}`, iterations);
    }
  } catch (err) {
    // A throw from the WASM wrapper may leave the shared model in an unknown state: start afresh next time.
    try {
      model?.dispose();
    } catch {
      // already unusable
    }
    model = undefined;
    return failure("error", `HiGHS failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
