import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HASH_RANGE_SIZE, KeySharedSelector } from "./key-shared-selector.js";

describe("KeySharedSelector", () => {
  it("splits the largest range for a newcomer", () => {
    const s = new KeySharedSelector<string>();
    s.add("a");
    s.add("b");
    s.add("c");
    expect(s.snapshot()).toEqual([
      [0, 16383, "a"],
      [16384, 32767, "c"],
      [32768, 65535, "b"],
    ]);
    s.remove("c");
    expect(s.snapshot()).toEqual([
      [0, 32767, "a"],
      [32768, 65535, "b"],
    ]);
  });

  it("keeps every slot owned by exactly one live consumer through joins and leaves", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 7 })), { maxLength: 40 }), (ops) => {
        const s = new KeySharedSelector<number>();
        const live = new Set<number>();
        for (const [join, who] of ops) {
          if (join && !live.has(who)) {
            s.add(who);
            live.add(who);
          } else if (!join && live.has(who)) {
            s.remove(who);
            live.delete(who);
          }
          const ranges = s.snapshot();
          if (live.size === 0) {
            expect(ranges).toEqual([]);
            continue;
          }
          // contiguous cover of [0, 65535], no overlaps, owners are exactly the live consumers
          expect(ranges[0]![0]).toBe(0);
          expect(ranges.at(-1)![1]).toBe(HASH_RANGE_SIZE - 1);
          for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1] + 1);
          expect(new Set(ranges.map((r) => r[2]))).toEqual(live);
          for (const [start, end, owner] of ranges) {
            expect(s.select(start)).toBe(owner);
            expect(s.select(end)).toBe(owner);
            expect(s.select((start + end) >>> 1)).toBe(owner);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
