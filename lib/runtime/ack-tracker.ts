import { MinPriorityQueue } from "@datastructures-js/priority-queue";
import type { ConsumerLike, MessageLike } from "../transports/pulsar-client-like.js";

/** One received, decoded message as the runtime tracks it until it is acked or negatively acked. */
export interface Inbound {
  readonly msg: MessageLike;
  readonly consumer: ConsumerLike;
  readonly source: string;
  /** Lineage id: the event's `eventId` (duplicates of one event share it). */
  readonly id: string;
  readonly key: string;
  readonly eventTime: number;
  readonly value: unknown;
  /** `eventTime + retention`: the watermark must pass it before the ack. */
  readonly holdUntil: number;
  readonly redeliveryCount: number;
  readonly seq: number;
  processed: boolean;
  done: boolean;
  retentionPassed: boolean;
  /** Waiting in the retention queue. */
  held: boolean;
  failed: string | undefined;
  t0: bigint;
}

export interface AckHooks {
  ack(m: Inbound): void;
  /** The message made an operator fail: nack it, or dead-letter it after max redeliveries. */
  fail(m: Inbound, reason: string): void;
}

/**
 * The ack rule. A message is acknowledged when
 *   1. it has been pushed through the pipeline (processed),
 *   2. no output carrying its lineage id is still waiting for a sink's confirmation
 *      (outputs dropped as duplicates, absorbed side outputs and written dead letters count as
 *      confirmed), and
 *   3. if any step on the topology keeps state (`retentionMs` > 0 in its metadata), the watermark
 *      has reached `eventTime + max retention` — the operators can no longer emit anything derived
 *      from it, so everything derived from it has been confirmed (rule 2).
 * A message whose record became a `failed` side output is handed to {@link AckHooks.fail} instead.
 * Until acked, a message is redelivered if the worker goes away, which is how per-key state
 * within the retention moves with its key (the new owner rebuilds it from the redelivered
 * messages; outputs the old owner already wrote are dropped by the sinks' event-id check).
 */
/** The open messages sharing one lineage id, and the outputs carrying it that await their sink. */
interface IdEntry {
  /** The only open message with this id (the common case: no per-message array). */
  one: Inbound | undefined;
  /** Two or more open messages with this id (duplicates), in registration order. */
  many: Inbound[] | undefined;
  /** Outputs carrying this id handed to a sink and not confirmed yet. */
  pending: number;
}

const hasMembers = (e: IdEntry) => e.one !== undefined || (e.many !== undefined && e.many.length > 0);
const members = (e: IdEntry): Inbound[] => (e.one ? [e.one] : e.many ? [...e.many] : []);

export class AckTracker {
  /** Per lineage id: open messages and pending outputs (one map: a set and a delete per message). */
  private readonly entries = new Map<string, IdEntry>();
  /**
   * Messages waiting for the watermark. The merge releases records in event-time order, so
   * `holdUntil` almost always grows: those wait in a FIFO (no comparisons); the few that arrive
   * out of order (late records, redeliveries) wait in a heap. `advance` takes from both in
   * `holdUntil` order.
   */
  private readonly heldFifo: Inbound[] = [];
  private fifoHead = 0;
  private readonly heldHeap = new MinPriorityQueue<Inbound>((m) => m.holdUntil);
  private watermark = Number.NEGATIVE_INFINITY;
  /** Messages registered and not done. */
  open = 0;
  /** Of those, processed and waiting only for the watermark. */
  heldCount = 0;

  constructor(
    private readonly hooks: AckHooks,
    /** Max `retentionMs` over the topology's operators (set when the pipeline is built). */
    public retentionMs: number,
  ) {}

  register(m: Inbound): void {
    this.open++;
    const e = this.entries.get(m.id);
    if (!e) {
      this.entries.set(m.id, { one: m, many: undefined, pending: 0 });
      return;
    }
    if (!hasMembers(e)) {
      // Only pending outputs so far: move the id behind the others (registration order).
      this.entries.delete(m.id);
      this.entries.set(m.id, e);
      e.many = undefined;
      e.one = m;
    } else if (e.one) {
      e.many = [e.one, m];
      e.one = undefined;
    } else e.many!.push(m);
  }

