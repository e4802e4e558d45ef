import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Ring } from "./ring.js";

describe("Ring", () => {
  it("behaves as a FIFO queue (model: array push/shift) across growth", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constant(null)), { maxLength: 300 }), (ops) => {
        const ring = new Ring<number>(2);
        const model: number[] = [];
        for (const op of ops) {
          if (op === null) expect(ring.shift()).toBe(model.shift());
          else {
            ring.push(op);
            model.push(op);
          }
          expect(ring.length).toBe(model.length);
          expect(ring.peek()).toBe(model[0]);
        }
        expect(ring.drain()).toEqual(model);
        expect(ring.length).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });
});
