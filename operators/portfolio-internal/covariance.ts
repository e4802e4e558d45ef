/**
 * Annualized covariance of a universe of instruments from the latest {@link CovarianceModel}
 * (Σij = ρij σi σj). An instrument missing from the model falls back to the volatility in its
 * market data with zero correlation to everything else; one with neither is reported missing
 * (its row and column are zero).
 */
import type { CovarianceModel, InstrumentInfo } from "../../lib/domain/portfolio.js";
import { f64, f64Copy } from "../../lib/quant/f64-slab.js";
import { packedMap } from "../internal/packed-map.js";

/** A dense symmetric n x n matrix, row-major. */
export interface DenseCovariance {
  readonly n: number;
  readonly data: Float64Array;
  /** Annualized volatility per instrument (NaN when missing). */
  readonly vols: Float64Array;
  /** Ids with no volatility from either source. */
  readonly missing: readonly string[];
}

const modelIndex = new WeakMap<CovarianceModel, Map<string, number>>();

function indexOf(model: CovarianceModel): Map<string, number> {
  let idx = modelIndex.get(model);
  if (idx === undefined) {
    idx = new Map();
    model.instrumentIds.forEach((id, i) => {
      idx!.set(id, i);
    });
    modelIndex.set(model, idx);
  }
  return idx;
}

const denseCache = new WeakMap<CovarianceModel, Map<string, DenseCovariance>>();
const DENSE_CACHE_SIZE = 4;

/**
 * The dense covariance of `ids`, cached per model (by the ids and the fallback volatilities of the
 * ids the model lacks), so the operators of one batch — and later batches on the same universe —
 * build it once. The returned object is shared: treat it as immutable.
 */
export function covarianceFor(
  ids: readonly string[],
  model: CovarianceModel | undefined,
  market: ReadonlyMap<string, InstrumentInfo> | undefined,
): DenseCovariance {
  if (model === undefined) return buildCovariance(ids, model, market);
  const idx = indexOf(model);
  let key = ids.join("\u0001");
  for (const id of ids) if (!idx.has(id)) key += `\u0002${id}=${market?.get(id)?.volatility}`;
  let byKey = denseCache.get(model);
  if (byKey === undefined) {
    byKey = new Map();
    denseCache.set(model, byKey);
  }
  const hit = byKey.get(key);
  if (hit !== undefined) {
    byKey.delete(key);
    byKey.set(key, hit);
    return hit;
  }
  const built = buildCovariance(ids, model, market);
  byKey.set(key, built);
  while (byKey.size > DENSE_CACHE_SIZE) byKey.delete(byKey.keys().next().value!);
  return built;
}

/**
 * The volatilities of a universe and where each id sits in the model, exactly as the dense
 * covariance of the same ids has them ({@link covarianceFor}), without the O(n²) matrix.
 */
export interface UniverseVols {
  readonly n: number;
  /** Annualized volatility per instrument (NaN when missing). */
  readonly vols: Float64Array;
  /** Model index per instrument, -1 when the volatility comes from market data or is missing. */
  readonly modelAt: Int32Array;
  readonly missing: readonly string[];
  readonly model: CovarianceModel | undefined;
}

export function universeVols(
  ids: readonly string[],
  model: CovarianceModel | undefined,
  market: ReadonlyMap<string, InstrumentInfo> | undefined,
): UniverseVols {
  const n = ids.length;
  const modelAt = new Int32Array(n).fill(-1);
  const vols = f64(n);
  const missing: string[] = [];
  const idx = model ? indexOf(model) : undefined;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    const k = idx?.get(id);
    const mv = k !== undefined ? model!.volatilities[k] : undefined;
    if (k !== undefined && mv !== undefined && Number.isFinite(mv) && mv >= 0 && model!.correlations[k] !== undefined) {
      modelAt[i] = k;
      vols[i] = mv;
      continue;
    }
    const fv = market?.get(id)?.volatility;
    if (fv !== undefined && Number.isFinite(fv) && fv >= 0) vols[i] = fv;
    else {
      vols[i] = Number.NaN;
      missing.push(id);
    }
  }
  return { n, vols, modelAt, missing, model };
}

function buildCovariance(
  ids: readonly string[],
  model: CovarianceModel | undefined,
  market: ReadonlyMap<string, InstrumentInfo> | undefined,
): DenseCovariance {
  const { n, vols, modelAt, missing } = universeVols(ids, model, market);
  const data = f64(n * n);
  for (let i = 0; i < n; i++) {
    const vi = vols[i]!;
    if (Number.isNaN(vi)) continue;
    data[i * n + i] = vi * vi;
    const ki = modelAt[i]!;
    if (ki < 0) continue;
    const row = model!.correlations[ki]!;
    for (let j = 0; j < i; j++) {
      const kj = modelAt[j]!;
      if (kj < 0) continue;
      const rho = row[kj] ?? 0;
      const c = rho * vi * vols[j]!;
      data[i * n + j] = c;
      data[j * n + i] = c;
    }
  }
  return { n, data, vols, missing };
}

