/**
 * A small dense ADMM solver (the OSQP iteration) for the conflict-resolution QP:
 *
 *   minimize ½ x'Px + q'x   subject to   lower ≤ x ≤ upper,   rows: a_r'x ≤ b_r
 *
 * with P positive definite and a few dozen variables. Each iteration solves one m×m system with a
 * cached Cholesky factor of (P + σI + ρA'A), A = [I; rows]; ρ adapts every 25 iterations from the
 * ratio of the primal and dual residuals (refactoring, m³ with m small). Deterministic: a fixed
 * iteration budget, no clock. The result is then made exactly feasible by the caller (see
 * `resolveConflicts`), so the solver only needs to be accurate, not exactly feasible.
 */

export interface AdmmProblem {
  /** Dense symmetric positive definite m×m, row-major. */
  readonly P: Float64Array;
  readonly q: readonly number[];
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  /** Inequality rows a_r'x <= b_r. */
  readonly rows: readonly { readonly a: readonly number[]; readonly b: number }[];
  readonly maxIterations?: number;
  /** Absolute and relative tolerance on the primal and dual residuals. Default 1e-9. */
  readonly tolerance?: number;
}

export interface AdmmResult {
  readonly status: "optimal" | "iteration-limit" | "error";
  readonly x: number[];
  readonly iterations: number;
}

export function solveAdmm(problem: AdmmProblem): AdmmResult {
  const m = problem.q.length;
  const R = problem.rows.length;
  const rowsA = m + R;
  const maxIt = problem.maxIterations ?? 5000;
  const eps = problem.tolerance ?? 1e-9;
  // Scale so that P has unit mean diagonal (the solution is unchanged; q scales along).
  let tr = 0;
  for (let i = 0; i < m; i++) tr += problem.P[i * m + i]!;
  const scale = tr > 0 ? m / tr : 1;
  const P = problem.P.map((v) => v * scale);
  const q = problem.q.map((v) => v * scale);
  // Row-normalize the inequality rows.
  const A: number[][] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 0; i < m; i++) {
    const row = new Array<number>(m).fill(0);
    row[i] = 1;
    A.push(row);
    lo.push(problem.lower[i]!);
    hi.push(problem.upper[i]!);
  }
  for (const r of problem.rows) {
    let norm = 0;
    for (const v of r.a) norm = Math.max(norm, Math.abs(v));
    const f = norm > 0 ? 1 / norm : 1;
    A.push(r.a.map((v) => v * f));
    lo.push(Number.NEGATIVE_INFINITY);
    hi.push(r.b * f);
  }
  const sigma = 1e-6;
  const alpha = 1.6;
  let rho = 0.1;
  const rhoOf = (k: number) => (k < m ? rho : rho); // one ρ for all rows (kept simple)
  const factor = (): Float64Array | undefined => {
    const K = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) K[i * m + j] = P[i * m + j]!;
    for (let i = 0; i < m; i++) K[i * m + i]! += sigma;
    for (let k = 0; k < rowsA; k++) {
      const a = A[k]!;
      const rk = rhoOf(k);
      for (let i = 0; i < m; i++) {
        const ai = a[i]!;
        if (ai === 0) continue;
        for (let j = 0; j < m; j++) K[i * m + j]! += rk * ai * a[j]!;
      }
    }
    return chol(K, m);
  };
  let L = factor();
  if (L === undefined) return { status: "error", x: [], iterations: 0 };
  let x = new Float64Array(m);
  let z = new Float64Array(rowsA);
  let y = new Float64Array(rowsA);
  for (let k = 0; k < rowsA; k++) z[k] = Math.min(hi[k]!, Math.max(lo[k]!, 0));
  const Ax = (v: Float64Array) => {
    const out = new Float64Array(rowsA);
    for (let k = 0; k < rowsA; k++) {
      const a = A[k]!;
      let s = 0;
      for (let i = 0; i < m; i++) s += a[i]! * v[i]!;
      out[k] = s;
    }
    return out;
  };
  let it = 0;
  for (; it < maxIt; it++) {
    // rhs = σx − q + A'(ρz − y)
    const rhs = new Float64Array(m);
    for (let i = 0; i < m; i++) rhs[i] = sigma * x[i]! - q[i]!;
    for (let k = 0; k < rowsA; k++) {
      const w = rhoOf(k) * z[k]! - y[k]!;
      if (w === 0) continue;
      const a = A[k]!;
      for (let i = 0; i < m; i++) rhs[i]! += a[i]! * w;
    }
    const xt = cholSolve(L, m, rhs);
    const zt = Ax(xt);
    const xNew = new Float64Array(m);
    for (let i = 0; i < m; i++) xNew[i] = alpha * xt[i]! + (1 - alpha) * x[i]!;
    const zNew = new Float64Array(rowsA);
    const yNew = new Float64Array(rowsA);
    for (let k = 0; k < rowsA; k++) {
      const relaxed = alpha * zt[k]! + (1 - alpha) * z[k]!;
      const rk = rhoOf(k);
      zNew[k] = Math.min(hi[k]!, Math.max(lo[k]!, relaxed + y[k]! / rk));
      yNew[k] = y[k]! + rk * (relaxed - zNew[k]!);
    }
    x = xNew;
    z = zNew;
    y = yNew;
    if (it % 10 === 9 || it === maxIt - 1) {
      // Residuals: primal ‖Ax − z‖∞, dual ‖Px + q + A'y‖∞.
      const ax = Ax(x);
      let prim = 0;
      let axN = 0;
      let zN = 0;
      for (let k = 0; k < rowsA; k++) {
        prim = Math.max(prim, Math.abs(ax[k]! - z[k]!));
        axN = Math.max(axN, Math.abs(ax[k]!));
        zN = Math.max(zN, Math.abs(z[k]!));
      }
      let dual = 0;
      let pxN = 0;
      let atyN = 0;
      let qN = 0;
      for (let i = 0; i < m; i++) {
        let px = 0;
        for (let j = 0; j < m; j++) px += P[i * m + j]! * x[j]!;
        let aty = 0;
        for (let k = 0; k < rowsA; k++) aty += A[k]![i]! * y[k]!;
        dual = Math.max(dual, Math.abs(px + q[i]! + aty));
        pxN = Math.max(pxN, Math.abs(px));
        atyN = Math.max(atyN, Math.abs(aty));
        qN = Math.max(qN, Math.abs(q[i]!));
      }
      const epsPrim = eps + eps * Math.max(axN, zN);
      const epsDual = eps + eps * Math.max(pxN, atyN, qN);
      if (prim <= epsPrim && dual <= epsDual) {
        it++;
        return { status: "optimal", x: Array.from(x), iterations: it };
      }
      if (it % 50 === 49) {
        const ratio = Math.sqrt(
          prim / Math.max(axN, zN, 1e-30) / Math.max(dual / Math.max(pxN, atyN, qN, 1e-30), 1e-30),
        );
        if (Number.isFinite(ratio) && (ratio > 5 || ratio < 0.2)) {
          rho = Math.min(1e6, Math.max(1e-6, rho * ratio));
          const nl = factor();
          if (nl === undefined) return { status: "error", x: [], iterations: it };
          L = nl;
        }
      }
    }
  }
  return { status: "iteration-limit", x: Array.from(x), iterations: it };
}

function chol(a: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
    if (!(d > 0)) return undefined;
    const djj = Math.sqrt(d);
    l[j * n + j] = djj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / djj;
    }
  }
  return l;
}

function cholSolve(l: Float64Array, n: number, b: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}
