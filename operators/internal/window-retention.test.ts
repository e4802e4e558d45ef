import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { windowHold } from "./window-retention.js";

describe("windowHold", () => {
  it("bounds a record by the last fixed window that contains it (brute force over window starts)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 49 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: -500, max: 500 }),
        (size, advanceRaw, offsetRaw, lateness, t) => {
          const advance = Math.min(advanceRaw, size);
          const offset = offsetRaw % advance;
          const hold = windowHold({ kind: "fixed", size, advance, offset }, lateness)!;
          // Every window [s, s + size) with s ≡ offset (mod advance) that contains t.
          let lastEnd = Number.NEGATIVE_INFINITY;
          for (let s = t - size - advance; s <= t; s++) {
            if ((((s - offset) % advance) + advance) % advance === 0 && s <= t && t < s + size) {
              lastEnd = Math.max(lastEnd, s + size);
            }
          }
          expect(hold.derivedTime(t)).toBe(lastEnd - 1);
          expect(hold.retainUntil(t)).toBe(lastEnd - 1 + lateness);
        },
      ),
    );
  });

  it("gives no bound for sessions (they grow with activity)", () => {
    expect(windowHold({ kind: "session", gap: 10 }, 0)).toBeUndefined();
  });
});
