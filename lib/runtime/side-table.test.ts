import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AsOfTable } from "./side-table.js";

describe("AsOfTable", () => {
  it("answers as of `now`: the latest update with time <= now, per key (brute force)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.constantFrom("a", "b", "c"), t: fc.integer({ min: 0, max: 50 }) }), {
          maxLength: 40,
        }),
        fc.array(fc.integer({ min: -1, max: 60 }), { minLength: 1, maxLength: 10 }),
        (updates, nows) => {
          // No pruning (history larger than any span), updates applied in any order.
          const table = new AsOfTable<number>(1_000);
          updates.forEach((u, i) => {
            table.apply(u.key, u.t, i);
          });
          for (const now of nows) {
            table.now = now;
            for (const key of ["a", "b", "c"]) {
              // Expected: among updates of key with t <= now, the greatest t; ties -> applied last.
              let best: { t: number; i: number } | undefined;
              updates.forEach((u, i) => {
                if (u.key === key && u.t <= now && (!best || u.t >= best.t)) best = { t: u.t, i };
              });
              expect(table.get(key)).toBe(best?.i);
              expect(table.has(key)).toBe(best !== undefined);
            }
            expect(table.size).toBe([...table.keys()].length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a copy answers every read from exactFrom on as the table does, and as the full history would", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.constantFrom("a", "b"), t: fc.integer({ min: 0, max: 100 }) }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 100 }),
        (updates, historyMs, wm) => {
          const table = new AsOfTable<number>(historyMs);
          const full = new AsOfTable<number>(Number.POSITIVE_INFINITY);
          table.advance(wm);
          updates.forEach((u, i) => {
            table.apply(u.key, u.t, i);
            full.apply(u.key, u.t, i);
          });
          const copy = new AsOfTable<number>(historyMs);
          const times = table.copyInto(copy);
          expect(times.every((t) => updates.some((u) => u.t === t))).toBe(true);
          for (let now = Math.max(0, table.exactFrom); now <= 110; now++) {
            table.now = copy.now = full.now = now;
            for (const key of ["a", "b"]) {
              expect(copy.get(key)).toBe(table.get(key));
              expect(copy.get(key)).toBe(full.get(key));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps history behind the watermark, then the newest older version only", () => {
    const t = new AsOfTable<string>(10);
    t.apply("k", 0, "v0");
    t.apply("k", 5, "v5");
    t.advance(100);
    t.apply("k", 95, "v95"); // prunes versions older than 100 - 10, keeping the newest of them
    t.now = 3;
    expect(t.get("k")).toBe("v5");
    t.now = 95;
    expect(t.get("k")).toBe("v95");
    t.now = Number.POSITIVE_INFINITY;
    expect([...t.entries()]).toEqual([["k", "v95"]]);
  });
});
