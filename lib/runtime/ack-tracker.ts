import { MinPriorityQueue } from "@datastructures-js/priority-queue";
import type { ConsumerLike, MessageLike } from "../transports/pulsar-client-like.js";

/**
 * One received, decoded message as the runtime tracks it until it is acked or negatively acked.
 * A class, not an object literal: in the topology bench's CPU profile a literal of these 20 fields
 * cost ~0.4 µs per message (V8 took its slow path for it, as its fields later change
 * representation); the constructor costs next to nothing.
 */
export class Inbound {
  /**
   * Which watermark `holdUntil` is measured against: 0 = the main pipeline's, else a lane's
   * ({@link AckTracker.addClock}). Set before {@link AckTracker.processed}.
   */
  clock = 0;
  processed = false;
  done = false;
  retentionPassed = false;
  /** Waiting in the retention queue. */
  held = false;
  failed: string | undefined = undefined;
  t0: bigint = 0n;
  /** Outputs with a token below this must be confirmed before the ack (set when retention passed). */
  confirmBelow = 0;
  /**
   * Copies of this message the broker delivered again on another consumer (a re-subscribed one)
   * while this one was open: acked or negatively acked with it (see `HeldCopies`).
   */
  copies: { readonly msg: MessageLike; readonly consumer: ConsumerLike }[] | undefined = undefined;
  /** Neighbours in the tracker's list of open messages (registration order). */
  prevOpen: Inbound | undefined = undefined;
  nextOpen: Inbound | undefined = undefined;

  constructor(
    readonly msg: MessageLike,
    readonly consumer: ConsumerLike,
    readonly source: string,
    /** Lineage id: the event's `eventId` (duplicates of one event share it). */
    readonly id: string,
    readonly key: string,
    readonly eventTime: number,
    /** The decoded value, until the record is released into the pipeline (then dropped: a message
     * held for retention or for its sinks keeps only what its ack or dead letter needs). */
    public value: unknown,
    /** The watermark must reach this before the ack (the source's hold bound at `eventTime`; see holdBounds). */
    readonly holdUntil: number,
    readonly redeliveryCount: number,
    readonly seq: number,
  ) {}
}

export interface AckHooks {
  ack(m: Inbound): void;
  /** The message made an operator fail: nack it, or dead-letter it after max redeliveries. */
  fail(m: Inbound, reason: string): void;
  /**
   * Called before messages pass retention: do the work that may still start outputs derived from
   * them (the runtime's deferred work), so that rule 3 covers those outputs. False: that work
   * failed (a pipeline error the runtime is about to handle), so release nothing now.
   */
  beforeRelease?(): boolean;
}

/**
 * An array used as a FIFO from index `head`: emptied once drained, shifted down once the consumed
 * prefix is over half of it (amortized O(1)). Returns the new head.
 */
function compact<T>(fifo: T[], head: number): number {
  if (head === fifo.length) {
    fifo.length = 0;
    return 0;
  }
  if (head > 1024 && head * 2 > fifo.length) {
    fifo.copyWithin(0, head);
    fifo.length -= head;
    return 0;
  }
  return head;
}

/**
 * Messages waiting for one watermark to reach their `holdUntil`. The merge releases records in
 * event-time order, so `holdUntil` almost always grows: those wait in a FIFO (no comparisons); the
 * few that arrive out of order (late records, redeliveries) wait in a heap.
 */
class HoldQueue {
  readonly fifo: Inbound[] = [];
  head = 0;
  readonly heap = new MinPriorityQueue<Inbound>((m) => m.holdUntil);
  watermark = Number.NEGATIVE_INFINITY;

  add(m: Inbound): void {
    const fifo = this.fifo;
    if (this.head === fifo.length || m.holdUntil >= fifo[fifo.length - 1]!.holdUntil) fifo.push(m);
    else this.heap.enqueue(m);
  }

  /** The next message whose `holdUntil` the watermark reached, in `holdUntil` order; undefined when none. */
  take(): Inbound | undefined {
    const fifo = this.fifo;
    const w = this.watermark;
    const a = this.head < fifo.length ? fifo[this.head]! : undefined;
    const b = this.heap.isEmpty() ? undefined : this.heap.front()!;
    if (a && a.holdUntil <= w && (!b || a.holdUntil <= b.holdUntil)) {
      this.head++;
      return a;
    }
    if (b && b.holdUntil <= w) return this.heap.dequeue()!;
    this.head = compact(fifo, this.head);
    return undefined;
  }
}

