import fc from "fast-check";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { type Envelope, record, type StreamItem, sideOutput, watermark } from "../lib/stream/item.js";
import {
  accountingIdentityLaw,
  checkReorderInvariance,
  determinismLaw,
  disorderedStreamArb,
  orderedRecordsArb,
  runOperator,
  withHeartbeats,
  withLateEvents,
} from "../lib/testing/index.js";
import { countRecords, type WindowResult } from "./window-aggregators.js";
import { tumblingWindow } from "./tumbling-window.js";
import { withWatermarks } from "./with-watermarks.js";

const r = (v: string, t: number, k = "a") => record(v, t, k, [v]);

function marbles(fn: (h: import("rxjs/testing").RunHelpers) => void) {
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(fn);
}

const win = (start: number, end: number, result: string[], firing = "final", key = "a") =>
  record<WindowResult<readonly string[]>>(
    { key, windowStart: start, windowEnd: end, firing: firing as "final", count: result.length, result },
    end - 1,
    key,
    [...result].sort(),
  );

describe("tumblingWindow", () => {
  it("fires each window when the watermark passes its end, then forwards the watermark (marbles)", () => {
    marbles(({ cold, expectObservable }) => {
      const input = cold<StreamItem<string>>("-a-b-w---c-x---|", {
        a: r("a", 1),
        b: r("b", 4),
        w: watermark(9),
        c: r("c", 12),
        x: watermark(19),
      });
      expectObservable(input.pipe(tumblingWindow<string>({ sizeMs: 10 }))).toBe("-----(pw)--(qx)|", {
        p: win(0, 10, ["a", "b"]),
        w: watermark(9),
        q: win(10, 20, ["c"]),
        x: watermark(19),
      });
    });
  });

  it("re-fires within allowed lateness and sends later records to the late side output (marbles)", () => {
    marbles(({ cold, expectObservable }) => {
      const input = cold<StreamItem<string>>("-a-w---l-x-v-|", {
        a: r("a", 1),
        w: watermark(9),
        l: r("l", 3),
        x: watermark(14),
        v: r("v", 2),
      });
      expectObservable(input.pipe(tumblingWindow<string>({ sizeMs: 10, allowedLatenessMs: 5 }))).toBe(
        "---(pw)q-x-s-|",
        {
          p: win(0, 10, ["a"]),
          w: watermark(9),
          q: win(0, 10, ["a", "l"], "late"),
          x: watermark(14),
          s: sideOutput("late", "beyond-allowed-lateness", r("v", 2)),
        },
      );
    });
  });

  it("emits updates in update mode, keyed windows in (end, key) order, global windows, flush on complete", () => {
    const upd = runOperator(tumblingWindow<string>({ sizeMs: 10, emit: "update" }), [
      r("a", 1),
      r("b", 2),
      watermark(9),
    ]);
    expect(upd.main.map((m) => [m.value.firing, m.value.count])).toEqual([
      ["update", 1],
      ["update", 2],
      ["final", 2],
    ]);
    const keyed = runOperator(tumblingWindow<string>({ sizeMs: 10 }), [r("x", 1, "z"), r("y", 2, "b"), watermark(50)]);
    expect(keyed.main.map((m) => m.key)).toEqual(["b", "z"]);
    const global = runOperator(tumblingWindow<string>({ sizeMs: 10, key: "global" }), [r("x", 1, "z"), r("y", 2, "b")]);
    expect(global.main.map((m) => [m.key, m.value.result])).toEqual([["*", ["x", "y"]]]);
    expect(global.completed).toBe(true);
  });

  it("a heartbeat from an idle source closes windows without further records", () => {
    const run = runOperator(
      (s: import("rxjs").Observable<StreamItem<string>>) =>
        s.pipe(withWatermarks<string>({ outOfOrdernessMs: 5 }), tumblingWindow<string>({ sizeMs: 10 })),
      [r("a", 1), r("b", 3), watermark(40)],
    );
    expect(run.items.map((i) => (i.kind === "record" ? `w${i.value.windowStart}` : i.kind))).toEqual([
      "watermark",
      "watermark",
      "w0",
      "watermark",
    ]);
    expect(run.watermarks).toEqual([-5, -3, 40]);
  });

  it("passes upstream side outputs through and routes aggregator errors to error()", () => {
    const side = sideOutput("rejected", "low-confidence", r("q", 1));
    expect(runOperator(tumblingWindow<string>({ sizeMs: 10 }), [side]).items).toEqual([side]);
    const failing = runOperator(
      tumblingWindow<string, number, number>({
        sizeMs: 10,
        aggregate: {
          create: () => 0,
          add: () => {
            throw new Error("boom");
          },
          result: (a) => a,
        },
      }),
      [r("a", 1)],
    );
    expect((failing.error as Error).message).toBe("boom");
  });

  it("evicts closed windows (state stays bounded)", async () => {
    const { WindowEngine } = await import("./internal/window-engine.js");
    const out: StreamItem<unknown>[] = [];
    const engine = new WindowEngine({ next: (i: StreamItem<unknown>) => out.push(i) } as never, {
      assigner: { kind: "fixed", size: 10, advance: 10, offset: 0 },
      keyOf: (_v: unknown, rec: Envelope<unknown>) => rec.key,
      aggregate: countRecords(),
      emit: "final",
      lateness: 5,
      accumulation: "accumulating",
      project: (st, firing, ids) => record({ firing, n: st.count }, st.end - 1, st.key, ids),
    });
    for (let i = 0; i < 1000; i++) engine.next(r(`e${i}`, i, `k${i % 7}`));
    expect(engine.openWindows()).toBeGreaterThan(0);
    engine.next(watermark(1000 + 3));
    expect(engine.openWindows()).toBe(7); // [990, 1000) of all 7 keys, kept for the allowed lateness
    engine.next(watermark(2000));
    expect(engine.openWindows()).toBe(0);
  });

  it("property: every on-time event is in exactly one window, the one containing its event time", () => {
    const size = 7;
    fc.assert(
      fc.property(orderedRecordsArb(), (recs) => {
        const run = runOperator(tumblingWindow<number>({ sizeMs: size }), recs);
        const seen = new Map<string, number>();
        for (const m of run.main) {
          for (const id of m.ids) seen.set(id, (seen.get(id) ?? 0) + 1);
          for (const v of m.value.result) {
            const t = recs[v]!.eventTime;
            expect(t >= m.value.windowStart && t < m.value.windowEnd).toBe(true);
            expect(m.value.windowStart % size).toBe(0);
          }
        }
        expect(recs.every((x) => seen.get(x.ids[0]!) === 1)).toBe(true);
        expect(run.main.length === new Set(run.main.map((m) => `${m.key}/${m.value.windowStart}`)).size).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("property: any reordering within the allowed out-of-orderness yields the same final windows", () => {
    const norm = (m: Envelope<WindowResult<readonly number[]>>) => ({ ...m.value, result: [...m.value.result].sort() });
    fc.assert(
      fc.property(disorderedStreamArb({ boundMs: 15, heartbeats: true }), ({ ordered, disordered, boundMs }) => {
        const make = () => (s: import("rxjs").Observable<StreamItem<number>>) =>
          s.pipe(withWatermarks<number>({ outOfOrdernessMs: boundMs }), tumblingWindow<number>({ sizeMs: 10 }));
        const problems = checkReorderInvariance(make, ordered, disordered, norm);
        expect(problems).toEqual([]);
        // and nothing on-time is late
        expect(runOperator(make(), disordered).sides["late"]).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  const lateStream = orderedRecordsArb()
    .chain((recs) => withLateEvents<number>(recs, fc.integer({ min: 1000, max: 2000 }), { lateByMs: 30 }))
    .chain((items) => withHeartbeats(items));

  it("law: accounting identity (with late events, heartbeats, lateness and update mode)", () => {
    fc.assert(
      accountingIdentityLaw(
        () => (s) =>
          s.pipe(
            withWatermarks<number>({ outOfOrdernessMs: 5 }),
            tumblingWindow<number>({ sizeMs: 10, allowedLatenessMs: 8, emit: "update" }),
          ),
        lateStream,
      ),
      { numRuns: 1000 },
    );
  });

  it("law: same input and same scheduler give the identical output", () => {
    fc.assert(
      determinismLaw(
        () => (s) =>
          s.pipe(
            withWatermarks<number>({ outOfOrdernessMs: 5 }),
            tumblingWindow<number>({ sizeMs: 10, allowedLatenessMs: 3 }),
          ),
        lateStream,
      ),
      { numRuns: 1000 },
    );
  });
});
