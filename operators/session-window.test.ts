import fc from "fast-check";
import type { Observable } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { type Envelope, record, type StreamItem, watermark } from "../lib/stream/item.js";
import {
  accountingIdentityLaw,
  checkReorderInvariance,
  determinismLaw,
  disorderedStreamArb,
  orderedRecordsArb,
  runOperator,
  withLateEvents,
} from "../lib/testing/index.js";
import { sessionWindow } from "./session-window.js";
import type { WindowResult } from "./window-aggregators.js";
import { withWatermarks } from "./with-watermarks.js";

const r = (v: string, t: number, k = "a") => record(v, t, k, [v]);

/** Brute-force sessions: sort a key's times, split where consecutive records are >= gap apart. */
function bruteSessions(recs: readonly Envelope<number>[], gap: number): string[] {
  const byKey = new Map<string, Envelope<number>[]>();
  for (const x of recs) byKey.set(x.key, [...(byKey.get(x.key) ?? []), x]);
  const out: string[] = [];
  for (const [key, list] of byKey) {
    const sorted = [...list].sort((a, b) => a.eventTime - b.eventTime);
    let cur: Envelope<number>[] = [];
    const close = () => {
      if (cur.length === 0) return;
      const start = cur[0]!.eventTime;
      const end = cur[cur.length - 1]!.eventTime + gap;
      out.push(JSON.stringify([key, start, end, cur.map((c) => c.value).sort((a, b) => a - b)]));
      cur = [];
    };
    for (const x of sorted) {
      if (cur.length > 0 && x.eventTime - cur[cur.length - 1]!.eventTime >= gap) close();
      cur.push(x);
    }
    close();
  }
  return out.sort();
}

const norm = (m: Envelope<WindowResult<readonly number[]>>) =>
  JSON.stringify([m.key, m.value.windowStart, m.value.windowEnd, [...m.value.result].sort((a, b) => a - b)]);

describe("sessionWindow", () => {
  it("closes a session gapMs after its last record (marbles)", () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const input = cold<StreamItem<string>>("-a-b-w---c-x---|", {
        a: r("a", 1),
        b: r("b", 4),
        w: watermark(8),
        c: r("c", 20),
        x: watermark(30),
      });
      const s = (start: number, end: number, result: string[]) =>
        record(
          { key: "a", windowStart: start, windowEnd: end, firing: "final", count: result.length, result },
          end - 1,
          "a",
          result,
        );
      expectObservable(input.pipe(sessionWindow<string>({ gapMs: 5 }))).toBe("-----(pw)--(qx)|", {
        p: s(1, 9, ["a", "b"]),
        w: watermark(8),
        q: s(20, 25, ["c"]),
        x: watermark(30),
      });
    });
  });

  it("merges two sessions bridged by an out-of-order record", () => {
    const run = runOperator(sessionWindow<string>({ gapMs: 5 }), [r("a", 1), r("c", 10), r("b", 6), watermark(40)]);
    expect(run.main.map((m) => [m.value.windowStart, m.value.windowEnd, m.value.result])).toEqual([
      [1, 6, ["a"]],
      [6, 15, ["c", "b"]],
    ]);
    const bridged = runOperator(sessionWindow<string>({ gapMs: 5 }), [r("a", 1), r("c", 9), r("b", 5), watermark(40)]);
    expect(bridged.main.map((m) => [m.value.windowStart, m.value.windowEnd, m.value.count])).toEqual([[1, 14, 3]]);
  });

  it("requires a merging aggregator", () => {
    expect(() =>
      sessionWindow<number, number, number>({
        gapMs: 5,
        aggregate: { create: () => 0, add: (a: number) => a + 1, result: (a: number) => a } as never,
      }),
    ).toThrow(TypeError);
  });

  it("property: sessions equal brute-force sessionization, for any reordering within the bound", () => {
    fc.assert(
      fc.property(
        disorderedStreamArb({ boundMs: 10, heartbeats: true, keys: 2 }),
        ({ ordered, disordered, boundMs }) => {
          const make = () => (s: Observable<StreamItem<number>>) =>
            s.pipe(withWatermarks<number>({ outOfOrdernessMs: boundMs }), sessionWindow<number>({ gapMs: 6 }));
          const run = runOperator(make(), disordered);
          expect(run.main.map(norm).sort()).toEqual(bruteSessions(ordered, 6));
          expect(checkReorderInvariance(make, ordered, disordered, norm)).toEqual([]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  const lateStream = orderedRecordsArb().chain((recs) =>
    withLateEvents<number>(recs, fc.integer({ min: 1000, max: 2000 }), { lateByMs: 8 }),
  );
  const op = () => (s: Observable<StreamItem<number>>) =>
    s.pipe(withWatermarks<number>({ outOfOrdernessMs: 2 }), sessionWindow<number>({ gapMs: 5, allowedLatenessMs: 6 }));

  it("law: accounting identity", () => {
    fc.assert(accountingIdentityLaw(op, lateStream), { numRuns: 1000 });
  });

  it("law: determinism", () => {
    fc.assert(determinismLaw(op, lateStream), { numRuns: 1000 });
  });
});
