/**
 * Small dense linear-algebra helpers for the portfolio math (row-major `number[][]`).
 * Matrices here are at most a few hundred assets wide, so plain loops over arrays beat the
 * conversion cost of a general matrix library.
 */

/** A dense matrix as rows (row-major), e.g. a covariance matrix `cov[i][j]`. */
export type Matrix = readonly (readonly number[])[];

/** Σ·x */
export function matVec(m: Matrix, x: readonly number[]): number[] {
  const n = m.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const row = m[i]!;
    let s = 0;
    for (let j = 0; j < row.length; j++) s += row[j]! * x[j]!;
    out[i] = s;
  }
  return out;
}

/** a·b */
export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** x'Σx */
export function quadForm(m: Matrix, x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = m[i]!;
    let r = 0;
    for (let j = 0; j < row.length; j++) r += row[j]! * x[j]!;
    s += xi * r;
  }
  return s;
}

/** Sum of the diagonal. */
export function trace(m: Matrix): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i]![i]!;
  return s;
}

export function sum(x: readonly number[]): number {
  let s = 0;
  for (const v of x) s += v;
  return s;
}

/** True when `m` is square with finite entries and symmetric within `tol` (relative to the largest entry). */
export function isSymmetric(m: Matrix, tol = 1e-10): boolean {
  const n = m.length;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const row = m[i]!;
    if (row.length !== n) return false;
    for (let j = 0; j < n; j++) {
      const v = row[j]!;
      if (!Number.isFinite(v)) return false;
      scale = Math.max(scale, Math.abs(v));
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) if (Math.abs(m[i]![j]! - m[j]![i]!) > tol * Math.max(scale, 1e-300)) return false;
  }
  return true;
}

/**
 * Cholesky factor L (lower, row-major) of a symmetric positive-definite matrix, or `undefined`
 * when a pivot is not positive beyond rounding (below 1e-13 of its diagonal entry).
 */
export function cholesky(m: Matrix): number[][] | undefined {
  const n = m.length;
  const l: number[][] = [];
  for (let i = 0; i < n; i++) l.push(new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    const lj = l[j]!;
    let d = m[j]![j]!;
    for (let k = 0; k < j; k++) d -= lj[k]! * lj[k]!;
    // a pivot that is zero up to rounding (relative to the diagonal entry) means "not positive definite"
    if (!(d > 1e-13 * Math.abs(m[j]![j]!)) || !Number.isFinite(d)) return undefined;
    const djj = Math.sqrt(d);
    lj[j] = djj;
    for (let i = j + 1; i < n; i++) {
      const li = l[i]!;
      let s = m[i]![j]!;
      for (let k = 0; k < j; k++) s -= li[k]! * lj[k]!;
      li[j] = s / djj;
    }
  }
  return l;
}

/** Solves L L' x = b given the Cholesky factor L. */
export function choleskySolve(l: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = l.length;
  const y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const li = l[i]!;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= li[k]! * y[k]!;
    y[i] = s / li[i]!;
  }
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * x[k]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}

/** Smallest eigenvalue estimate is expensive; this checks positive semi-definiteness by a jittered Cholesky. */
export function isPositiveSemidefinite(m: Matrix, relTol = 1e-10): boolean {
  const n = m.length;
  const jitter = (relTol * trace(m)) / Math.max(n, 1);
  const shifted = m.map((row, i) => row.map((v, j) => (i === j ? v + jitter : v)));
  return cholesky(shifted) !== undefined;
}

/** A copy of `m` as mutable rows. */
export function copyMatrix(m: Matrix): number[][] {
  return m.map((row) => row.slice());
}

/** Broadcasts a scalar-or-vector option to a vector of length n. */
export function broadcast(value: number | readonly number[], n: number): number[] {
  if (typeof value === "number") return new Array<number>(n).fill(value);
  return value.slice();
}