  /** An output carrying `ids` was handed to a sink. */
  outputStarted(ids: readonly string[]): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const e = this.entries.get(id);
      if (e) e.pending++;
      else this.entries.set(id, { one: undefined, many: undefined, pending: 1 });
    }
  }

  /** A sink confirmed (or dropped as duplicate) an output carrying `ids`. */
  outputConfirmed(ids: readonly string[]): void {
    for (let i = 0; i < ids.length; i++) {
      const e = this.entries.get(ids[i]!);
      if (!e) continue;
      if (e.pending > 1) {
        e.pending--;
        continue;
      }
      e.pending = 0;
      if (e.one) this.check(e.one);
      else if (e.many) for (const m of [...e.many]) this.check(m);
      if (e.pending === 0 && !hasMembers(e) && this.entries.get(ids[i]!) === e) this.entries.delete(ids[i]!);
    }
  }

  /** Records with these lineage ids made an operator fail. */
  markFailed(ids: readonly string[], reason: string): void {
    for (const id of ids) {
      const e = this.entries.get(id);
      if (!e) continue;
      for (const m of members(e)) {
        if (m.done) continue;
        m.failed ??= reason;
        if (m.processed) this.finishFailed(m);
      }
    }
  }

  /** The message went through the pipeline (synchronously). */
  processed(m: Inbound): void {
    m.processed = true;
    if (m.failed !== undefined) {
      this.finishFailed(m);
      return;
    }
    if (this.retentionMs > 0 && m.holdUntil > this.watermark) {
      const fifo = this.heldFifo;
      if (this.fifoHead === fifo.length || m.holdUntil >= fifo[fifo.length - 1]!.holdUntil) fifo.push(m);
      else this.heldHeap.enqueue(m);
      m.held = true;
      this.heldCount++;
      return;
    }
    m.retentionPassed = true;
    this.check(m);
  }

  advance(watermark: number): void {
    this.watermark = watermark;
    const fifo = this.heldFifo;
    for (;;) {
      const a = this.fifoHead < fifo.length ? fifo[this.fifoHead]! : undefined;
      const b = this.heldHeap.isEmpty() ? undefined : this.heldHeap.front()!;
      let m: Inbound;
      if (a && a.holdUntil <= watermark && (!b || a.holdUntil <= b.holdUntil)) {
        m = a;
        this.fifoHead++;
      } else if (b && b.holdUntil <= watermark) m = this.heldHeap.dequeue()!;
      else break;
      if (!m.held) continue;
      m.held = false;
      this.heldCount--;
      m.retentionPassed = true;
      this.check(m);
    }
    if (this.fifoHead === fifo.length) {
      fifo.length = 0;
      this.fifoHead = 0;
    } else if (this.fifoHead > 1024 && this.fifoHead * 2 > fifo.length) {
      fifo.copyWithin(0, this.fifoHead);
      fifo.length -= this.fifoHead;
      this.fifoHead = 0;
    }
  }

  /** Give up on every open, processed message (pipeline reset): they are handed to `fail`. */
  failAllProcessed(reason: string, culprit: Inbound | undefined): void {
    for (const e of [...this.entries.values()]) {
      for (const m of members(e)) {
        if (m.done || !m.processed) continue;
        m.failed = m === culprit ? reason : `reset: ${reason}`;
        this.finishFailed(m);
      }
    }
  }

  /** The message left without an ack decision (closed consumer redelivers it). */
  abandon(m: Inbound): void {
    if (m.done) return;
    this.close(m);
  }

  private finishFailed(m: Inbound): void {
    if (m.done) return;
    this.close(m);
    this.hooks.fail(m, m.failed ?? "operator-failure");
  }

  private check(m: Inbound): void {
    if (m.done || !m.processed || m.failed !== undefined || !m.retentionPassed) return;
    if ((this.entries.get(m.id)?.pending ?? 0) > 0) return;
    this.close(m);
    this.hooks.ack(m);
  }

  private close(m: Inbound): void {
    m.done = true;
    this.open--;
    if (m.held) {
      // Still in the retention queue; skipped there when dequeued.
      m.held = false;
      this.heldCount--;
    }
    const e = this.entries.get(m.id);
    if (!e) return;
    if (e.one === m) e.one = undefined;
    else if (e.many) {
      const i = e.many.indexOf(m);
      if (i >= 0) e.many.splice(i, 1);
    }
    if (e.pending === 0 && !hasMembers(e)) this.entries.delete(m.id);
  }
}
