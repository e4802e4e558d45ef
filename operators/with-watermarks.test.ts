import fc from "fast-check";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { record, type StreamItem, sideOutput, watermark } from "../lib/stream/item.js";
import { accountingIdentityLaw, disorderedStreamArb, runOperator } from "../lib/testing/index.js";
import { withWatermarks } from "./with-watermarks.js";

const r = (v: string, t: number) => record(v, t, "k", [v]);

describe("withWatermarks", () => {
  it("emits max - outOfOrderness - 1 after advancing records and forwards heartbeats (marbles)", () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const values = { a: r("a", 10), b: r("b", 8), c: r("c", 14), h: watermark(20), o: watermark(5) };
      const input = cold<StreamItem<string>>("-a----b-c----h-o-|", values);
      expectObservable(input.pipe(withWatermarks<string>({ outOfOrdernessMs: 2 }))).toBe("-(aw)-b-(cx)-h---|", {
        ...values,
        w: watermark(7),
        x: watermark(11),
      });
    });
  });

  it("minAdvanceMs thins out derived watermarks; side outputs pass through", () => {
    const side = sideOutput("late", "x", r("z", 1));
    const run = runOperator(withWatermarks<string>({ outOfOrdernessMs: 0, minAdvanceMs: 10 }), [
      r("a", 0),
      r("b", 5),
      r("c", 12),
      side,
      r("d", 21),
    ]);
    expect(run.watermarks).toEqual([-1, 11]);
    expect(run.sides["late"]).toEqual([side]);
  });

  it("property: watermarks increase, and no record within the bound arrives at or below a watermark", () => {
    fc.assert(
      fc.property(disorderedStreamArb({ boundMs: 9, heartbeats: true }), ({ disordered, boundMs }) => {
        const run = runOperator(withWatermarks<number>({ outOfOrdernessMs: boundMs }), disordered);
        let wm = Number.NEGATIVE_INFINITY;
        for (const it of run.items) {
          if (it.kind === "watermark") {
            if (!(it.time > wm)) return false;
            wm = it.time;
          } else if (it.kind === "record" && it.eventTime <= wm) return false;
        }
        return run.main.length === disordered.filter((i) => i.kind === "record").length;
      }),
      { numRuns: 1000 },
    );
  });

  it("law: accounting identity (1:1)", () => {
    fc.assert(
      accountingIdentityLaw(
        () => withWatermarks<number>({ outOfOrdernessMs: 3 }),
        disorderedStreamArb({ boundMs: 6, heartbeats: true }).map((x) => x.disordered),
        { oneToOne: true },
      ),
      { numRuns: 1000 },
    );
  });
});
