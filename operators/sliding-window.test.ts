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
  runOperator,
  withLateEvents,
} from "../lib/testing/index.js";
import { slidingWindow } from "./sliding-window.js";
import { withWatermarks } from "./with-watermarks.js";

const r = (v: string, t: number, k = "a") => record(v, t, k, [v]);

describe("slidingWindow", () => {
  it("emits one window per distinct record time, covering (t - size, t] (marbles)", () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const input = cold<StreamItem<string>>("-a-b-w-----c-x----|", {
        a: r("a", 1),
        b: r("b", 8),
        w: watermark(8),
        c: r("c", 15),
        x: watermark(20),
      });
      const win = (t: number, result: string[]) =>
        record(
          { key: "a", windowStart: t - 9, windowEnd: t + 1, firing: "final", count: result.length, result },
          t,
          "a",
          result,
        );
      expectObservable(input.pipe(slidingWindow<string>({ sizeMs: 10 }))).toBe("-----(pqw)---(rx)-|", {
        p: win(1, ["a"]),
        q: win(8, ["a", "b"]),
        w: watermark(8),
        r: win(15, ["b", "c"]),
        x: watermark(20),
      });
    });
  });

  it("property: each window equals brute force over the records of its key, for any reordering within the bound", () => {
    const size = 8;
    fc.assert(
      fc.property(
        disorderedStreamArb({ boundMs: 10, heartbeats: true, keys: 2 }),
        ({ ordered, disordered, boundMs }) => {
          const run = runOperator(
            (s: Observable<StreamItem<number>>) =>
              s.pipe(withWatermarks<number>({ outOfOrdernessMs: boundMs }), slidingWindow<number>({ sizeMs: size })),
            disordered,
          );
          const got = run.main
            .map((m) => JSON.stringify([m.key, m.eventTime, [...m.value.result].sort((a, b) => a - b)]))
            .sort();
          const want = [...new Set(ordered.map((x) => `${x.key}|${x.eventTime}`))]
            .map((kt) => {
              const [key, ts] = kt.split("|");
              const t = Number(ts);
              const inWin = ordered.filter(
                (x: Envelope<number>) => x.key === key && x.eventTime > t - size && x.eventTime <= t,
              );
              return JSON.stringify([key, t, inWin.map((x) => x.value).sort((a, b) => a - b)]);
            })
            .sort();
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 1000 },
    );
  });

  const lateStream = orderedRecordsArb().chain((recs) =>
    withLateEvents<number>(recs, fc.integer({ min: 1000, max: 2000 }), { lateByMs: 6 }),
  );
  const op = () => (s: Observable<StreamItem<number>>) =>
    s.pipe(withWatermarks<number>({ outOfOrdernessMs: 2 }), slidingWindow<number>({ sizeMs: 6, allowedLatenessMs: 3 }));

  it("law: accounting identity (late records re-fire live windows or go to `late`)", () => {
    fc.assert(accountingIdentityLaw(op, lateStream), { numRuns: 1000 });
  });

  it("law: determinism", () => {
    fc.assert(determinismLaw(op, lateStream), { numRuns: 1000 });
  });

  it("emits updates in update mode", () => {
    const run = runOperator(slidingWindow<string>({ sizeMs: 10, emit: "update" }), [
      r("a", 1),
      r("b", 3),
      watermark(5),
    ]);
    expect(run.main.map((m) => [m.value.firing, m.eventTime, m.value.result])).toEqual([
      ["update", 1, ["a"]],
      ["update", 3, ["a", "b"]],
      ["final", 1, ["a"]],
      ["final", 3, ["a", "b"]],
    ]);
  });
});
