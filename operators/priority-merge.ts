import { PriorityQueue } from "@datastructures-js/priority-queue";
import { Observable, type Subscriber } from "rxjs";
import { type Envelope, type StreamItem, SideTag, sideOutput, type Watermark, watermark } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { MergePressure } from "./internal/merge-pressure.js";
import { SortedTimes } from "./internal/sorted-times.js";

export { MergePressure };

/** What happens when the buffer is full. */
export type OverflowPolicy = "fail" | "drop-lowest" | "backpressure";

/** Counters a priority merge keeps up to date. */
export interface PriorityMergeMetrics {
  /** Emission batches (one per merged-watermark advance, plus the final drain). */
  batches: number;
  emitted: number;
  /** Records sent to the `overflow` side output by `drop-lowest`. */
  droppedLowest: number;
  buffered: number;
  maxBuffered: number;
}

export function createPriorityMergeMetrics(): PriorityMergeMetrics {
  return { batches: 0, emitted: 0, droppedLowest: 0, buffered: 0, maxBuffered: 0 };
}

/** The error a merge ends with when its buffer overflows (`fail`, or `backpressure` past `hardLimit`). */
export class BufferOverflowError extends Error {
  constructor(
    readonly limit: number,
    readonly policy: OverflowPolicy,
  ) {
    super(`priority merge buffer overflow: more than ${limit} records buffered (policy ${policy})`);
    this.name = "BufferOverflowError";
  }
}

export interface PriorityMergeOptions<T> {
  /** Higher first (e.g. urgency rank, quality, source priority). */
  readonly priority: (value: T, record: Envelope<T>) => number;
  /** Records held while waiting for the merged watermark. Default 100 000. */
  readonly maxBuffer?: number;
  /** Default `"fail"`. */
  readonly overflow?: OverflowPolicy;
  /** Required for `"backpressure"`: the flags the merge sets per input. */
  readonly pressure?: MergePressure;
  /** `"backpressure"`: inputs resume when the buffer drops below this. Default `maxBuffer / 2`. */
  readonly resumeBelow?: number;
  /** `"backpressure"`: if inputs ignore the pause and the buffer exceeds this, fail. Default `2 × maxBuffer`. */
  readonly hardLimit?: number;
  readonly metrics?: PriorityMergeMetrics;
}

interface Entry<T> {
  readonly rec: Envelope<T>;
  readonly prio: number;
  readonly input: number;
  readonly seq: number;
  /** 0 buffered, 1 emitted, 2 dropped */
  state: number;
}

/** Output order within a batch: priority desc, then event time, input index, per-input sequence. */
function compareOutput<T>(a: Entry<T>, b: Entry<T>): number {
  if (a.prio !== b.prio) return a.prio > b.prio ? -1 : 1;
  if (a.rec.eventTime !== b.rec.eventTime) return a.rec.eventTime - b.rec.eventTime;
  if (a.input !== b.input) return a.input - b.input;
  return a.seq - b.seq;
}

/** Binary min-heap of buffered entries by event time. */
class TimeHeap<E extends { readonly rec: { readonly eventTime: number } }> {
  private readonly a: E[] = [];

  get size(): number {
    return this.a.length;
  }

  /** Event time of the earliest entry, +∞ when empty. */
  minTime(): number {
    return this.a.length > 0 ? this.a[0]!.rec.eventTime : Number.POSITIVE_INFINITY;
  }

  push(e: E): void {
    const a = this.a;
    const t = e.rec.eventTime;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = a[p]!;
      if (pe.rec.eventTime <= t) break;
      a[i] = pe;
      i = p;
    }
    a[i] = e;
  }

  pop(): E {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      const t = last.rec.eventTime;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r]!.rec.eventTime < a[l]!.rec.eventTime ? r : l;
        const ce = a[c]!;
        if (ce.rec.eventTime >= t) break;
        a[i] = ce;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/** At most this many distinct priorities in a batch take the bucketed path of {@link sortBatch}. */
const MAX_BUCKETS = 8;

/**
 * Sort a batch by {@link compareOutput}. The batch comes off the time heap in event-time order, so
 * when it holds few distinct priorities (urgency ranks, source priorities) it is split into one
 * bucket per priority — each bucket is then already sorted by event time and needs only its ties
 * put in (input, sequence) order, which the sort does in near-linear time on such runs — and the
 * buckets are written back highest priority first. The result is the same total order as a full
 * sort; many distinct priorities (or NaN) take the full sort.
 */
