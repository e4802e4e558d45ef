import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SortedTimes } from "./sorted-times.js";

describe("SortedTimes", () => {
  it("takes out the distinct values added, smallest first, under any interleaving of adds and takes", () => {
    // Model: a plain set, its minimum taken out on each `shift`.
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constant("shift" as const)), { maxLength: 300 }),
        (ops) => {
          const q = new SortedTimes();
          const model = new Set<number>();
          for (const op of ops) {
            if (op === "shift") {
              const expected = model.size > 0 ? Math.min(...model) : undefined;
              expect(q.first()).toBe(expected);
              expect(q.shift()).toBe(expected);
              if (expected !== undefined) model.delete(expected);
            } else {
              q.add(op);
              model.add(op);
            }
            expect(q.size).toBe(model.size);
          }
        },
      ),
    );
  });

  it("stays correct across its compaction (many in-order values taken one by one)", () => {
    const q = new SortedTimes();
    for (let i = 0; i < 5000; i++) q.add(i);
    q.add(2500.5); // out of order, after some were taken below
    const out: number[] = [];
    for (let i = 0; i < 3000; i++) out.push(q.shift()!);
    q.add(4000.5);
    while (q.size > 0) out.push(q.shift()!);
    const expected = [...Array.from({ length: 5000 }, (_, i) => i), 2500.5, 4000.5].sort((a, b) => a - b);
    expect(out).toEqual(expected);
    expect(q.shift()).toBeUndefined();
  });

  it("ignores NaN and keeps infinities in order", () => {
    const q = new SortedTimes();
    q.add(Number.POSITIVE_INFINITY);
    q.add(Number.NaN);
    q.add(3);
    q.add(Number.NEGATIVE_INFINITY);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([
      Number.NEGATIVE_INFINITY,
      3,
      Number.POSITIVE_INFINITY,
      undefined,
    ]);
  });
});