/**
 * (Σx)_r for the universe rows `rows`, where x is non-zero only at the universe indices `cols`
 * (ascending), without the dense matrix: O(|rows|·|cols|). Every entry is computed as
 * {@link covarianceFor} computes it and the sums run in {@link mulVec}'s order (four accumulators
 * by column index, the tail in the first), skipping only zero terms, so the results are
 * bit-identical to `mulVec(covarianceFor(ids, …), x)` at those rows.
 */
export function mulRowsSparse(
  u: UniverseVols,
  rows: readonly number[],
  cols: readonly number[],
  x: ArrayLike<number>,
): Float64Array {
  const { n, vols, modelAt } = u;
  const corr = u.model?.correlations;
  const n4 = n - (n % 4);
  const out = f64(rows.length);
  const acc = f64(4);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    const vi = vols[i]!;
    acc.fill(0);
    if (!Number.isNaN(vi)) {
      const ki = modelAt[i]!;
      const rowI = ki >= 0 ? corr![ki]! : undefined;
      for (let t = 0; t < cols.length; t++) {
        const j = cols[t]!;
        const xj = x[j]!;
        if (xj === 0) continue;
        const vj = vols[j]!;
        let e: number;
        if (j === i) e = vi * vi;
        else {
          const kj = modelAt[j]!;
          if (Number.isNaN(vj) || rowI === undefined || kj < 0) continue;
          e = j < i ? (rowI[kj] ?? 0) * vi * vj : (corr![kj]![ki] ?? 0) * vj * vi;
        }
        acc[j < n4 ? j & 3 : 0]! += e * xj;
      }
    }
    out[r] = acc[0]! + acc[1]! + acc[2]! + acc[3]!;
  }
  return out;
}

const productCache = new WeakMap<DenseCovariance, { x: Float64Array; out: Float64Array }[]>();
const PRODUCT_CACHE_SIZE = 6;

/**
 * Σx for a dense row-major matrix. The last few products per matrix are remembered by the content
 * of x (an O(n) comparison against an O(n²) product), since the operators of one batch multiply
 * the same holdings and benchmark vectors. The result is shared: treat it as immutable.
 */
export function mulVec(cov: DenseCovariance, x: ArrayLike<number>): Float64Array {
  const { n, data } = cov;
  let entries = productCache.get(cov);
  if (entries !== undefined) {
    for (const e of entries) {
      let same = e.x.length === x.length;
      for (let i = 0; same && i < n; i++) same = e.x[i] === x[i];
      if (same) return e.out;
    }
  } else {
    entries = [];
    productCache.set(cov, entries);
  }
  const out = f64(n);
  const xs = f64Copy(x as ArrayLike<number>);
  const n4 = n - (n % 4);
  for (let i = 0; i < n; i++) {
    const off = i * n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j < n4; j += 4) {
      s0 += data[off + j]! * xs[j]!;
      s1 += data[off + j + 1]! * xs[j + 1]!;
      s2 += data[off + j + 2]! * xs[j + 2]!;
      s3 += data[off + j + 3]! * xs[j + 3]!;
    }
    for (; j < n; j++) s0 += data[off + j]! * xs[j]!;
    out[i] = s0 + s1 + s2 + s3;
  }
  entries.push({ x: xs, out });
  if (entries.length > PRODUCT_CACHE_SIZE) entries.shift();
  return out;
}

export function dotArr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Solves A x = b for a symmetric positive (semi)definite A (row-major, n x n) by Cholesky; a
 * tiny ridge (1e-12 · trace/n, growing tenfold) is added until the factorization succeeds.
 */
export function solveSpd(a: Float64Array, n: number, b: ArrayLike<number>, cache?: FactorCache): Float64Array {
  return cholSolve(factor(a, n, cache), n, b);
}

/**
 * Cholesky factors by matrix content, so that a batch on the same covariance and universe as an
 * earlier one skips the O(n³) factorization. Bounded (least recently used evicted).
 */