function sortBatch<T>(batch: Entry<T>[]): void {
  const n = batch.length;
  if (n < 16) {
    batch.sort(compareOutput);
    return;
  }
  const prios: number[] = [];
  const buckets: Entry<T>[][] = [];
  for (let i = 0; i < n; i++) {
    const e = batch[i]!;
    const p = e.prio;
    let b = 0;
    while (b < prios.length && prios[b] !== p) b++;
    if (b === prios.length) {
      if (b === MAX_BUCKETS || Number.isNaN(p)) {
        batch.sort(compareOutput);
        return;
      }
      prios.push(p);
      buckets.push([]);
    }
    buckets[b]!.push(e);
  }
  const order = prios.map((_, i) => i).sort((a, b) => prios[b]! - prios[a]!);
  let w = 0;
  for (let i = 0; i < order.length; i++) {
    const bucket = buckets[order[i]!]!;
    bucket.sort(compareOutput);
    for (let j = 0; j < bucket.length; j++) batch[w++] = bucket[j]!;
  }
}

function compareLowestFirst<T>(a: Entry<T>, b: Entry<T>): number {
  return compareOutput(b, a);
}

class MergeState<T> {
  private readonly wms: number[];
  private merged = Number.NEGATIVE_INFINITY;
  private lastBoundary = Number.NEGATIVE_INFINITY;
  private readonly seqs: number[];
  /** Buffered records, min-heap by event time (inline comparisons: the hot path). */
  private readonly byTime = new TimeHeap<Entry<T>>();
  /**
   * Per input, the buffered records that arrived in event-time order (non-decreasing): the common
   * case skips the heap, and the records up to a boundary are a prefix (`runHeads[k]` = first
   * not yet emitted). Records that arrive out of order go to `byTime`.
   */
  private readonly runs: Entry<T>[][];
  private readonly runHeads: number[];
  /** Input watermark values above the merged watermark: the batch boundaries still to come. */
  private readonly boundaries = new SortedTimes();
  private lowest: PriorityQueue<Entry<T>> | undefined;
  /** The watermark item being handled: passed on when it is the one to emit (items are immutable). */
  private arriving: Watermark | undefined;
  private size = 0;
  private open: number;
  private readonly maxBuffer: number;
  private readonly policy: OverflowPolicy;
  private readonly resumeBelow: number;
  private readonly hardLimit: number;

  constructor(
    private readonly out: Subscriber<StreamItem<T>>,
    private readonly n: number,
    private readonly o: PriorityMergeOptions<T>,
    private readonly metrics: PriorityMergeMetrics,
  ) {
    this.wms = new Array<number>(n).fill(Number.NEGATIVE_INFINITY);
    this.seqs = new Array<number>(n).fill(0);
    this.runs = Array.from({ length: n }, () => []);
    this.runHeads = new Array<number>(n).fill(0);
    this.open = n;
    this.maxBuffer = o.maxBuffer ?? 100_000;
    this.policy = o.overflow ?? "fail";
    this.resumeBelow = o.resumeBelow ?? Math.floor(this.maxBuffer / 2);
    this.hardLimit = o.hardLimit ?? 2 * this.maxBuffer;
    this.lowest = this.policy === "drop-lowest" ? new PriorityQueue<Entry<T>>(compareLowestFirst) : undefined;
  }

  next(k: number, item: StreamItem<T>): void {
    if (item.kind === "record") this.onRecord(k, item);
    else if (item.kind === "watermark") {
      if (item.time > this.wms[k]!) {
        this.wms[k] = item.time;
        if (item.time > this.merged && this.boundaries.size < this.maxBuffer) this.boundaries.add(item.time);
        this.arriving = item;
        this.advance();
        this.arriving = undefined;
      }
    } else this.out.next(item);
  }

  complete(k: number): boolean {
    this.wms[k] = Number.POSITIVE_INFINITY;
    this.open--;
    if (this.open > 0) {
      this.advance();
      return false;
    }
    this.emitBoundariesUpTo(Number.POSITIVE_INFINITY);
    this.emitUpTo(Number.POSITIVE_INFINITY);
    return true;
  }

  private emitBoundariesUpTo(w: number): void {
    const b = this.boundaries;
    while (b.size > 0 && b.first()! <= w) {
      const t = b.shift()!;
      if (t <= this.lastBoundary) continue;
      this.lastBoundary = t;
      this.emitUpTo(t);
      this.out.next(this.watermarkAt(t));
    }
  }

