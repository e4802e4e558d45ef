/**
 * `xs.map(f)` whose result is always a packed array.
 *
 * V8 gives the result of `Array.prototype.map` a different elements kind depending on which tier
 * runs the caller: the builtin (interpreter, baseline code) returns a packed array, while
 * TurboFan, inlining `map` into an optimized caller, allocates the result at its final length
 * and so returns a holey one. Code downstream that was optimized on packed arrays then meets a
 * holey one the first time its producer runs optimized, and deoptimizes ("wrong map"). In the
 * topology bench's long-lived pipeline this happened in the 17th segment, a million signals into
 * the run: the risk gate's checks and proposal lists turned holey, and thirteen functions of the
 * portfolio path and the JSON encoder deoptimized at once (`--trace-deopt`); that segment ran at
 * ~160k signals per CPU-second against ~220k for its neighbours.
 *
 * The arrays the portfolio operators hand on (proposals, checks, weight vectors) are therefore
 * built with `push` onto an empty literal, which is packed in every tier.
 */
export function packedMap<T, U>(xs: readonly T[], f: (x: T, i: number) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < xs.length; i++) out.push(f(xs[i]!, i));
  return out;
}