export class FactorCache {
  private readonly entries = new Map<string, { a: Float64Array; l: Float64Array }>();
  constructor(private readonly capacity = 8) {}
  get(key: string, a: Float64Array): Float64Array | undefined {
    const e = this.entries.get(key);
    if (e === undefined || e.a.length !== a.length) return undefined;
    for (let i = 0; i < a.length; i++) if (e.a[i] !== a[i]) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.l;
  }
  set(key: string, a: Float64Array, l: Float64Array): void {
    this.entries.delete(key);
    this.entries.set(key, { a: a.slice(), l });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

function factor(a: Float64Array, n: number, cache: FactorCache | undefined): Float64Array {
  const key = `${n}:${a.length > 0 ? a[0] : 0}:${a.length > 0 ? a[a.length - 1] : 0}`;
  const hit = cache?.get(key, a);
  if (hit !== undefined) return hit;
  let tr = 0;
  for (let i = 0; i < n; i++) tr += a[i * n + i]!;
  const base = tr > 0 ? tr / n : 1;
  for (let ridge = 0, attempt = 0; attempt < 12; attempt++, ridge = ridge === 0 ? 1e-12 * base : ridge * 10) {
    const l = cholesky(a, n, ridge);
    if (l !== undefined) {
      cache?.set(key, a, l);
      return l;
    }
  }
  throw new Error("solveSpd: matrix is not positive semidefinite");
}

/** Dense Cholesky factor L (row-major, lower) of a + ridge·I; undefined when not positive definite. */
export function cholesky(a: Float64Array, n: number, ridge: number): Float64Array | undefined {
  const l = f64(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]! + ridge;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
    if (!(d > 0) || !Number.isFinite(d)) return undefined;
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

/** Solves L L' x = b for a factor from {@link cholesky}. */
export function cholSolve(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const y = f64(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const x = f64(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}

const factorCache = new WeakMap<DenseCovariance, Map<string, Float64Array>>();
const FACTOR_CACHE_SIZE = 4;

/**
 * Solves Σ_RR x = b for the principal submatrix of `cov` on `rows`, with the Cholesky factor cached
 * per (covariance, rows): a later batch with the same covariance and the same rows skips the O(n³)
 * factorization.
 */
export function solveSubsystem(cov: DenseCovariance, rows: readonly number[], b: ArrayLike<number>): Float64Array {
  const m = rows.length;
  const key = rows.join(",");
  let byRows = factorCache.get(cov);
  if (byRows === undefined) {
    byRows = new Map();
    factorCache.set(cov, byRows);
  }
  let l = byRows.get(key);
  if (l === undefined) {
    const whole = m === cov.n && rows.every((r, i) => r === i);
    l = factor(whole ? cov.data : submatrix(cov, rows), m, undefined);
    byRows.set(key, l);
    while (byRows.size > FACTOR_CACHE_SIZE) byRows.delete(byRows.keys().next().value!);
  } else {
    byRows.delete(key);
    byRows.set(key, l);
  }
  return cholSolve(l, m, b);
}

/** Σ·x for an x that is non-zero only at `idx` (values `vals`): O(n·|idx|). */
export function mulSparse(cov: DenseCovariance, idx: readonly number[], vals: ArrayLike<number>): Float64Array {
  const { n, data } = cov;
  const out = f64(n);
  for (let k = 0; k < idx.length; k++) {
    const v = vals[k]!;
    if (v === 0) continue;
    const off = idx[k]! * n; // row idx[k] = column idx[k] (symmetric)
    for (let i = 0; i < n; i++) out[i]! += data[off + i]! * v;
  }
  return out;
}

/** The principal submatrix of `cov` on the given rows/columns. */
export function submatrix(cov: DenseCovariance, rows: readonly number[]): Float64Array {
  const m = rows.length;
  const out = f64(m * m);
  for (let a = 0; a < m; a++) {
    const off = rows[a]! * cov.n;
    for (let b = 0; b < m; b++) out[a * m + b] = cov.data[off + rows[b]!]!;
  }
  return out;
}

/**
 * A model's precision matrix P = Σ⁻¹ with rows and columns in sorted-id order (the order of every
 * universe the operators build), so that a subset's rows are read contiguously; `pos[k]` is the
 * sorted position of model index k.
 */
interface SortedPrecision {
  readonly p: Float64Array;
  readonly pos: Int32Array;
}

const precisionCache = new WeakMap<CovarianceModel, SortedPrecision | null>();

/**
 * Pays a new model's O(n³) precision matrix when the model arrives (a covariance side-input update,
 * typically daily or weekly) instead of in the first batch sized against it. Only universes large
 * enough for the Schur-complement path (see `solveViaPrecision`) need it. Results never depend on
 * whether this ran: it only fills the cache the solve would fill.
 */
export function prepareCovarianceModel(model: CovarianceModel): void {
  if (model.instrumentIds.length >= 64) modelPrecision(model);
}

/** Σ⁻¹ of the whole model (sorted-id order), computed once per model. */
function modelPrecision(model: CovarianceModel): SortedPrecision | undefined {
  const cached = precisionCache.get(model);
  if (cached !== undefined) return cached ?? undefined;
  const n = model.instrumentIds.length;
  const full = covarianceFor(model.instrumentIds, model, undefined);
  let l: Float64Array;
  try {
    l = factor(full.data, n, undefined);
  } catch {
    precisionCache.set(model, null);
    return undefined;
  }
  // Li = L⁻¹ (lower), then Σ⁻¹ = Li' Li.
  const li = f64(n * n);
  for (let j = 0; j < n; j++) {
    li[j * n + j] = 1 / l[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * n + k]! * li[k * n + j]!;
      li[i * n + j] = -s / l[i * n + i]!;
    }
  }
  // Sorted position of each model index (ids compared as the operators sort them).
  const order = Array.from({ length: n }, (_, k) => k).sort((x, y) => {
    const a = model.instrumentIds[x]!;
    const b = model.instrumentIds[y]!;
    return a < b ? -1 : a > b ? 1 : x - y;
  });
  const pos = new Int32Array(n);
  order.forEach((k, r) => {
    pos[k] = r;
  });
  const p = f64(n * n);
  for (let i = 0; i < n; i++) {
    const pi = pos[i]!;
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i]! * li[k * n + j]!;
      const pj = pos[j]!;
      p[pi * n + pj] = s;
      p[pj * n + pi] = s;
    }
  }
  const out = { p, pos };
  precisionCache.set(model, out);
  return out;
}

/**
 * Solves Σ_SS x = b for a subset S of the model's instruments through the model's precision matrix
 * P = Σ⁻¹ (computed once per model): with C the model instruments outside S,
 * Σ_SS⁻¹ = P_SS − P_SC P_CC⁻¹ P_CS (Schur complement), so a solve costs O(|S|·n + |C|³) instead of
 * O(|S|³). Worth it when C is small (signals on most of the universe); returns undefined when an id
 * of S is not in the model or the model is not positive definite.
 *
 * When S is in sorted-id order (as the operators pass it), P_SS b and P_CS b are read as contiguous
 * rows against b scattered into a zero vector, with four partial sums (the gather path for any
 * other order sums element by element; the two agree to rounding).
 */
export function solveViaPrecision(
  model: CovarianceModel,
  sIds: readonly string[],
  b: ArrayLike<number>,
): Float64Array | undefined {
  const idx = indexOf(model);
  const n = model.instrumentIds.length;
  const s = new Int32Array(sIds.length);
  for (let a = 0; a < sIds.length; a++) {
    const k = idx.get(sIds[a]!);
    if (k === undefined) return undefined;
    s[a] = k;
  }
  const inS = new Uint8Array(n);
  for (const k of s) inS[k] = 1;
  const c: number[] = [];
  for (let k = 0; k < n; k++) if (!inS[k]) c.push(k);
  const prec = modelPrecision(model);
  if (prec === undefined) return undefined;
  const { p, pos } = prec;
  const m = s.length;
  let sorted = true;
  for (let a = 1; sorted && a < m; a++) sorted = pos[s[a]!]! > pos[s[a - 1]!]!;
  // Row r of P (sorted order) times b over S.
  let rowDot: (r: number) => number;
  if (sorted) {
    const bt = f64(n);
    for (let a = 0; a < m; a++) bt[pos[s[a]!]!] = b[a]!;
    const n4 = n - (n % 4);
    rowDot = (r) => {
      const off = r * n;
      let v0 = 0;
      let v1 = 0;
      let v2 = 0;
      let v3 = 0;
      let k = 0;
      for (; k < n4; k += 4) {
        v0 += p[off + k]! * bt[k]!;
        v1 += p[off + k + 1]! * bt[k + 1]!;
        v2 += p[off + k + 2]! * bt[k + 2]!;
        v3 += p[off + k + 3]! * bt[k + 3]!;
      }
      for (; k < n; k++) v0 += p[off + k]! * bt[k]!;
      return v0 + v1 + v2 + v3;
    };
  } else {
    const q = Array.from(s, (k) => pos[k]!);
    rowDot = (r) => {
      const off = r * n;
      let v = 0;
      for (let bb = 0; bb < m; bb++) v += p[off + q[bb]!]! * b[bb]!;
      return v;
    };
  }
  const x = f64(m);
  for (let a = 0; a < m; a++) x[a] = rowDot(pos[s[a]!]!);
  if (c.length === 0) return x;
  const pcsb = f64(c.length);
  for (let u = 0; u < c.length; u++) pcsb[u] = rowDot(pos[c[u]!]!);
  const cp = packedMap(c, (k) => pos[k]!);
  const pcc = f64(c.length * c.length);
  for (let u = 0; u < c.length; u++) for (let w = 0; w < c.length; w++) pcc[u * c.length + w] = p[cp[u]! * n + cp[w]!]!;
  const y = cholSolve(factor(pcc, c.length, undefined), c.length, pcsb);
  for (let a = 0; a < m; a++) {
    const off = pos[s[a]!]! * n;
    let v = 0;
    for (let u = 0; u < c.length; u++) v += p[off + cp[u]!]! * y[u]!;
    x[a]! -= v;
  }
  return x;
}
