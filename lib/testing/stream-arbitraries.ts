import fc from "fast-check";
import { type Envelope, record, type StreamItem, watermark } from "../stream/item.js";

/**
 * Stream arbitraries: in-order records, then the disorders real inputs have — reordering within a
 * bound, redelivered duplicates, late events and heartbeat watermarks across idle gaps.
 */

export interface RecordsOptions<T> {
  /** Value of each record (called with a fresh generated value; default: the record's index). */
  readonly value?: fc.Arbitrary<T>;
  /** Envelope key of a value; default: one of `keys` generated keys `k0..k{keys-1}`. */
  readonly keyOf?: (value: T) => string;
  /** Number of distinct keys when `keyOf` is not given. Default 3. */
  readonly keys?: number;
  readonly minLength?: number;
  /** Default 30. */
  readonly maxLength?: number;
  /** Event time of the first record. Default 0. */
  readonly startTime?: number;
  /** Maximum event-time step between consecutive records (steps are 0..maxStepMs). Default 10. */
  readonly maxStepMs?: number;
  /** Prefix of the unique lineage id of each record (`${prefix}${index}`). Default `e`. */
  readonly idPrefix?: string;
}

/** Records in event-time order, with unique ids `e0, e1, ...`. */
export function orderedRecordsArb<T = number>(o: RecordsOptions<T> = {}): fc.Arbitrary<Envelope<T>[]> {
  const valueArb = (o.value ?? fc.constant(undefined)) as fc.Arbitrary<T | undefined>;
  const keys = o.keys ?? 3;
  const prefix = o.idPrefix ?? "e";
  return fc
    .array(fc.tuple(valueArb, fc.integer({ min: 0, max: o.maxStepMs ?? 10 }), fc.integer({ min: 0, max: keys - 1 })), {
      minLength: o.minLength ?? 0,
      maxLength: o.maxLength ?? 30,
    })
    .map((rows) => {
      let t = o.startTime ?? 0;
      return rows.map(([v, step, k], i) => {
        t += step;
        const value = (o.value === undefined ? i : v) as T;
        const key = o.keyOf ? o.keyOf(value) : `k${k}`;
        return record(value, t, key, [`${prefix}${i}`]);
      });
    });
}

/**
 * Reorder records so that no record arrives more than `boundMs` (event time) behind the newest
 * record before it: each record gets a jitter in [0, boundMs] and they are stably sorted by
 * `eventTime + jitter`. With `withWatermarks({ outOfOrdernessMs: boundMs })` none of them is late.
 */
export function reorderWithinBound<T>(records: readonly Envelope<T>[], boundMs: number): fc.Arbitrary<Envelope<T>[]> {
  return fc
    .array(fc.integer({ min: 0, max: boundMs }), { minLength: records.length, maxLength: records.length })
    .map((jitter) =>
      records
        .map((r, i) => ({ r, at: r.eventTime + jitter[i]!, i }))
        .sort((a, b) => a.at - b.at || a.i - b.i)
        .map((x) => x.r),
    );
}

/**
 * Insert redelivered duplicates: copies (same value, time, key and ids) of some records, each at
 * most `maxDistance` positions after its original. Default up to 5 copies, distance up to 3.
 */
export function withDuplicates<T>(
  items: readonly StreamItem<T>[],
  o: { readonly maxCopies?: number; readonly maxDistance?: number } = {},
): fc.Arbitrary<StreamItem<T>[]> {
  const recs = items.map((it, i) => (it.kind === "record" ? i : -1)).filter((i) => i >= 0);
  if (recs.length === 0) return fc.constant(items.slice());
  return fc
    .array(fc.tuple(fc.constantFrom(...recs), fc.integer({ min: 1, max: o.maxDistance ?? 3 })), {
      maxLength: o.maxCopies ?? 5,
    })
    .map((copies) => {
      const inserts = new Map<number, Envelope<T>[]>();
      for (const [src, d] of copies) {
        const at = Math.min(items.length, src + d);
        const orig = items[src] as Envelope<T>;
        const list = inserts.get(at) ?? [];
        list.push(record(orig.value, orig.eventTime, orig.key, orig.ids));
        inserts.set(at, list);
      }
      const out: StreamItem<T>[] = [];
      for (let i = 0; i <= items.length; i++) {
        for (const c of inserts.get(i) ?? []) out.push(c);
        if (i < items.length) out.push(items[i]!);
      }
      return out;
    });
}

/**
 * Insert late records: at random positions, a record `lateByMs` (default 1000) or more older than
 * the newest event time before it, with ids `late0, late1, ...` and values from `value`.
 */
