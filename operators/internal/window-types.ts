import type { Envelope } from "../../lib/stream/item.js";

/**
 * When a window emits: `final` once, when the watermark passes its end; `update` after every record
 * it receives and once more (as `final`) when the watermark passes its end.
 */
export type EmitMode = "final" | "update";

/**
 * Why a window result was emitted: `update` (a record arrived, emit mode `update`), `final` (the
 * watermark passed the window's end) or `late` (a late record within the allowed lateness re-fired
 * an already-closed window).
 */
export type Firing = "update" | "final" | "late";

/**
 * What a re-firing contains: `accumulating` (everything the window has seen so far, the default) or
 * `discarding` (only the records that arrived since the previous firing of that window).
 */
export type Accumulation = "accumulating" | "discarding";

/**
 * How records are grouped into keyed windows: `"record"` (the envelope's partition key, default),
 * `"global"` (one key, {@link GLOBAL_KEY}, for the whole stream) or a function of the value.
 */
export type KeySelector<T> = "record" | "global" | ((value: T, record: Envelope<T>) => string);

/** The key of a global (non-keyed) window. */
export const GLOBAL_KEY = "*";

/** The bounds of a window: `[start, end)` in event-time milliseconds. */
export interface WindowBounds {
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Incremental window aggregation (Flink's AggregateFunction): `create` a fresh accumulator, `add`
 * records to it, `merge` two accumulators (session windows need it) and read the `result`.
 * The accumulator may be mutated in place and returned.
 */
export interface WindowAggregator<T, A, R> {
  create(): A;
  add(acc: A, value: T, record: Envelope<T>): A;
  merge?(a: A, b: A): A;
  result(acc: A, window: WindowBounds): R;
}

/** A window aggregator that can merge accumulators (required by session windows). */
export interface MergingWindowAggregator<T, A, R> extends WindowAggregator<T, A, R> {
  merge(a: A, b: A): A;
}

/** The value a window operator emits for one firing of one window. */
export interface WindowResult<R> {
  readonly key: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly firing: Firing;
  /** Records aggregated into `result` (for `discarding` accumulation: since the previous firing). */
  readonly count: number;
  readonly result: R;
}

/** Options shared by every event-time window operator. */
export interface WindowOptions<T, A, R> {
  /** Grouping; default `"record"` (the envelope key). */
  readonly key?: KeySelector<T>;
  /** Aggregation; default {@link collectValues} (the window's values in arrival order). */
  readonly aggregate?: WindowAggregator<T, A, R>;
  /** Default `"final"`. */
  readonly emit?: EmitMode;
  /**
   * How long (event time, ms) after a window's end a late record still re-fires it; later records
   * go to the `late` side output. Default 0.
   */
  readonly allowedLatenessMs?: number;
  /** Default `"accumulating"`. */
  readonly accumulation?: Accumulation;
}

/** Window aggregator that collects the values in arrival order (the default). */
export function collectValues<T>(): MergingWindowAggregator<T, T[], readonly T[]> {
  return {
    create: () => [],
    add(acc, value) {
      acc.push(value);
      return acc;
    },
    merge(a, b) {
      for (const v of b) a.push(v);
      return a;
    },
    result: (acc) => acc.slice(),
  };
}

/** Window aggregator that counts records. */
export function countRecords<T>(): MergingWindowAggregator<T, { n: number }, number> {
  return {
    create: () => ({ n: 0 }),
    add(acc) {
      acc.n++;
      return acc;
    },
    merge(a, b) {
      a.n += b.n;
      return a;
    },
    result: (acc) => acc.n,
  };
}

/** Window aggregator that sums a number read from each value. */
export function sumBy<T>(read: (value: T) => number): MergingWindowAggregator<T, { s: number }, number> {
  return {
    create: () => ({ s: 0 }),
    add(acc, value) {
      acc.s += read(value);
      return acc;
    },
    merge(a, b) {
      a.s += b.s;
      return a;
    },
    result: (acc) => acc.s,
  };
}

export function resolveKeySelector<T>(sel: KeySelector<T> | undefined): (value: T, record: Envelope<T>) => string {
  if (sel === undefined || sel === "record") return recordKey;
  if (sel === "global") return globalKey;
  return sel;
}

function recordKey<T>(_value: T, record: Envelope<T>): string {
  return record.key;
}

function globalKey(): string {
  return GLOBAL_KEY;
}

export function checkNonNegative(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${v}`);
  }
}

export function checkPositive(name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a finite number > 0, got ${v}`);
}
