import fc from "fast-check";
import { Observable } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { type Envelope, record, type StreamItem, sideOutput, watermark } from "../lib/stream/item.js";
import { checkPermutation, orderedRecordsArb, permutationLaw, runMerge, runOperator } from "../lib/testing/index.js";
import {
  BufferOverflowError,
  createPriorityMergeMetrics,
  MergePressure,
  priorityMerge,
  priorityMergeWith,
} from "./priority-merge.js";
import { withWatermarks } from "./with-watermarks.js";

type V = { id: string; p: number };
const r = (id: string, p: number, t: number) => record<V>({ id, p }, t, "k", [id]);
const byP = (v: V) => v.p;

/** priority desc, then event time asc */
const order = (a: Envelope<V>, b: Envelope<V>) => b.value.p - a.value.p || a.eventTime - b.eventTime;

/**
 * N inputs, each in order with watermarks (out-of-orderness 0), priorities 0..3, each ending with
 * the same final heartbeat (so completion order does not matter: see priorityMerge's TSDoc).
 */
const inputsArb = fc.integer({ min: 1, max: 3 }).chain((n) =>
  fc.tuple(
    ...Array.from({ length: n }, (_, k) =>
      orderedRecordsArb<V>({
        idPrefix: `i${k}-`,
        maxLength: 15,
        value: fc.record({ id: fc.constant(""), p: fc.integer({ min: 0, max: 3 }) }),
      }).map((recs) => [
        ...(runOperator(withWatermarks<V>({ outOfOrdernessMs: 0 }), recs).items as StreamItem<V>[]),
        watermark(1_000_000),
      ]),
    ),
  ),
);

