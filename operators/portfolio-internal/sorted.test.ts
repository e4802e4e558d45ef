import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sortedUnion } from "./sorted.js";

describe("sortedUnion", () => {
  it("equals the sorted set of both lists, for sorted and unsorted inputs", () => {
    const ids = fc.array(fc.constantFrom("AAPL", "MSFT", "A", "AA", "a", "Z", "BRK.B", "É", "ab", "b"), {
      maxLength: 12,
    });
    fc.assert(
      fc.property(ids, ids, fc.boolean(), (a, b, presort) => {
        const x = presort ? [...new Set(a)].sort() : a;
        const y = presort ? [...new Set(b)].sort() : b;
        expect(sortedUnion(x, y)).toEqual([...new Set([...x, ...y])].sort());
      }),
      { numRuns: 500 },
    );
  });
});
