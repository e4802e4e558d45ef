/**
 * A small dense ADMM solver (the OSQP iteration) for the conflict-resolution QP:
 *
 *   minimize ½ x'Px + q'x   subject to   lower ≤ x ≤ upper,   rows: a_r'x ≤ b_r
 *
 * with P positive definite and a few dozen variables. Each iteration solves one m×m system with a
 * cached Cholesky factor of (P + σI + ρA'A), A = [I; rows] (the identity part never materialized);
 * ρ adapts every 25 iterations from the ratio of the primal and dual residuals (refactoring, m³ with
 * m small). Deterministic: a fixed
 * iteration budget, no clock. The result is then made exactly feasible by the caller (see
 * `resolveConflicts`), so the solver only needs to be accurate, not exactly feasible.
 */
import { cholSolve, cholesky } from "./covariance.js";
import { f64, f64Copy, f64Map } from "../../lib/quant/f64-slab.js";

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
  const maxIt = problem.maxIterations ?? 5000;
  const eps = problem.tolerance ?? 1e-7;
  // Equilibrate: variables x = D·x̂ with D = the box widths (so x̂ lives in boxes of size ~1), then
  // the objective scaled so that P̂ has unit mean diagonal. The solution maps back as x = D·x̂.
  const D = f64(m);
  for (let i = 0; i < m; i++) {
    const w = Math.max(Math.abs(problem.lower[i]!), Math.abs(problem.upper[i]!));
    D[i] = Number.isFinite(w) && w > 0 ? w : 1;
  }
  let tr = 0;
  for (let i = 0; i < m; i++) tr += problem.P[i * m + i]! * D[i]! * D[i]!;
  const scale = tr > 0 ? m / tr : 1;
  const P = f64(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) P[i * m + j] = problem.P[i * m + j]! * D[i]! * D[j]! * scale;
  const q = f64Map(problem.q, (v, i) => v * D[i]! * scale);
  const lo = f64Map(problem.lower, (v, i) => v / D[i]!);
  const hi = f64Map(problem.upper, (v, i) => v / D[i]!);
  // Inequality rows C x <= b, each normalized to a largest |coefficient| of 1 (row-major R×m).
  const C = f64(R * m);
  const b = f64(R);
  problem.rows.forEach((r, k) => {
    let norm = 0;
    for (let i = 0; i < m; i++) norm = Math.max(norm, Math.abs(r.a[i]! * D[i]!));
    const f = norm > 0 ? 1 / norm : 1;
    for (let i = 0; i < m; i++) C[k * m + i] = r.a[i]! * D[i]! * f;
    b[k] = r.b * f;
  });
  const unscale = (v: Float64Array) => Array.from(v, (xi, i) => xi * D[i]!);
  const sigma = 1e-6;
  const alpha = 1.6;
  let rho = 10;
  // K = P + σI + ρI + ρC'C (A = [I; C]).
  const factor = (): Float64Array | undefined => {
    const K = f64(m * m);
    K.set(P);
    for (let i = 0; i < m; i++) K[i * m + i]! += sigma + rho;
    for (let k = 0; k < R; k++) {
      const off = k * m;
      for (let i = 0; i < m; i++) {
        const ci = C[off + i]!;
        if (ci === 0) continue;
        for (let j = 0; j < m; j++) K[i * m + j]! += rho * ci * C[off + j]!;
      }
    }
    return cholesky(K, m, 0);
  };
  let L = factor();
  if (L === undefined) return { status: "error", x: [], iterations: 0 };
  const x = f64(m);
  const zb = f64(m); // box part of z (= x at the solution)
  const zc = f64(R); // row part of z (= Cx)
  const yb = f64(m);
  const yc = f64(R);
  for (let i = 0; i < m; i++) zb[i] = Math.min(hi[i]!, Math.max(lo[i]!, 0));
  for (let k = 0; k < R; k++) zc[k] = Math.min(b[k]!, 0);
  const rhs = f64(m);
  const cx = f64(R);
  const mulC = (v: Float64Array, out: Float64Array) => {
    for (let k = 0; k < R; k++) {
      let s2 = 0;
      const off = k * m;
      for (let i = 0; i < m; i++) s2 += C[off + i]! * v[i]!;
      out[k] = s2;
    }
  };
  let it = 0;
  for (; it < maxIt; it++) {
    for (let i = 0; i < m; i++) rhs[i] = sigma * x[i]! - q[i]! + rho * zb[i]! - yb[i]!;
    for (let k = 0; k < R; k++) {
      const w = rho * zc[k]! - yc[k]!;
      if (w === 0) continue;
      const off = k * m;
      for (let i = 0; i < m; i++) rhs[i]! += C[off + i]! * w;
    }
    const xt = cholSolve(L, m, rhs);
    mulC(xt, cx);
    for (let i = 0; i < m; i++) {
      const relaxed = alpha * xt[i]! + (1 - alpha) * zb[i]!;
      x[i] = alpha * xt[i]! + (1 - alpha) * x[i]!;
      const zNew = Math.min(hi[i]!, Math.max(lo[i]!, relaxed + yb[i]! / rho));
      yb[i]! += rho * (relaxed - zNew);
      zb[i] = zNew;
    }
    for (let k = 0; k < R; k++) {
      const relaxed = alpha * cx[k]! + (1 - alpha) * zc[k]!;
      const zNew = Math.min(b[k]!, relaxed + yc[k]! / rho);
      yc[k]! += rho * (relaxed - zNew);
      zc[k] = zNew;
    }
    if (it % 5 !== 4 && it !== maxIt - 1) continue;
    // Residuals: primal ‖Ax − z‖∞, dual ‖Px + q + A'y‖∞ (relative to the sizes of their terms).
    mulC(x, cx);
    let prim = 0;
    let axN = 0;
    let zN = 0;
    for (let i = 0; i < m; i++) {
      prim = Math.max(prim, Math.abs(x[i]! - zb[i]!));
      axN = Math.max(axN, Math.abs(x[i]!));
      zN = Math.max(zN, Math.abs(zb[i]!));
    }
    for (let k = 0; k < R; k++) {
      prim = Math.max(prim, Math.abs(cx[k]! - zc[k]!));
      axN = Math.max(axN, Math.abs(cx[k]!));
      zN = Math.max(zN, Math.abs(zc[k]!));
    }
    let dual = 0;
    let pxN = 0;
    let atyN = 0;
    let qN = 0;
    const aty = f64Copy(yb);
    for (let k = 0; k < R; k++) {
      const yk = yc[k]!;
      if (yk === 0) continue;
      const off = k * m;
      for (let i = 0; i < m; i++) aty[i]! += C[off + i]! * yk;
    }
    for (let i = 0; i < m; i++) {
      let px = 0;
      const off = i * m;
      for (let j = 0; j < m; j++) px += P[off + j]! * x[j]!;
      dual = Math.max(dual, Math.abs(px + q[i]! + aty[i]!));
      pxN = Math.max(pxN, Math.abs(px));
      atyN = Math.max(atyN, Math.abs(aty[i]!));
      qN = Math.max(qN, Math.abs(q[i]!));
    }
    const primScale = Math.max(axN, zN);
    const dualScale = Math.max(pxN, atyN, qN);
    if (prim <= eps + eps * primScale && dual <= eps + eps * dualScale) {
      return { status: "optimal", x: unscale(x), iterations: it + 1 };
    }
    if (it % 25 === 24) {
      const ratio = Math.sqrt(prim / Math.max(primScale, 1e-30) / Math.max(dual / Math.max(dualScale, 1e-30), 1e-30));
      if (Number.isFinite(ratio) && (ratio > 5 || ratio < 0.2)) {
        const next = Math.min(1e6, Math.max(1e-6, rho * ratio));
        // y is kept; z is unaffected by ρ. Refactor K for the new ρ.
        rho = next;
        const nl = factor();
        if (nl === undefined) return { status: "error", x: [], iterations: it + 1 };
        L = nl;
      }
    }
  }
  return { status: "iteration-limit", x: unscale(x), iterations: it };
}
