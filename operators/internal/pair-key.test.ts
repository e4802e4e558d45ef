import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PairKeys } from "./pair-key.js";

describe("PairKeys", () => {
  it("returns a + sep + b, the same string object for a repeated pair, also across memo resets", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("p1", "p2", "p3", ""), fc.string({ maxLength: 3 })), { maxLength: 200 }),
        fc.integer({ min: 1, max: 8 }),
        (pairs, limit) => {
          const keys = new PairKeys("\u0001", limit);
          const distinct = new Set(pairs.map(([a, b]) => `${a}\u0001${b}`));
          let last: string | undefined;
          let lastPair: readonly [string, string] | undefined;
          for (const [a, b] of pairs) {
            const k = keys.key(a, b);
            expect(k).toBe(`${a}\u0001${b}`);
            // the memo holds at most `limit` pairs; an immediate repeat is always the same object
            if (lastPair && lastPair[0] === a && lastPair[1] === b) expect(Object.is(k, last)).toBe(true);
            last = k;
            lastPair = [a, b];
          }
          if (distinct.size <= limit) {
            for (const [a, b] of pairs) expect(keys.key(a, b)).toBe(`${a}\u0001${b}`);
          }
        },
      ),
    );
  });

  it("keeps one key object per pair while under the limit", () => {
    const keys = new PairKeys("|");
    const k1 = keys.key("global-core", "AAPL");
    const k2 = keys.key("global-core", "AAPL");
    expect(k1).toBe("global-core|AAPL");
    // same object (not only equal): a map lookup reuses its cached hash
    const parts = ["global-core", "AAPL"];
    expect(keys.key(parts[0]!, parts[1]!)).toBe(k1);
    expect(k2).toBe(k1);
  });
});
