import type { Subscriber } from "rxjs";
import { type Envelope, type StreamItem, SideTag, sideOutput } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { KeyFifo } from "./internal/key-fifo.js";
import { type ItemHandler, streamOperator } from "./internal/operate.js";
import { checkNonNegative, checkPositive } from "./internal/window-types.js";

/** Counters a {@link dedup} operator keeps up to date (pass one in to observe it, e.g. for metrics). */
export interface DedupMetrics {
  /** Records sent to the `duplicate` side output. */
  duplicates: number;
  /** Keys forgotten because the watermark passed their first occurrence + ttl. */
  evictedByWatermark: number;
  /** Keys forgotten because `maxKeys` was reached (oldest admitted first). */
  evictedByCapacity: number;
  /** Keys currently remembered. */
  keys: number;
}

export function createDedupMetrics(): DedupMetrics {
  return { duplicates: 0, evictedByWatermark: 0, evictedByCapacity: 0, keys: 0 };
}

export interface DedupOptions<T> {
  /**
   * Identity of a record. Default: `value.eventId` when the value has a string `eventId` (every
   * consilium event does), else the record's lineage ids joined.
   */
  readonly key?: (value: T, record: Envelope<T>) => string;
  /**
   * Event-time TTL: a key admitted at event time `t0` is remembered until the watermark reaches
   * `t0 + ttlMs`; a record with that key before then is a duplicate.
   */
  readonly ttlMs: number;
  /**
   * Optional bound on remembered keys. When exceeded, the key admitted longest ago is forgotten
   * (counted in `evictedByCapacity`). Hits do not refresh a key: recency is admission order, which
   * is what keeps `dedup(dedup(s)) = dedup(s)` true under eviction.
   */
  readonly maxKeys?: number;
  readonly metrics?: DedupMetrics;
}

/** The default dedup key: `value.eventId`, or the lineage ids. */
export function defaultDedupKey<T>(value: T, rec: Envelope<T>): string {
  const id = (value as { eventId?: unknown } | null | undefined)?.eventId;
  return typeof id === "string" ? id : rec.ids.join("\u0000");
}

class DedupHandler<T> implements ItemHandler<T> {
  /** Remembered keys in admission order (recency for `maxKeys`), each with its expiry. */
  private readonly seen = new KeyFifo();
  private wm = Number.NEGATIVE_INFINITY;
  /**
   * Whether the watermark advanced since the last eviction. Eviction runs when the next record
   * arrives, before it is looked up — the state every record sees is the one eviction at the
   * watermark would have left — so that forgetting keys does not stand between a watermark and
   * the window closes it sets off downstream.
   */
  private evictDue = false;

  constructor(
    private readonly out: Subscriber<StreamItem<T>>,
    private readonly keyOf: (value: T, record: Envelope<T>) => string,
    private readonly ttl: number,
    private readonly maxKeys: number,
    private readonly metrics: DedupMetrics,
  ) {}

  next(item: StreamItem<T>): void {
    if (item.kind === "record") {
      if (this.evictDue) this.evict();
      const k = this.keyOf(item.value, item);
      const seen = this.seen;
      const slot = seen.find(k);
      if (slot >= 0) {
        if (seen.valueAt(slot) > this.wm) {
          this.metrics.duplicates++;
          this.out.next(sideOutput(SideTag.duplicate, "duplicate-key", item));
          return;
        }
        // expired, not yet reached by eviction: forgotten, and admitted again (at the back)
        this.metrics.evictedByWatermark++;
        seen.readmit(slot, k, item.eventTime + this.ttl);
      } else {
        seen.append(k, item.eventTime + this.ttl);
        if (seen.size > this.maxKeys && !seen.isEmpty()) {
          seen.removeFront();
          this.metrics.evictedByCapacity++;
        }
      }
      this.metrics.keys = seen.size;
      this.out.next(item);
    } else if (item.kind === "watermark") {
      if (item.time > this.wm) {
        // two watermarks in a row: the first one's eviction, as it would have run
        if (this.evictDue) this.evict();
        this.wm = item.time;
        this.evictDue = true;
      }
      this.out.next(item);
    } else {
      this.out.next(item);
    }
  }

  complete(): void {
    if (this.evictDue) this.evict();
  }

  /**
   * Forget expired keys from the oldest admitted on, stopping at the first live one (admission
   * order follows event time up to the disorder bound), so a watermark that expires nothing costs
   * O(1). A live key from far ahead of the watermark (expiry beyond watermark + 2·ttl: a
   * clock-skewed producer) is re-queued at the back instead of blocking eviction — at most 64 per
   * watermark (a key re-queued comes round again within the same 64). Depends only on admitted
   * records and watermarks, so `dedup(dedup(s)) = dedup(s)` still holds.
   */
  private evict(): void {
    this.evictDue = false;
    const wm = this.wm;
    const seen = this.seen;
    const far = wm + 2 * this.ttl;
    let n = 0;
    let requeued = 0;
    while (!seen.isEmpty()) {
      const expiry = seen.frontValue();
      if (expiry <= wm) {
        seen.removeFront();
        n++;
      } else if (expiry > far && requeued < 64) {
        seen.requeueFront();
        requeued++;
      } else break;
    }
    this.metrics.evictedByWatermark += n;
    this.metrics.keys = seen.size;
  }
}

/**
 * Drops repeated records: the first record of a key is emitted, later records with the same key
 * go to the `duplicate` side output (reason `duplicate-key`) until the watermark passes the first
 * one's event time + `ttlMs`. Memory is bounded by watermark eviction (run when the next record
 * or watermark arrives, so that it does not delay the window closes a watermark sets off
 * downstream) and the optional `maxKeys`.
 * Watermarks and upstream side outputs pass through. Deterministic: the decision depends only on
 * the records and watermarks before it. A 1:1 operator: main + duplicate = input.
 *
 * ```
 * ttlMs: 100
 * input:  -a@1--b@2--a@3--W150--a@160--|
 * output: -a@1--b@2--d---W150--a@160--|     d = sideOutput("duplicate", "duplicate-key", a@3)
 * ```
 */
export function dedup<T>(options: DedupOptions<T>): DescribedOperator<T, T> {
  checkNonNegative("ttlMs", options.ttlMs);
  if (options.maxKeys !== undefined) checkPositive("maxKeys", options.maxKeys);
  const keyOf = options.key ?? defaultDedupKey;
  const maxKeys = options.maxKeys ?? Number.POSITIVE_INFINITY;
  const op = streamOperator<T, T>(
    (out) => new DedupHandler(out, keyOf, options.ttlMs, maxKeys, options.metrics ?? createDedupMetrics()),
  );
  return describeOperator(op, { operatorName: "dedup", sideOutputs: [SideTag.duplicate], retentionMs: 0 });
}