describe("priorityMerge", () => {
  it("emits each batch by priority when the merged watermark advances (marbles)", () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const v = { a: r("a", 0, 1), b: r("b", 2, 2), c: r("c", 1, 3), x: watermark(5), y: watermark(4) };
      const in0 = cold<StreamItem<V>>("-a-b-x-------|", v);
      const in1 = cold<StreamItem<V>>("-c---y-------|", v);
      expectObservable(priorityMerge([in0, in1], { priority: byP })).toBe("-----(bcay)--(x|)", { ...v });
    });
  });

  it("operator form merges the source with the others", () => {
    const out = runMerge(
      ([a, b]) => a!.pipe(priorityMergeWith([b!], { priority: byP })),
      [
        [r("a", 0, 1), watermark(3)],
        [r("b", 5, 2), watermark(3)],
      ],
    );
    expect(out.main.map((m) => m.value.id)).toEqual(["b", "a"]);
    expect(out.watermarks).toEqual([3]);
  });

  it("property: output is a permutation of the input, ordered within each batch, independent of interleaving", () => {
    fc.assert(
      fc.property(
        inputsArb,
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 60, maxLength: 60 }),
        (inputs, jitter) => {
          const merge = (sources: readonly Observable<StreamItem<V>>[]) => priorityMerge(sources, { priority: byP });
          const roundRobin = runMerge(merge, inputs);
          expect(checkPermutation(inputs, roundRobin, order)).toEqual([]);
          // another interleaving: input k's item i at a jittered but per-input increasing time
          const shuffled = runMerge(merge, inputs, { delay: (k, i) => i * 6 + jitter[(k * 20 + i) % 60]! });
          expect(JSON.stringify(shuffled.items)).toBe(JSON.stringify(roundRobin.items));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("law: permutation (the reusable kit check), urgency-like priorities", () => {
    fc.assert(
      permutationLaw<V>(
        (sources) => priorityMerge(sources, { priority: byP }),
        inputsArb.map((ins) => ins.map((i) => [...i])),
        order,
      ),
      { numRuns: 1000 },
    );
  });

  it("fails on overflow with policy fail", () => {
    const run = runMerge(
      (s) => priorityMerge(s, { priority: byP, maxBuffer: 2 }),
      [[r("a", 0, 1), r("b", 0, 2), r("c", 0, 3)]],
    );
    expect(run.error).toBeInstanceOf(BufferOverflowError);
  });

  it("drop-lowest: the lowest record goes to the overflow side output and is counted", () => {
    const metrics = createPriorityMergeMetrics();
    const run = runMerge(
      (s) => priorityMerge(s, { priority: byP, maxBuffer: 2, overflow: "drop-lowest", metrics }),
      [[r("a", 1, 1), r("b", 3, 2), r("c", 2, 3), r("d", 0, 4), watermark(10)]],
    );
    expect(run.sides["overflow"]?.map((s) => s.record.value)).toEqual([
      { id: "a", p: 1 },
      { id: "d", p: 0 },
    ]);
    expect(run.main.map((m) => m.value.id)).toEqual(["b", "c"]);
    expect(metrics.droppedLowest).toBe(2);
    expect(metrics.maxBuffered).toBe(2);
  });

  it("property: with drop-lowest, main + overflow is a permutation of the input and the buffer stays bounded", () => {
    fc.assert(
      fc.property(inputsArb, fc.integer({ min: 1, max: 4 }), (inputs, maxBuffer) => {
        const metrics = createPriorityMergeMetrics();
        const run = runMerge(
          (s) => priorityMerge(s, { priority: byP, maxBuffer, overflow: "drop-lowest", metrics }),
          inputs,
        );
        expect(checkPermutation(inputs, run, order)).toEqual([]);
        expect(metrics.maxBuffered).toBeLessThanOrEqual(maxBuffer);
        expect(metrics.droppedLowest).toBe(run.sides["overflow"]?.length ?? 0);
      }),
      { numRuns: 1000 },
    );
  });

  it("backpressure: pauses inputs ahead of the merged watermark, never the slowest, and resumes when drained", () => {
    const pressure = new MergePressure(2);
    const n = 40;
    const fast: StreamItem<V>[] = [];
    for (let i = 0; i < n; i++) fast.push(r(`f${i}`, i % 3, i * 10), watermark(i * 10));
    const slow: StreamItem<V>[] = [];
    for (let i = 0; i < n; i++) slow.push(r(`s${i}`, 1, i * 10 + 5), watermark(i * 10 + 5));
    /** A pull source: emits while not paused, resumes when its flag goes false. */
    const pull = (items: StreamItem<V>[], k: number) =>
      new Observable<StreamItem<V>>((sub) => {
        let i = 0;
        let pumping = false;
        const pump = () => {
          if (pumping) return;
          pumping = true;
          while (i < items.length && !pressure.isPaused(k) && !sub.closed) sub.next(items[i++]!);
          pumping = false;
          if (i === items.length) sub.complete();
        };
        return pressure.paused$(k).subscribe((p) => {
          if (!p) pump();
        });
      });
    const flags: string[] = [];
    pressure.paused$(0).subscribe((p) => flags.push(`0:${p}`));
    pressure.paused$(1).subscribe((p) => flags.push(`1:${p}`));
    const metrics = createPriorityMergeMetrics();
    const out: StreamItem<V>[] = [];
    let done = false;
    priorityMerge([pull(fast, 0), pull(slow, 1)], {
      priority: byP,
      maxBuffer: 6,
      overflow: "backpressure",
      pressure,
      metrics,
    }).subscribe({ next: (i) => out.push(i), complete: () => (done = true), error: (e) => flags.push(String(e)) });
    expect(done).toBe(true);
    expect(flags).toContain("0:true");
    expect(flags).not.toContain("1:true");
    // the slowest input is never paused, so the buffer may pass maxBuffer, but not the hard limit (2 × 6)
    expect(metrics.maxBuffered).toBeGreaterThanOrEqual(6);
    expect(metrics.maxBuffered).toBeLessThanOrEqual(12);
    expect(out.filter((i) => i.kind === "record").length).toBe(2 * n);
    const wms = out.filter((i) => i.kind === "watermark").map((i) => (i as { time: number }).time);
    expect(wms).toEqual([...wms].sort((a, b) => a - b));
  });

  it("passes side outputs through at once and completes empty", () => {
    const side = sideOutput("late", "x", r("z", 0, 1));
    const run = runMerge<V, V>((s) => priorityMerge(s, { priority: byP }), [[side], []]);
    expect(run.items).toEqual([side]);
    expect(run.completed).toBe(true);
    expect(runMerge<V, V>((s) => priorityMerge(s, { priority: byP }), []).completed).toBe(true);
  });

  it("routes priority-function errors to error()", () => {
    const run = runMerge(
      (s) =>
        priorityMerge<V>(s, {
          priority: () => {
            throw new Error("prio");
          },
        }),
      [[r("a", 0, 1)]],
    );
    expect((run.error as Error).message).toBe("prio");
  });
});
