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
export class AckTracker {
  private readonly pending = new Map<string, number>();
  private readonly byId = new Map<string, Inbound[]>();
  private readonly held = new MinPriorityQueue<Inbound>((m) => m.holdUntil);
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
    const list = this.byId.get(m.id);
    if (list) list.push(m);
    else this.byId.set(m.id, [m]);
  }

  /** An output carrying `ids` was handed to a sink. */
  outputStarted(ids: readonly string[]): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
    }
  }

  /** A sink confirmed (or dropped as duplicate) an output carrying `ids`. */
  outputConfirmed(ids: readonly string[]): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const n = (this.pending.get(id) ?? 1) - 1;
      if (n > 0) {
        this.pending.set(id, n);
        continue;
      }
      this.pending.delete(id);
      const list = this.byId.get(id);
      if (!list) continue;
      if (list.length === 1) this.check(list[0]!);
      else for (const m of [...list]) this.check(m);
    }
  }

  /** Records with these lineage ids made an operator fail. */
  markFailed(ids: readonly string[], reason: string): void {
    for (const id of ids) {
      const list = this.byId.get(id);
      if (!list) continue;
      for (const m of [...list]) {
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
      this.held.enqueue(m);
      m.held = true;
      this.heldCount++;
      return;
    }
    m.retentionPassed = true;
    this.check(m);
  }

  advance(watermark: number): void {
    this.watermark = watermark;
    while (!this.held.isEmpty() && this.held.front()!.holdUntil <= watermark) {
      const m = this.held.dequeue()!;
      if (!m.held) continue;
      m.held = false;
      this.heldCount--;
      m.retentionPassed = true;
      this.check(m);
    }
  }

  /** Give up on every open, processed message (pipeline reset): they are handed to `fail`. */
  failAllProcessed(reason: string, culprit: Inbound | undefined): void {
    for (const list of [...this.byId.values()]) {
      for (const m of [...list]) {
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
    if ((this.pending.get(m.id) ?? 0) > 0) return;
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
    const list = this.byId.get(m.id);
    if (!list) return;
    const i = list.indexOf(m);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byId.delete(m.id);
  }
}