  private watermarkAt(t: number): StreamItem<T> {
    const a = this.arriving;
    return a !== undefined && a.time === t ? a : watermark(t);
  }

  private onRecord(k: number, rec: Envelope<T>): void {
    const entry: Entry<T> = { rec, prio: this.o.priority(rec.value, rec), input: k, seq: this.seqs[k]!++, state: 0 };
    if (rec.eventTime <= this.merged) {
      // Behind the merged watermark: its batch has gone, so it is emitted at once (a batch of one).
      this.metrics.batches++;
      this.metrics.emitted++;
      this.out.next(rec);
      return;
    }
    if (this.size >= this.maxBuffer) {
      if (this.policy === "fail") throw new BufferOverflowError(this.maxBuffer, "fail");
      if (this.policy === "drop-lowest") {
        const low = this.peekLowest();
        if (low === undefined || compareOutput(entry, low) > 0) {
          this.drop(entry);
          return;
        }
        this.lowest!.dequeue();
        low.state = 2;
        this.size--;
        this.drop(low);
      } else if (this.size >= this.hardLimit) {
        throw new BufferOverflowError(this.hardLimit, "backpressure");
      }
    }
    const run = this.runs[k]!;
    if (run.length === this.runHeads[k]! || run[run.length - 1]!.rec.eventTime <= rec.eventTime) run.push(entry);
    else this.byTime.push(entry);
    this.lowest?.enqueue(entry);
    this.size++;
    if (this.size > this.metrics.maxBuffered) this.metrics.maxBuffered = this.size;
    this.metrics.buffered = this.size;
    if (this.policy === "backpressure") this.updatePressure();
  }

  private peekLowest(): Entry<T> | undefined {
    const q = this.lowest!;
    while (!q.isEmpty() && q.front()!.state !== 0) q.dequeue();
    return q.front() ?? undefined;
  }

  private drop(e: Entry<T>): void {
    this.metrics.droppedLowest++;
    this.out.next(sideOutput(SideTag.overflow, "buffer-full-dropped-lowest", e.rec));
  }

  private advance(): void {
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.n; i++) if (this.wms[i]! < min) min = this.wms[i]!;
    if (!(min > this.merged) || min === Number.POSITIVE_INFINITY) return;
    this.merged = min;
    // one batch per distinct input watermark value up to the new merged watermark: the batch
    // boundaries then depend only on each input's own sequence, not on how the inputs interleave
    this.emitBoundariesUpTo(min);
    if (this.lastBoundary < min) {
      this.lastBoundary = min;
      this.emitUpTo(min);
      this.out.next(this.watermarkAt(min));
    }
    // last: resuming an input may make it emit synchronously (re-entering this merge)
    if (this.policy === "backpressure") this.updatePressure();
  }

  private emitUpTo(w: number): void {
    // Nothing buffered (a watermark between window closes, the common case): no batch. Entries
    // left in the runs or the heap are all emitted or dropped, and are skipped whenever they are reached.
    if (this.size === 0 && this.lowest === undefined) return;
    const batch: Entry<T>[] = [];
    // collection order does not matter: the batch is sorted by the total order below
    for (let k = 0; k < this.n; k++) {
      const run = this.runs[k]!;
      let h = this.runHeads[k]!;
      while (h < run.length && run[h]!.rec.eventTime <= w) {
        const e = run[h++]!;
        if (e.state === 0) batch.push(e);
      }
      if (h === run.length) {
        if (h > 0) run.length = 0;
        h = 0;
      } else if (h > 1024 && 2 * h > run.length) {
        run.copyWithin(0, h);
        run.length -= h;
        h = 0;
      }
      this.runHeads[k] = h;
    }
    const q = this.byTime;
    while (q.size > 0 && q.minTime() <= w) {
      const e = q.pop();
      if (e.state === 0) batch.push(e);
    }
    if (batch.length > 0) {
      sortBatch(batch);
      this.metrics.batches++;
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        e.state = 1;
        this.out.next(e.rec);
      }
      this.size -= batch.length;
      this.metrics.emitted += batch.length;
      this.metrics.buffered = this.size;
    }
    const low = this.lowest;
    if (low !== undefined && low.size() > 2 * this.size + 1024) {
      // emitted entries linger in the lowest-first heap until they reach its front: compact it
      this.lowest = PriorityQueue.fromArray(
        low.toArray().filter((e) => e.state === 0),
        compareLowestFirst,
      );
    }
  }

  private updatePressure(): void {
    const p = this.o.pressure!;
    if (this.size >= this.maxBuffer) {
      for (let i = 0; i < this.n; i++)
        p.set(i, this.wms[i]! > this.merged && this.wms[i]! !== Number.POSITIVE_INFINITY);
    } else if (this.size < this.resumeBelow) {
      for (let i = 0; i < this.n; i++) p.set(i, false);
    }
  }
}

