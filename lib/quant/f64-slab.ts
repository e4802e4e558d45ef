/**
 * Small `Float64Array`s carved out of shared slabs.
 *
 * V8 keeps a typed array's elements inside the JavaScript heap only up to 64 bytes (eight
 * doubles). A longer one gets a backing store of its own outside the heap: an allocation through
 * the embedder (zero-filled), a tracked external-memory charge and a sweep when it dies. Measured
 * on Node 20 here, `new Float64Array(12)` costs ~1.2 µs against ~50 ns for a view of an existing
 * buffer (`new Float64Array(buffer, offset, 12)`), and the external memory the short-lived ones
 * add up to is what V8 weighs when it starts a mark-compact. The portfolio operators work on
 * vectors of a portfolio's universe size (a dozen names and up) and allocated ~40 of them per batch
 * in conflict resolution alone — most of that operator's time.
 *
 * {@link f64} hands out zero-filled views of a slab instead, moving on to a fresh slab when the
 * current one is used up. A slab's memory is never handed out twice, so a view behaves exactly like
 * a fresh array (it may be kept, returned, cached); a view kept alive keeps its slab alive (32 KB),
 * which is fine for the few vectors that outlive a batch (cached covariance matrices). Arrays too
 * big to fit a slab comfortably are allocated on their own.
 *
 * Views share `buffer` with other views: code must not transfer or post a view's `buffer` (a
 * structured clone of a view copies its whole slab). The operators never do.
 */

/** Doubles per slab (32 KB). */
const SLAB_LENGTH = 4096;
/** Longer arrays get a buffer of their own: a slab should serve many vectors. */
const MAX_CARVED = 512;

let slab = new ArrayBuffer(SLAB_LENGTH * 8);
/** Doubles of the current slab handed out so far. */
let used = 0;

/** A zero-filled `Float64Array` of length `n` (a view of a slab when it is small). */
export function f64(n: number): Float64Array {
  if (n > MAX_CARVED) return new Float64Array(n);
  if (used + n > SLAB_LENGTH) {
    slab = new ArrayBuffer(SLAB_LENGTH * 8);
    used = 0;
  }
  const v = new Float64Array(slab, used * 8, n);
  used += n;
  return v;
}

/** A copy of `src` as a `Float64Array` ({@link f64}). */
export function f64Copy(src: ArrayLike<number>): Float64Array {
  const n = src.length;
  const out = f64(n);
  for (let i = 0; i < n; i++) out[i] = src[i]!;
  return out;
}

/** `f(src[i], i)` for each element of `src`, as a `Float64Array` ({@link f64}). */
export function f64Map<T>(src: ArrayLike<T>, f: (value: T, index: number) => number): Float64Array {
  const n = src.length;
  const out = f64(n);
  for (let i = 0; i < n; i++) out[i] = f(src[i]!, i);
  return out;
}

/** `values[idx[k]]` for each k, as a `Float64Array` ({@link f64}): a gather without a callback. */
export function f64Gather(values: ArrayLike<number>, idx: ArrayLike<number>): Float64Array {
  const n = idx.length;
  const out = f64(n);
  for (let k = 0; k < n; k++) out[k] = values[idx[k]!]!;
  return out;
}

/** `a[idx[k]] − b[idx[k]]` for each k, as a `Float64Array` ({@link f64}). */
export function f64GatherDifference(a: ArrayLike<number>, b: ArrayLike<number>, idx: ArrayLike<number>): Float64Array {
  const n = idx.length;
  const out = f64(n);
  for (let k = 0; k < n; k++) out[k] = a[idx[k]!]! - b[idx[k]!]!;
  return out;
}