/** Handed out by {@link AckTracker.outputStarted}, given back to {@link AckTracker.outputConfirmed}. */
export type OutputToken = number;

/**
 * The ack rule. A message is acknowledged when
 *   1. it has been pushed through the pipeline (processed),
 *   2. if any step on the topology keeps state (`retentionMs` > 0 in its metadata), the watermark
 *      has reached `eventTime + max retention` — the operators can no longer emit anything derived
 *      from it (with no retention, everything derived from it was emitted during its push), and
 *   3. every output handed to a sink before that moment has been confirmed (outputs dropped as
 *      duplicates and written dead letters count as confirmed).
 * Rule 3 covers every output that carries the message's lineage id — by rule 2 they were all
 * handed over before that moment — and possibly a few unrelated ones handed over meanwhile, so an
 * ack can come slightly later than strictly necessary, never earlier. What it buys: no per-id
 * bookkeeping at all. Outputs get increasing tokens; the tracker keeps the longest fully confirmed
 * prefix of them, and messages whose retention passed wait in a FIFO ordered by the token count
 * at that moment, so each message and each output costs O(1), with no map keyed by lineage id.
 *
 * A message whose record became a `failed` side output is handed to {@link AckHooks.fail} instead
 * (found by a scan of the open messages: failures are the exceptional path).
 * Until acked, a message is redelivered if the worker goes away, which is how per-key state
 * within the retention moves with its key (the new owner rebuilds it from the redelivered
 * messages; outputs the old owner already wrote are dropped by the sinks' event-id check).
 */
