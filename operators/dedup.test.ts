import fc from "fast-check";
import { from, type Observable } from "rxjs";
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

  /**
   * The first implementation, a `Map<key, expiry>` in admission order, as the reference model: the
   * operator must match it item for item, metrics included.
   */
  function referenceDedup(items: readonly StreamItem<{ eventId: string }>[], ttl: number, maxKeys = Infinity) {
    const seen = new Map<string, number>();
    const m = createDedupMetrics();
    let wm = Number.NEGATIVE_INFINITY;
    const out: string[] = [];
    const emit = (i: unknown) => out.push(JSON.stringify(i) + JSON.stringify(m));
    // Eviction for a watermark runs before the next record is looked up (or before the next
    // watermark's own), not when the watermark passes: the watermark goes on first.
    let evictDue = false;
    const evict = () => {
      evictDue = false;
      let requeued = 0;
      for (const [k, e] of seen) {
        if (e <= wm) {
          seen.delete(k);
          m.evictedByWatermark++;
        } else if (e > wm + 2 * ttl && requeued < 64) {
          seen.delete(k);
          seen.set(k, e);
          requeued++;
        } else break;
      }
      m.keys = seen.size;
    };
    for (const item of items) {
      if (item.kind === "record") {
        if (evictDue) evict();
        const k = item.value.eventId;
        const e = seen.get(k);
        if (e !== undefined) {
          if (e > wm) {
            m.duplicates++;
            emit(sideOutput("duplicate", "duplicate-key", item));
            continue;
          }
          seen.delete(k);
          m.evictedByWatermark++;
        }
        seen.set(k, item.eventTime + ttl);
        if (seen.size > maxKeys) {
          seen.delete(seen.keys().next().value!);
          m.evictedByCapacity++;
        }
        m.keys = seen.size;
      } else if (item.kind === "watermark" && item.time > wm) {
        if (evictDue) evict();
        wm = item.time;
        evictDue = true;
      }
      emit(item);
    }
    return out;
  }

  function actualDedup(items: readonly StreamItem<{ eventId: string }>[], ttl: number, maxKeys?: number) {
    const metrics = createDedupMetrics();
    const out: string[] = [];
    from(items)
      .pipe(dedup<{ eventId: string }>({ ttlMs: ttl, metrics, ...(maxKeys === undefined ? {} : { maxKeys }) }))
      .subscribe((i) => out.push(JSON.stringify(i) + JSON.stringify(metrics)));
    return out;
  }

  it("matches the reference model item for item, metrics included (far-future keys, re-admission, capacity)", () => {
    const itemArb = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 200 })) },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1000, max: 5000 })) },
      { weight: 3, arbitrary: fc.integer({ min: -10, max: 250 }) },
    );
    fc.assert(
      fc.property(
        fc.array(itemArb, { maxLength: 120 }),
        fc.constantFrom(0, 1, 10, 40),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        (xs, ttl, maxKeys) => {
          const items: StreamItem<{ eventId: string }>[] = xs.map((x, i) =>
            typeof x === "number" ? watermark(x) : r(`k${x[0]}`, x[1] + i),
          );
          expect(actualDedup(items, ttl, maxKeys)).toEqual(referenceDedup(items, ttl, maxKeys));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("matches the reference model on a large key set (state regrown and compacted many times)", () => {
    let s = 12345;
    const rand = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 4294967296;
    };
    for (const [ttl, maxKeys, keys] of [
      [50, undefined, 1e9],
      [500, 3000, 1e9],
      [200, undefined, 2000],
      [1e6, 5000, 20000],
    ] as const) {
      const items: StreamItem<{ eventId: string }>[] = [];
      let max = 0;
      for (let i = 0; i < 30_000; i++) {
        const t = Math.floor(i / 10 + rand() * 30) + (rand() < 0.001 ? 100_000 : 0);
        max = Math.max(max, t);
        const id =
          keys > 1e8 ? (rand() < 0.1 ? Math.max(0, i - Math.floor(rand() * 40)) : i) : Math.floor(rand() * keys);
        items.push(r(`ev-${id}`, t));
        if (rand() < 0.3) items.push(watermark(max - 30));
      }
      expect(actualDedup(items, ttl, maxKeys)).toEqual(referenceDedup(items, ttl, maxKeys));
    }
  });

  it("law: accounting identity (1:1) and determinism", () => {
    const stream = orderedRecordsArb<number>({ value: fc.integer({ min: 0, max: 20 }) }).chain((recs) =>
      withDuplicates<number>(recs).chain((x) => withHeartbeats(x)),
    );
    fc.assert(accountingIdentityLaw(make(4), stream, { oneToOne: true }), { numRuns: 1000 });
    fc.assert(determinismLaw(make(4), stream), { numRuns: 1000 });
  });
});
