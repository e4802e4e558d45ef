import fc from "fast-check";
import type { Observable } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { type Envelope, record, type StreamItem, watermark } from "../lib/stream/item.js";
import {
  accountingIdentityLaw,
  determinismLaw,
  disorderedStreamArb,
  orderedRecordsArb,
  reorderInvarianceLaw,
  runOperator,
  withLateEvents,
} from "../lib/testing/index.js";
import { hoppingWindow } from "./hopping-window.js";
import type { WindowResult } from "./window-aggregators.js";
import { withWatermarks } from "./with-watermarks.js";

const r = (v: string, t: number, k = "a") => record(v, t, k, [v]);

describe("hoppingWindow", () => {
  it("puts a record in every window that covers it (marbles)", () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const input = cold<StreamItem<string>>("-a-w----x----|", { a: r("a", 7), w: watermark(9), x: watermark(14) });
      const win = (s: number) =>
        record({ key: "a", windowStart: s, windowEnd: s + 10, firing: "final", count: 1, result: ["a"] }, s + 9, "a", [
          "a",
        ]);
      expectObservable(input.pipe(hoppingWindow<string>({ sizeMs: 10, advanceMs: 5 }))).toBe("---(pw)-(qx)-|", {
        p: win(0),
        w: watermark(9),
        q: win(5),
        x: watermark(14),
      });
    });
  });

  it("rejects advance > size", () => {
    expect(() => hoppingWindow({ sizeMs: 5, advanceMs: 10 })).toThrow(RangeError);
  });

  it("property: every on-time event falls in exactly size/advance windows, each covering it", () => {
    fc.assert(
      fc.property(
        orderedRecordsArb(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (recs, adv, k) => {
          const size = adv * k;
          const run = runOperator(
            (s: Observable<StreamItem<number>>) =>
              s.pipe(
                withWatermarks<number>({ outOfOrdernessMs: 0 }),
                hoppingWindow<number>({ sizeMs: size, advanceMs: adv }),
              ),
            recs,
          );
          const count = new Map<string, number>();
          for (const m of run.main) {
            if (m.value.windowStart % adv !== 0 || m.value.windowEnd - m.value.windowStart !== size) return false;
            for (const v of m.value.result) {
              const t = recs[v]!.eventTime;
              if (t < m.value.windowStart || t >= m.value.windowEnd) return false;
              count.set(recs[v]!.ids[0]!, (count.get(recs[v]!.ids[0]!) ?? 0) + 1);
            }
          }
          return recs.every((x) => count.get(x.ids[0]!) === k) && run.sides["late"] === undefined;
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("law: reordering within the out-of-orderness bound yields the same final windows", () => {
    const norm = (m: Envelope<WindowResult<readonly number[]>>) => ({ ...m.value, result: [...m.value.result].sort() });
    const make = () => (s: Observable<StreamItem<number>>) =>
      s.pipe(withWatermarks<number>({ outOfOrdernessMs: 12 }), hoppingWindow<number>({ sizeMs: 9, advanceMs: 3 }));
    fc.assert(reorderInvarianceLaw(make, disorderedStreamArb({ boundMs: 12, heartbeats: true }), norm), {
      numRuns: 1000,
    });
  });

  const lateStream = orderedRecordsArb().chain((recs) =>
    withLateEvents<number>(recs, fc.integer({ min: 1000, max: 2000 }), { lateByMs: 10 }),
  );
  const op = () => (s: Observable<StreamItem<number>>) =>
    s.pipe(
      withWatermarks<number>({ outOfOrdernessMs: 2 }),
      hoppingWindow<number>({ sizeMs: 10, advanceMs: 5, allowedLatenessMs: 4 }),
    );

  it("law: accounting identity", () => {
    fc.assert(accountingIdentityLaw(op, lateStream), { numRuns: 1000 });
  });

  it("law: determinism", () => {
    fc.assert(determinismLaw(op, lateStream), { numRuns: 1000 });
  });
});
