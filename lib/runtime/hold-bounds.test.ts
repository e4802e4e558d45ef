import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OperatorInfo } from "../stream/operator.js";
import { tumblingWindow } from "../../operators/tumbling-window.js";
import { operatorInfo } from "../stream/operator.js";
import { holdBounds } from "./hold-bounds.js";

const info = (retentionMs: number): OperatorInfo => ({ operatorName: "x", sideOutputs: [], retentionMs });

describe("holdBounds", () => {
  it("a message is held until the last window it reaches has fired, through chained windows", () => {
    const w10 = operatorInfo(tumblingWindow({ sizeMs: 10 }));
    const w30 = operatorInfo(tumblingWindow({ sizeMs: 30, allowedLatenessMs: 5 }));
    const bounds = holdBounds(
      ["a", "b"],
      [
        { name: "filter", from: ["a"], info: info(0) },
        { name: "small", from: ["filter"], info: w10 },
        { name: "big", from: ["small", "b"], info: w30 },
        { name: "other", from: ["b"], info: info(7) },
      ],
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (t) => {
        // a: window of 10 fires at its end − 1 with output at that time, which the 30-window
        // (lateness 5) holds until its own end − 1 + 5.
        const smallOut = Math.floor(t / 10) * 10 + 9;
        expect(bounds.get("a")!(t)).toBe(Math.floor(smallOut / 30) * 30 + 29 + 5);
        // b: the 30-window directly, or t + 7 for the step with a plain retention.
        expect(bounds.get("b")!(t)).toBe(Math.max(Math.floor(t / 30) * 30 + 34, t + 7));
      }),
    );
  });

  it("retention without exact bounds adds up along a path; nothing retained gives t", () => {
    const bounds = holdBounds(
      ["s", "q"],
      [
        { name: "one", from: ["s"], info: info(100) },
        { name: "two", from: ["one"], info: info(50) },
        { name: "plain", from: ["q"], info: undefined },
      ],
    );
    expect(bounds.get("s")!(1000)).toBe(1150);
    expect(bounds.get("q")!(1000)).toBe(1000);
  });
});
