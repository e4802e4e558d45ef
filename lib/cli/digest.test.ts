import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, decisionDigest } from "./digest.js";

const decision = fc.record({
  portfolioId: fc.constantFrom("a", "b", "c"),
  eventId: fc.string(),
  quantity: fc.integer(),
});

describe("decisionDigest", () => {
  it("ignores how portfolios interleave but not the order within a portfolio", () => {
    fc.assert(
      fc.property(fc.array(decision, { maxLength: 30 }), fc.array(fc.nat()), (ds, seeds) => {
        // Interleave the per-portfolio sequences differently (as different worker counts would).
        const queues = new Map<string, typeof ds>();
        for (const d of ds) queues.set(d.portfolioId, [...(queues.get(d.portfolioId) ?? []), d]);
        const keys = [...queues.keys()];
        const shuffled: typeof ds = [];
        let k = 0;
        while (shuffled.length < ds.length) {
          const key = keys[(seeds[k++ % Math.max(seeds.length, 1)] ?? 0) % keys.length]!;
          const next = queues.get(key)!.shift();
          if (next) shuffled.push(next);
          else keys.splice(keys.indexOf(key), 1);
        }
        expect(decisionDigest(shuffled)).toBe(decisionDigest(ds));
      }),
    );
  });

  it("changes when two decisions of one portfolio swap", () => {
    const a = { portfolioId: "p", eventId: "1" };
    const b = { portfolioId: "p", eventId: "2" };
    expect(decisionDigest([a, b])).not.toBe(decisionDigest([b, a]));
  });

  it("does not depend on key order inside a decision", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: 0 } })).toBe(
      '{"a":{"c":0,"d":[1,{"x":1,"y":2}]},"b":1}',
    );
    expect(decisionDigest([{ portfolioId: "p", q: 1 } as { portfolioId: string }])).toBe(
      decisionDigest([{ q: 1, portfolioId: "p" } as { portfolioId: string }]),
    );
  });
});