export function withLateEvents<T>(
  items: readonly StreamItem<T>[],
  value: fc.Arbitrary<T>,
  o: { readonly maxLate?: number; readonly lateByMs?: number; readonly key?: string } = {},
): fc.Arbitrary<StreamItem<T>[]> {
  const lateBy = o.lateByMs ?? 1000;
  return fc
    .array(fc.tuple(fc.integer({ min: 0, max: items.length }), value, fc.integer({ min: 0, max: lateBy })), {
      maxLength: o.maxLate ?? 3,
    })
    .map((lates) => {
      const sorted = lates
        .map((l, j) => ({ at: l[0], v: l[1], extra: l[2], j }))
        .sort((a, b) => a.at - b.at || a.j - b.j);
      const out: StreamItem<T>[] = [];
      let max = Number.NEGATIVE_INFINITY;
      let next = 0;
      let n = 0;
      for (let i = 0; i <= items.length; i++) {
        while (next < sorted.length && sorted[next]!.at === i) {
          const l = sorted[next++]!;
          if (max !== Number.NEGATIVE_INFINITY) {
            out.push(record(l.v, max - lateBy - l.extra, o.key ?? "k0", [`late${n++}`]));
          }
        }
        if (i < items.length) {
          const it = items[i]!;
          if (it.kind === "record" && it.eventTime > max) max = it.eventTime;
          out.push(it);
        }
      }
      return out;
    });
}

/**
 * Insert heartbeats (watermark items from a source that is idle or between bursts) at random
 * positions. A heartbeat never makes a later record late: at position i its time is at most
 * `min(event time of every record from i on) - 1`, and after the last record it may run up to
 * `idleAdvanceMs` past the end (an idle source whose clock keeps going). Watermarks never go back.
 */
export function withHeartbeats<T>(
  items: readonly StreamItem<T>[],
  o: { readonly maxHeartbeats?: number; readonly idleAdvanceMs?: number } = {},
): fc.Arbitrary<StreamItem<T>[]> {
  const n = items.length;
  const minFrom = new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = n - 1; i >= 0; i--) {
    const it = items[i]!;
    minFrom[i] = Math.min(minFrom[i + 1]!, it.kind === "record" ? it.eventTime : Number.POSITIVE_INFINITY);
  }
  let lastTime = 0;
  for (const it of items) if (it.kind === "record") lastTime = Math.max(lastTime, it.eventTime);
  // each heartbeat lands in the 50 ms below its cap
  const idle = o.idleAdvanceMs ?? 100;
  return fc
    .array(fc.tuple(fc.integer({ min: 0, max: n }), fc.double({ min: 0, max: 1, noNaN: true })), {
      maxLength: o.maxHeartbeats ?? 4,
    })
    .map((hbs) => {
      const at = new Map<number, number[]>();
      for (const [pos, frac] of hbs) {
        const cap = minFrom[pos]! === Number.POSITIVE_INFINITY ? lastTime + idle : minFrom[pos]! - 1;
        const list = at.get(pos) ?? [];
        list.push(cap - Math.floor(frac * 50));
        at.set(pos, list);
      }
      const out: StreamItem<T>[] = [];
      let wm = Number.NEGATIVE_INFINITY;
      for (let i = 0; i <= n; i++) {
        for (const h of (at.get(i) ?? []).sort((a, b) => a - b)) {
          if (h > wm) {
            wm = h;
            out.push(watermark(h));
          }
        }
        if (i < n) out.push(items[i]!);
      }
      return out;
    });
}

export interface DisorderedStreamOptions<T> extends RecordsOptions<T> {
  /** Reordering bound (event-time ms). Default 20. */
  readonly boundMs?: number;
  readonly duplicates?: boolean;
  readonly heartbeats?: boolean;
}

/** An in-order record list together with a version reordered within `boundMs` (+ duplicates, heartbeats). */
export function disorderedStreamArb<T = number>(
  o: DisorderedStreamOptions<T> = {},
): fc.Arbitrary<{ ordered: Envelope<T>[]; disordered: StreamItem<T>[]; boundMs: number }> {
  const bound = o.boundMs ?? 20;
  return orderedRecordsArb(o).chain((ordered) =>
    reorderWithinBound(ordered, bound)
      .chain((r) => (o.duplicates ? withDuplicates<T>(r) : fc.constant(r as StreamItem<T>[])))
      .chain((r) => (o.heartbeats ? withHeartbeats(r) : fc.constant(r)))
      .map((disordered) => ({ ordered, disordered, boundMs: bound })),
  );
}
