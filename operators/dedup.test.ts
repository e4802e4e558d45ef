import fc from "fast-check";
import type { Observable } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { record, type StreamItem, sideOutput, watermark } from "../lib/stream/item.js";
import {
  accountingIdentityLaw,
  determinismLaw,
  disorderedStreamArb,
  idempotenceLaw,
  orderedRecordsArb,
  runOperator,
  withDuplicates,
  withHeartbeats,
} from "../lib/testing/index.js";
import { createDedupMetrics, dedup } from "./dedup.js";
import { withWatermarks } from "./with-watermarks.js";

const r = (id: string, t: number) => record({ eventId: id }, t, "p", [`m-${id}-${t}`]);

describe("dedup", () => {
  it("sends repeats within the ttl to the duplicate side output (marbles)", () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const values = { a: r("a", 1), b: r("b", 2), c: r("a", 3), w: watermark(150), e: r("a", 160) };
      const input = cold<StreamItem<{ eventId: string }>>("-a-b-c-w-e-|", values);
      expectObservable(input.pipe(dedup({ ttlMs: 100 }))).toBe("-a-b-d-w-e-|", {
        ...values,
        d: sideOutput("duplicate", "duplicate-key", values.c),
      });
    });
  });

  it("bounds memory by watermark and by maxKeys, counting evictions", () => {
    const metrics = createDedupMetrics();
    const items: StreamItem<{ eventId: string }>[] = [];
    for (let i = 0; i < 100; i++) items.push(r(`k${i}`, i));
    items.push(watermark(59)); // expires k0..k49 (expiry = t + 10)
    items.push(r("k0", 200)); // forgotten -> admitted again
    const run = runOperator(dedup<{ eventId: string }>({ ttlMs: 10, maxKeys: 80, metrics }), items);
    expect(run.main.length).toBe(101);
    expect(metrics.evictedByCapacity).toBe(20);
    expect(metrics.evictedByWatermark).toBe(30); // k20..k49 (k0..k19 already evicted by capacity)
    expect(metrics.keys).toBe(51);
    expect(metrics.duplicates).toBe(0);
  });

  it("evicts by watermark even behind a key from the far future", () => {
    const metrics = createDedupMetrics();
    const items: StreamItem<{ eventId: string }>[] = [r("future", 1e9)];
    for (let i = 0; i < 100; i++) items.push(r(`k${i}`, i));
    items.push(watermark(59)); // expiry = t + 10 <= 59 for t <= 49
    runOperator(dedup<{ eventId: string }>({ ttlMs: 10, metrics }), items);
    expect(metrics.evictedByWatermark).toBe(50);
    expect(metrics.keys).toBe(51);
  });

  it("treats an expired key as new even before the eviction scan reaches it", () => {
    const items = [r("a", 50), r("b", 1), watermark(20), r("b", 30), r("a", 60)];
    const run = runOperator(dedup<{ eventId: string }>({ ttlMs: 10 }), items);
    expect(run.main.map((m) => m.eventTime)).toEqual([50, 1, 30]);
    expect(run.sides["duplicate"]?.map((s) => s.record.eventTime)).toEqual([60]);
  });

  it("routes key-function errors to error()", () => {
    const run = runOperator(
      dedup<number>({
        ttlMs: 1,
        key: () => {
          throw new Error("bad key");
        },
      }),
      [record(1, 1, "k", ["x"])],
    );
    expect((run.error as Error).message).toBe("bad key");
  });

  const keyOf = (v: number) => String(v % 7);
  const valueStream = (maxKeys?: number) =>
    orderedRecordsArb<number>({ value: fc.integer({ min: 0, max: 20 }), maxLength: 30 })
      .chain((recs) => withHeartbeats(recs))
      .map((items) => ({ items, maxKeys }));
  const make = (maxKeys?: number) => () =>
    dedup<number>({ ttlMs: 15, key: keyOf, ...(maxKeys === undefined ? {} : { maxKeys }) });

  it("law: dedup(dedup(s)) = dedup(s), also with maxKeys eviction", () => {
    fc.assert(
      idempotenceLaw(
        make(),
        valueStream().map((x) => x.items),
      ),
      { numRuns: 1000 },
    );
    fc.assert(
      idempotenceLaw(
        make(3),
        valueStream(3).map((x) => x.items),
      ),
      { numRuns: 1000 },
    );
  });

  it("property: dedup(s with redelivered duplicates inserted) = dedup(s)", () => {
    fc.assert(
      fc.property(
        disorderedStreamArb({ boundMs: 5, heartbeats: true, maxLength: 25 }).chain(({ disordered }) =>
          withDuplicates(disordered, { maxCopies: 6, maxDistance: 3 }).map((withDups) => ({ disordered, withDups })),
        ),
        ({ disordered, withDups }) => {
          const op = () => (s: Observable<StreamItem<number>>) =>
            s.pipe(withWatermarks<number>({ outOfOrdernessMs: 5 }), dedup<number>({ ttlMs: 1000 }));
          const a = runOperator(op(), disordered);
          const b = runOperator(op(), withDups);
          expect(JSON.stringify(b.main)).toBe(JSON.stringify(a.main));
          expect(b.watermarks).toEqual(a.watermarks);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("law: accounting identity (1:1) and determinism", () => {
    const stream = orderedRecordsArb<number>({ value: fc.integer({ min: 0, max: 20 }) }).chain((recs) =>
      withDuplicates<number>(recs).chain((x) => withHeartbeats(x)),
    );
    fc.assert(accountingIdentityLaw(make(4), stream, { oneToOne: true }), { numRuns: 1000 });
    fc.assert(determinismLaw(make(4), stream), { numRuns: 1000 });
  });
});