export class AckTracker {
  /** Open (registered, not done) messages as a doubly-linked list in registration order. */
  private firstOpen: Inbound | undefined;
  private lastOpen: Inbound | undefined;
  /** Messages waiting for a watermark, by clock (0: the main pipeline's; then one per lane). */
  private readonly clocks: HoldQueue[] = [new HoldQueue()];
  /** Token of the next output handed to a sink. */
  private nextToken = 0;
  /** Every output with a token below this is confirmed. */
  private confirmedBelow = 0;
  /** Confirmations at or above `confirmedBelow` (out of order), a ring indexed by token & mask. */
  private confirmedAhead = new Uint8Array(1024);
  /** Messages past retention waiting for confirmations, in `confirmBelow` order. */
  private readonly waiting: Inbound[] = [];
  private waitingHead = 0;
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
    m.prevOpen = this.lastOpen;
    m.nextOpen = undefined;
    if (this.lastOpen) this.lastOpen.nextOpen = m;
    else this.firstOpen = m;
    this.lastOpen = m;
  }

  /**
   * The first of the `limit` newest open messages (newest first) with event time `eventTime` that
   * `match` accepts, if any: a bounded look-up for a message that may have come again shortly after
   * it was received (the event time is compared inline, `match` only called for those at it).
   */
  findNewestOpen(limit: number, eventTime: number, match: (m: Inbound) => boolean): Inbound | undefined {
    let n = 0;
    for (let m = this.lastOpen; m !== undefined && n < limit; m = m.prevOpen, n++) {
      if (m.eventTime === eventTime && match(m)) return m;
    }
    return undefined;
  }

  /** The open messages, in registration order. */
  *openMessages(): IterableIterator<Inbound> {
    for (let m = this.firstOpen; m !== undefined; m = m.nextOpen) yield m;
  }

  /** An output was handed to a sink; give the token back to {@link outputConfirmed}. */
  outputStarted(): OutputToken {
    const t = this.nextToken++;
    if (this.nextToken - this.confirmedBelow > this.confirmedAhead.length) this.growRing();
    return t;
  }

  /** A sink confirmed (or dropped as duplicate) the output of `token`. */
  outputConfirmed(token: OutputToken): void {
    const ring = this.confirmedAhead;
    const mask = ring.length - 1;
    if (token !== this.confirmedBelow) {
      if (token > this.confirmedBelow) ring[token & mask] = 1;
      return;
    }
    let below = token + 1;
    while (below < this.nextToken && ring[below & mask] === 1) {
      ring[below & mask] = 0;
      below++;
    }
    this.confirmedBelow = below;
    this.drainWaiting();
  }

  /** Outputs handed to sinks and not confirmed yet. */
  get pendingOutputs(): number {
    let n = 0;
    const mask = this.confirmedAhead.length - 1;
    for (let t = this.confirmedBelow; t < this.nextToken; t++) if (this.confirmedAhead[t & mask] === 0) n++;
    return n;
  }

  /** Records with these lineage ids made an operator fail. */
  markFailed(ids: readonly string[], reason: string): void {
    const wanted = ids.length === 1 ? undefined : new Set(ids);
    const only = ids[0];
    for (let m = this.firstOpen; m !== undefined; ) {
      const next = m.nextOpen;
      if (wanted ? wanted.has(m.id) : m.id === only) {
        m.failed ??= reason;
        if (m.processed) this.finishFailed(m);
      }
      m = next;
    }
  }

  /** The message went through the pipeline (synchronously). */
  processed(m: Inbound): void {
    m.processed = true;
    if (m.failed !== undefined) {
      this.finishFailed(m);
      return;
    }
    const q = this.clocks[m.clock]!;
    if (this.retentionMs > 0 && m.holdUntil > q.watermark) {
      q.add(m);
      m.held = true;
      this.heldCount++;
      return;
    }
    if (this.hooks.beforeRelease?.() === false) return; // processed and open: the failure handling takes it
    this.passRetention(m);
  }

  /**
   * A new clock: a watermark of its own for the messages processed with `clock` set to it (a
   * lane's, which runs behind the main pipeline's).
   */
  addClock(): number {
    this.clocks.push(new HoldQueue());
    return this.clocks.length - 1;
  }

  /** The watermark of `clock` (default: the main one) reached `watermark`. */
  advance(watermark: number, clock = 0): void {
    const q = this.clocks[clock]!;
    if (watermark > q.watermark) q.watermark = watermark;
    if (this.hooks.beforeRelease?.() === false) return;
    for (let m = q.take(); m !== undefined; m = q.take()) {
      if (!m.held) continue;
      m.held = false;
      this.heldCount--;
      this.passRetention(m);
    }
  }

  /** Give up on every open, processed message (pipeline reset): they are handed to `fail`. */
  failAllProcessed(reason: string, culprit: Inbound | undefined): void {
    for (let m = this.firstOpen; m !== undefined; ) {
      const next = m.nextOpen;
      if (m.processed) {
        m.failed = m === culprit ? reason : `reset: ${reason}`;
        this.finishFailed(m);
      }
      m = next;
    }
  }

  /** The message left without an ack decision (closed consumer redelivers it). */
  abandon(m: Inbound): void {
    if (m.done) return;
    this.close(m);
  }

  /** Rule 2 holds: the ack now waits only for the outputs handed over so far. */
  private passRetention(m: Inbound): void {
    m.retentionPassed = true;
    m.confirmBelow = this.nextToken;
    if (m.confirmBelow <= this.confirmedBelow && this.waitingHead === this.waiting.length) {
      this.ackNow(m);
      return;
    }
    this.waiting.push(m);
  }

  private drainWaiting(): void {
    const w = this.waiting;
    while (this.waitingHead < w.length && w[this.waitingHead]!.confirmBelow <= this.confirmedBelow) {
      const m = w[this.waitingHead++]!;
      if (!m.done) this.ackNow(m);
    }
    this.waitingHead = compact(w, this.waitingHead);
  }

  private growRing(): void {
    const old = this.confirmedAhead;
    const next = new Uint8Array(old.length * 2);
    const oldMask = old.length - 1;
    const newMask = next.length - 1;
    for (let t = this.confirmedBelow; t < this.nextToken - 1; t++) next[t & newMask] = old[t & oldMask]!;
    this.confirmedAhead = next;
  }

  private ackNow(m: Inbound): void {
    this.close(m);
    this.hooks.ack(m);
  }

  private finishFailed(m: Inbound): void {
    if (m.done) return;
    this.close(m);
    this.hooks.fail(m, m.failed ?? "operator-failure");
  }

  private close(m: Inbound): void {
    m.done = true;
    this.open--;
    if (m.held) {
      // Still in the retention queue; skipped there when dequeued.
      m.held = false;
      this.heldCount--;
    }
    const { prevOpen, nextOpen } = m;
    if (prevOpen) prevOpen.nextOpen = nextOpen;
    else this.firstOpen = nextOpen;
    if (nextOpen) nextOpen.prevOpen = prevOpen;
    else this.lastOpen = prevOpen;
    m.prevOpen = undefined;
    m.nextOpen = undefined;
  }
}
