import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coordinatedTradingDecisionArb } from "../testing/event-arbitraries.js";
import { encodeEvent } from "./decode.js";
import { encodeDecision, encoderFor } from "./encoders.js";

describe("encodeDecision", () => {
  // ids and free text that look like the splice mark, quotes and non-ASCII included
  const tricky = fc.constantFrom('"lineage":{"inputIds":[]', 'a"b', "\\", "ünï", "", "x\u001fy", "[]");
  const ids = fc.array(fc.oneof(fc.string(), tricky), { minLength: 32, maxLength: 80 }); // the cached path

  it("property: exactly encodeEvent's bytes, also for decisions sharing one inputIds array", () => {
    fc.assert(
      fc.property(
        fc.array(coordinatedTradingDecisionArb(), { minLength: 1, maxLength: 4 }),
        ids,
        fc.array(tricky, { maxLength: 3 }),
        (decisions, shared, codes) => {
          for (const d of decisions) {
            const v = { ...d, reasonCodes: [...d.reasonCodes, ...codes], lineage: { ...d.lineage, inputIds: shared } };
            expect(encodeDecision(v).equals(encodeEvent(v))).toBe(true);
            expect(encodeDecision(d).equals(encodeEvent(d))).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("sinks of decisions use it; other events encode as encodeEvent", () => {
    expect(encoderFor("CoordinatedTradingDecisionEvent")).toBe(encodeDecision);
    expect(encoderFor("PortfolioStateUpdateEvent")).toBe(encodeEvent);
  });
});