/**
 * Merges N input streams into one, ordered by `priority` within each emission batch.
 *
 * Records are buffered until the merged watermark (the minimum of the inputs' watermarks; a
 * completed input counts as +∞) passes their event time. When it advances, one batch is emitted
 * per distinct input watermark value `b` it passed (up to `maxBuffer` pending values): the buffered
 * records with `eventTime <= b`, sorted by the total order (priority desc, event time asc, input
 * index asc, per-input arrival sequence asc), then `watermark(b)`. So batch boundaries depend only
 * on each input's own sequence: given the same inputs, the output does not depend on how the
 * inputs interleave — except for records that arrive behind the merged watermark (emitted at once,
 * a batch of one) and for completion (+∞): end every input with a final watermark (an end-of-replay
 * heartbeat) when the output must not depend on which input completes first. Side outputs pass
 * through at once. On completion of all inputs, the rest is emitted as a last batch.
 *
 * Data structures: the drop-lowest order lives in a @datastructures-js/priority-queue heap; the
 * buffer itself is an inline binary heap by event time (the per-record hot path); the pending batch
 * boundaries are a sorted array ({@link SortedTimes}: watermarks mostly arrive in order, and a
 * watermark between window closes then costs a push and an index step, not two heap sifts).
 *
 * Buffer bound `maxBuffer` with `overflow`: `fail` (error {@link BufferOverflowError}),
 * `drop-lowest` (the lowest record in the total order, the new one included, goes to the
 * `overflow` side output and is counted), `backpressure` (sets `pressure` flags for the inputs that
 * are ahead of the merged watermark until the buffer drains below `resumeBelow`).
 *
 * ```
 * priority: urgency rank
 * in0:    -a(low)@1---b(high)@2--W5--|
 * in1:    -c(normal)@3-----------W4--|
 * output: ------------------------(bca W4)--|
 * ```
 */
export function priorityMerge<T>(
  inputs: readonly Observable<StreamItem<T>>[],
  options: PriorityMergeOptions<T>,
): Observable<StreamItem<T>> {
  if (options.overflow === "backpressure" && options.pressure === undefined) {
    throw new TypeError("priorityMerge: overflow 'backpressure' needs a `pressure: new MergePressure(n)`");
  }
  if (options.pressure !== undefined && options.pressure.inputs !== inputs.length) {
    throw new RangeError(`priorityMerge: pressure has ${options.pressure.inputs} inputs, merge has ${inputs.length}`);
  }
  return new Observable<StreamItem<T>>((subscriber) => {
    const n = inputs.length;
    if (n === 0) {
      subscriber.complete();
      return;
    }
    const state = new MergeState<T>(subscriber, n, options, options.metrics ?? createPriorityMergeMetrics());
    for (let k = 0; k < n; k++) {
      if (subscriber.closed) break;
      subscriber.add(
        inputs[k]!.subscribe({
          next(item) {
            if (subscriber.closed) return;
            try {
              state.next(k, item);
            } catch (e) {
              subscriber.error(e);
            }
          },
          error(e) {
            subscriber.error(e);
          },
          complete() {
            if (subscriber.closed) return;
            try {
              if (state.complete(k)) subscriber.complete();
            } catch (e) {
              subscriber.error(e);
            }
          },
        }),
      );
    }
  });
}

/**
 * Operator form of {@link priorityMerge}: the source is input 0, `others` are inputs 1..N-1.
 *
 * ```
 * signals$.pipe(priorityMergeWith([targets$], { priority: (v) => rank(v) }))
 * ```
 */
export function priorityMergeWith<T>(
  others: readonly Observable<StreamItem<T>>[],
  options: PriorityMergeOptions<T>,
): DescribedOperator<T, T> {
  return describeOperator<T, T>((source) => priorityMerge([source, ...others], options), {
    operatorName: "priorityMerge",
    sideOutputs: options.overflow === "drop-lowest" ? [SideTag.overflow] : [],
    retentionMs: 0,
  });
}
