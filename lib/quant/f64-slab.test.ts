import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { f64, f64Copy, f64Map } from "./f64-slab.js";

describe("f64 slab vectors", () => {
  it("hands out zero-filled, independent arrays of the asked length, however many and however long", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 60 }), (lengths) => {
        const vs = lengths.map((n) => f64(n));
        vs.forEach((v, k) => {
          expect(v).toBeInstanceOf(Float64Array);
          expect(v.length).toBe(lengths[k]);
          expect(v.every((x) => x === 0)).toBe(true);
        });
        // Writing every array leaves every other one as written (no two share memory).
        vs.forEach((v, k) => {
          v.fill(k + 1);
        });
        vs.forEach((v, k) => {
          expect(v.every((x) => x === k + 1)).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });

  it("keeps a view valid after its slab is used up (fresh memory is never handed out twice)", () => {
    const kept = f64(12);
    kept.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (let i = 0; i < 2000; i++) f64(12).fill(-1); // many slabs later
    expect(Array.from(kept)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it("copies and maps element by element", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { maxLength: 600 }), (xs) => {
        expect(Array.from(f64Copy(xs))).toEqual(Array.from(Float64Array.from(xs)));
        expect(Array.from(f64Map(xs, (v, i) => v * 2 + i))).toEqual(
          Array.from(Float64Array.from(xs, (v, i) => v * 2 + i)),
        );
      }),
      { numRuns: 200 },
    );
  });
});
