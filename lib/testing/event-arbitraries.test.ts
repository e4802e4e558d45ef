import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventSchemas } from "../events/registry.js";
import { correlationMatrixArb, eventArbitraries } from "./event-arbitraries.js";

describe("event arbitraries", () => {
  const arbs = eventArbitraries();
  for (const [name, schema] of Object.entries(eventSchemas)) {
    it(`${name}: every generated event parses with its zod schema`, () => {
      const arb = arbs[name as keyof typeof arbs] as fc.Arbitrary<unknown>;
      fc.assert(
        fc.property(arb, (event) => {
          const parsed = schema.safeParse(event);
          if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
        }),
        { numRuns: 1000 },
      );
    });
  }

  it("correlation matrices are positive semi-definite (Cholesky with jitter succeeds)", () => {
    fc.assert(
      fc.property(correlationMatrixArb(), (m) => {
        const n = m.instrumentIds.length;
        const c = m.correlations;
        const l: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
        for (let i = 0; i < n; i++) {
          for (let j = 0; j <= i; j++) {
            let s = c[i]![j]! + (i === j ? 1e-9 : 0);
            for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
            if (i === j) {
              expect(s).toBeGreaterThan(-1e-9);
              l[i]![i] = Math.sqrt(Math.max(s, 0));
            } else l[i]![j] = l[j]![j]! > 1e-12 ? s / l[j]![j]! : 0;
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("respects the universe options", () => {
    const sample = fc.sample(
      eventArbitraries({ portfolioIds: ["only"], instrumentIds: ["ZZZ"] }).TradingSignalEvent,
      50,
    );
    expect(new Set(sample.map((s) => `${s.portfolioId}/${s.instrumentId}`))).toEqual(new Set(["only/ZZZ"]));
  });
});
