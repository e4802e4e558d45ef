import v8 from "node:v8";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packedMap } from "./packed-map.js";

// V8 intrinsics, to look at elements kinds and force optimization (flag set before parsing them).
v8.setFlagsFromString("--allow-natives-syntax");
const isHoley = new Function("a", "return %HasHoleyElements(a)") as (a: unknown[]) => boolean;
/** `f(xs)` once interpreted and once optimized by TurboFan, as the two results. */
function interpretedAndOptimized<T>(f: (xs: number[]) => T[]): [T[], T[]] {
  const xs = [1, 2, 3];
  const first = f(xs);
  new Function("f", "%PrepareFunctionForOptimization(f)")(f);
  f(xs);
  f(xs);
  new Function("f", "%OptimizeFunctionOnNextCall(f)")(f);
  return [first, f(xs)];
}

describe("packedMap", () => {
  it("is Array.prototype.map: same values, same indices, a new array, the input untouched", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.double(), fc.string())), (xs) => {
        const before = [...xs];
        const f = (x: unknown, i: number) => [x, i];
        const out = packedMap(xs, f);
        expect(out).toEqual(xs.map(f));
        expect(out).not.toBe(xs);
        expect(xs).toEqual(before);
      }),
    );
  });

  it("returns a packed array in every tier, where an optimized caller's Array.prototype.map returns a holey one", () => {
    const viaMap = (xs: number[]) => xs.map((x) => ({ x }));
    const viaPackedMap = (xs: number[]) => packedMap(xs, (x) => ({ x }));
    const [mapInterpreted, mapOptimized] = interpretedAndOptimized(viaMap);
    // The V8 behaviour packedMap exists for (if this fails, V8 changed and packedMap may go).
    expect([isHoley(mapInterpreted), isHoley(mapOptimized)]).toEqual([false, true]);
    const [interpreted, optimized] = interpretedAndOptimized(viaPackedMap);
    expect([isHoley(interpreted), isHoley(optimized)]).toEqual([false, false]);
  });
});
