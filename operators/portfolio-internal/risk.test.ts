import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type GroupPath, groupGrossAt, maxStepGroup } from "./exposure.js";
import { maxStepBisect, maxStepLinear, maxStepQuad, type QuadPath, quadAt } from "./risk.js";

/** Numbers on a 1e-4 grid: real-sized inputs, no denormal corner cases of the test's own arithmetic. */
const num = (min: number, max: number) =>
  fc.integer({ min: Math.round(min * 1e4), max: Math.round(max * 1e4) }).map((k) => k / 1e4);

/** Largest admissible t on a fine grid (brute force), admissible = f(t) <= max(bound, f(0)). */
function gridStep(f: (t: number) => number, bound: number, n = 20_000): number {
  const B = Math.max(bound, f(0));
  let best = 0;
  for (let k = 0; k <= n; k++) {
    const t = k / n;
    if (f(t) <= B) best = t;
    else break;
  }
  return best;
}

describe("trade-path steps", () => {
  it("maxStepQuad: admissible, on the boundary when it binds, and maximal (vs brute force)", () => {
    fc.assert(
      fc.property(num(0, 2), num(-1, 1), num(0, 1), num(0, 1.5), (a, b0, c, bound) => {
        const b = Math.max(-Math.sqrt(a * c), Math.min(Math.sqrt(a * c), b0)); // keep q >= 0 (PSD)
        const p: QuadPath = { a, b, c };
        const t = maxStepQuad(p, bound);
        const B = Math.max(bound, c);
        expect(t).toBeGreaterThanOrEqual(0);
        expect(t).toBeLessThanOrEqual(1);
        expect(quadAt(p, t)).toBeLessThanOrEqual(B * (1 + 1e-9) + 1e-15);
        if (t < 1) expect(quadAt(p, t)).toBeCloseTo(B, 9);
        expect(t).toBeGreaterThanOrEqual(gridStep((s) => quadAt(p, s), bound) - 1e-4);
      }),
      { numRuns: 300 },
    );
  });

  it("maxStepLinear is exact", () => {
    fc.assert(
      fc.property(num(-1, 1), num(-1, 1), num(-1, 1), (f0, f1, bound) => {
        const t = maxStepLinear(f0, f1, bound);
        const f = (s: number) => f0 + s * (f1 - f0);
        const B = Math.max(bound, f0);
        expect(f(t)).toBeLessThanOrEqual(B + 1e-12);
        if (t < 1) expect(f(t)).toBeCloseTo(B, 12);
      }),
    );
  });

  it("maxStepGroup: the group gross lands exactly on the bound, maximal vs brute force", () => {
    const path = fc
      .array(fc.tuple(num(-0.3, 0.3), num(-0.5, 0.5)), { minLength: 1, maxLength: 8 })
      .chain((pairs) => fc.tuple(fc.constant(pairs), num(0, 0.3), num(0, 1.5)));
    fc.assert(
      fc.property(path, ([pairs, fixed, bound]) => {
        const g: GroupPath = { fixed, c: pairs.map((p) => p[0]), d: pairs.map((p) => p[1]) };
        const t = maxStepGroup(g, bound);
        const B = Math.max(bound, groupGrossAt(g, 0));
        expect(groupGrossAt(g, t)).toBeLessThanOrEqual(B + 1e-12);
        if (t < 1) expect(groupGrossAt(g, t)).toBeCloseTo(B, 10);
        expect(t).toBeGreaterThanOrEqual(gridStep((s) => groupGrossAt(g, s), bound) - 1e-4);
      }),
      { numRuns: 300 },
    );
  });

  it("maxStepBisect always returns an admissible t", () => {
    fc.assert(
      fc.property(num(-1, 1), num(-3, 3), num(-1, 1), (a, w, bound) => {
        const f = (t: number) => a + Math.sin(w * 7 * t) * t;
        const t = maxStepBisect(f, bound);
        expect(f(t)).toBeLessThanOrEqual(Math.max(bound, f(0)));
      }),
    );
  });
});
