import type { SubscriptionType } from "../pulsar-client-like.js";
import { KeySharedSelector } from "./key-shared-selector.js";
import type { EmbeddedMessage } from "./message.js";
import type { Topic } from "./topic.js";

/** What a subscription dispatches to (implemented by the embedded consumer). */
export interface DispatchTarget {
  /** Whether the consumer has room (a pending receive or space in its receiver queue). */
  canAccept(): boolean;
  /** Hands a message over; called only after `canAccept()` returned true. */
  deliver(msg: EmbeddedMessage): void;
  /** Drops the messages waiting in the receiver queue (they are being redelivered). */
  clearQueue(): void;
}

/** A redelivery request for one entry, valid only for the delivery attempt it names. */
export interface RedeliveryRequest {
  readonly entry: EmbeddedMessage;
  readonly attempt: number;
}

/**
 * What happens to a message whose delivered redelivery count has reached the consumer's
 * `maxRedeliverCount` when it is redelivered again: it is handed to the dead-letter sink.
 */
export interface DeadLetterSink {
  readonly maxRedeliverCount: number;
  send(msg: EmbeddedMessage): void;
}

/**
 * A durable subscription: a cursor over the topic log (`readPos`, the next entry never
 * dispatched), the entries delivered and not yet acknowledged (a window of slots naming the
 * consumer holding each), and the entries waiting to be redelivered (`replay`, dispatched before
 * new ones, in entry order). It outlives its consumers, so a new consumer resumes from what is unacked.
 *
 * Dispatch rules per subscription type:
 * - Exclusive: one consumer; Failover: the first-connected consumer is active, the next takes over
 *   (with all unacked messages redelivered) when it leaves. (A real broker picks the active
 *   consumer of a non-partitioned topic by hashing over the consumers, and may switch it when
 *   consumers join; code must not rely on which one is active.)
 * - Shared: round-robin over consumers with room;
 * - KeyShared: each sticky key's hash slot has exactly one owner (see {@link KeySharedSelector};
 *   Pulsar 4 assigns slots by consistent hashing instead, so which consumer owns a key differs);
 *   a consumer that joins while messages are unacked gets new messages only after every message
 *   read before it joined is acknowledged (Pulsar's "recently joined consumers" rule), which keeps
 *   per-key order.
 * Dispatch stops at the first message whose target has no room (head-of-line), so order per
 * consumer and per key follows the log.
 *
 * Redelivery counts are tracked per attempt; like Pulsar's broker they are exposed only for
 * Shared and KeyShared subscriptions (Exclusive/Failover deliver count 0), and so the dead-letter
 * policy only triggers there. On Exclusive/Failover a redelivery request (nack, ack timeout)
 * redelivers everything the consumer holds unacknowledged, in order, as Pulsar does to keep
 * ordering; on Shared/KeyShared only the requested messages are redelivered.
 */
/** Window slot of an entry waiting in the replay queue. */
const IN_REPLAY = 1;
type Slot = DispatchTarget | typeof IN_REPLAY | undefined;

export class Subscription {
  readonly consumers: DispatchTarget[] = [];
  /**
   * Pending entries as a window over entry ids [winOffset, readPos): the slot of entry `id` is
   * `win[id - winOffset]` — the consumer holding it, IN_REPLAY, or undefined once acknowledged.
   * `low` is the smallest id that may still be pending (every slot below it is undefined), so
   * ack, ownership checks and the trimming low-water mark are O(1) without a hash map.
   */
  private win: Slot[] = [];
  private winOffset: number;
  private low: number;
  private pending = 0;
  private readonly attempts = new Map<number, number>();
  private replay: EmbeddedMessage[] = [];
  private rr = 0;
  private selector: KeySharedSelector<DispatchTarget> | undefined;
  private readonly barriers = new Map<DispatchTarget, number>();

  constructor(
    readonly topic: Topic,
    readonly name: string,
    public type: SubscriptionType,
    public readPos: number,
  ) {
    this.winOffset = readPos;
    this.low = readPos;
  }

  /** Number of entries dispatched and not yet acknowledged (in receiver queues or received). */
  get unackedCount(): number {
    return this.pending - this.replay.length;
  }

  /** The consumer holding an entry, if it is dispatched and unacknowledged. */
  holder(entryId: number): DispatchTarget | undefined {
    if (entryId < this.low || entryId >= this.readPos) return undefined;
    const s = this.win[entryId - this.winOffset];
    return s === IN_REPLAY ? undefined : s;
  }

  private setSlot(entryId: number, slot: Slot): void {
    this.win[entryId - this.winOffset] = slot;
  }

  /** Advances `low` past acknowledged slots and compacts the window now and then. */
  private advanceLow(): void {
    const win = this.win;
    let low = this.low;
    const end = this.readPos;
    while (low < end && win[low - this.winOffset] === undefined) low++;
    this.low = low;
    const dead = low - this.winOffset;
    if (dead >= 4096 && dead * 2 >= win.length) {
      this.win = win.slice(dead);
      this.winOffset = low;
    }
  }

  get hasBacklog(): boolean {
    return this.replay.length > 0 || this.readPos < this.topic.end;
  }

  /** Messages not yet dispatched plus those waiting for redelivery. */
  get backlog(): number {
    return this.topic.end - this.readPos + this.replay.length;
  }

  /** How many times the entry has been redelivered so far (0 for a first delivery). */
  attemptOf(entryId: number): number {
    return this.attempts.size === 0 ? 0 : (this.attempts.get(entryId) ?? 0);
  }

  /** Redelivery count a consumer sees for an attempt (always 0 on Exclusive/Failover). */
  visibleCount(attempt: number): number {
    return this.type === "Shared" || this.type === "KeyShared" ? attempt : 0;
  }

  /** Adds a consumer; returns the failure code when the subscription's rules forbid it. */
  attach(c: DispatchTarget, type: SubscriptionType): "ConsumerBusy" | undefined {
    if (this.consumers.length > 0) {
      if (type !== this.type || type === "Exclusive") return "ConsumerBusy";
    } else if (type !== this.type) {
      this.type = type;
      this.selector = undefined;
    }
    this.consumers.push(c);
    if (type === "KeyShared") {
      this.selector ??= new KeySharedSelector<DispatchTarget>();
      this.selector.add(c);
      if (this.consumers.length > 1 && this.pending > 0) {
        this.barriers.set(c, this.readPos);
      }
    }
    this.dispatch();
    return undefined;
  }

  /** Removes a consumer; everything it held unacked goes back for redelivery to the others. */
  detach(c: DispatchTarget): void {
    const i = this.consumers.indexOf(c);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    if (this.rr >= this.consumers.length) this.rr = 0;
    this.selector?.remove(c);
    this.barriers.delete(c);
    for (let id = this.low; id < this.readPos; id++) {
      if (this.win[id - this.winOffset] !== c) continue;
      this.setSlot(id, IN_REPLAY);
      const entry = this.topic.at(id)!;
      this.insertReplay(entry.withRedeliveryCount(this.visibleCount(this.attemptOf(id))));
    }
    this.dispatch();
  }

  /** Dispatches replayed then new messages while the chosen consumer has room. */
  dispatch(): void {
    const consumers = this.consumers;
    if (consumers.length === 0) return;
    const topic = this.topic;
    for (;;) {
      // The consumer is chosen before a new entry's message object is made (see TopicLog).
      let msg: EmbeddedMessage | undefined;
      let entryId: number;
      const fromReplay = this.replay.length > 0;
      if (fromReplay) {
        msg = this.replay[0]!;
        entryId = msg.entryId;
      } else if (this.readPos < topic.end) entryId = this.readPos;
      else return;
      let c: DispatchTarget | undefined;
      switch (this.type) {
        case "Shared":
          c = this.pickRoundRobin();
          break;
        case "KeyShared":
          c = this.pickByKey(entryId);
          break;
        default: {
          const first = consumers[0]!;
          c = first.canAccept() ? first : undefined;
        }
      }
      if (c === undefined) return;
      if (fromReplay) {
        this.replay.shift();
        this.setSlot(entryId, c);
      } else {
        msg = topic.at(entryId)!;
        this.win.push(c);
        this.readPos++;
        this.pending++;
      }
      c.deliver(msg!);
    }
  }

  private pickRoundRobin(): DispatchTarget | undefined {
    const cs = this.consumers;
    const n = cs.length;
    for (let i = 0; i < n; i++) {
      const k = (this.rr + i) % n;
      const c = cs[k]!;
      if (c.canAccept()) {
        this.rr = (k + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  private pickByKey(entryId: number): DispatchTarget | undefined {
    const c = this.selector?.select(this.topic.keySlotOf(entryId));
    if (c === undefined || !c.canAccept()) return undefined;
    if (this.barriers.size > 0) {
      const barrier = this.barriers.get(c);
      if (barrier !== undefined && entryId >= barrier) {
        if (this.pendingBelow(barrier)) return undefined;
        this.barriers.delete(c);
      }
    }
    return c;
  }

  private pendingBelow(entryId: number): boolean {
    return this.low < entryId && this.low < this.readPos;
  }

  /** Acknowledges an entry (by any consumer of the subscription, as Pulsar allows). */
  ack(entryId: number): void {
    if (entryId < this.low || entryId >= this.readPos) return;
    const i = entryId - this.winOffset;
    const slot = this.win[i];
    if (slot === undefined) return;
    if (slot === IN_REPLAY) {
      const r = this.replay.findIndex((m) => m.entryId === entryId);
      if (r >= 0) this.replay.splice(r, 1);
    }
    this.win[i] = undefined;
    this.pending--;
    if (entryId === this.low) this.advanceLow();
    if (this.attempts.size > 0) this.attempts.delete(entryId);
    if (this.barriers.size > 0 && this.hasBacklog) this.dispatch();
  }

  /**
   * Redelivers entries a consumer negatively acknowledged or let time out. A request is ignored
   * when the entry was acknowledged meanwhile, is held by another consumer, or has been
   * redelivered since (stale attempt). An entry whose delivered count already reached the
   * dead-letter policy's `maxRedeliverCount` goes to the dead-letter sink and is acknowledged.
   */
  redeliver(c: DispatchTarget, requests: readonly RedeliveryRequest[], deadLetter?: DeadLetterSink): void {
    if (this.type === "Exclusive" || this.type === "Failover") {
      // like Pulsar: a single active consumer gets everything unacked again, in order
      if (requests.some((r) => this.holder(r.entry.entryId) === c && this.attemptOf(r.entry.entryId) === r.attempt)) {
        this.rewind(c);
      }
      return;
    }
    for (const r of requests) {
      const id = r.entry.entryId;
      if (this.holder(id) !== c || this.attemptOf(id) !== r.attempt) continue;
      const delivered = this.visibleCount(r.attempt);
      if (deadLetter !== undefined && this.visibleCount(1) === 1 && delivered >= deadLetter.maxRedeliverCount) {
        deadLetter.send(r.entry.withRedeliveryCount(delivered));
        this.ack(id);
        continue;
      }
      this.setSlot(id, IN_REPLAY);
      const next = r.attempt + 1;
      this.attempts.set(id, next);
      this.insertReplay(r.entry.entry.withRedeliveryCount(this.visibleCount(next)));
    }
    this.dispatch();
  }

  /** Clears the consumer's receiver queue and redelivers everything it holds, in entry order. */
  private rewind(c: DispatchTarget): void {
    c.clearQueue();
    for (let id = this.low; id < this.readPos; id++) {
      if (this.win[id - this.winOffset] !== c) continue;
      this.setSlot(id, IN_REPLAY);
      // a new attempt (so pending ack-timeout and nack records for the old one go stale),
      // shown as count 0 as Pulsar's broker does on Exclusive/Failover
      this.attempts.set(id, this.attemptOf(id) + 1);
      this.insertReplay(this.topic.at(id)!.withRedeliveryCount(0));
    }
    this.dispatch();
  }

  private insertReplay(msg: EmbeddedMessage): void {
    const rp = this.replay;
    let lo = 0;
    let hi = rp.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rp[mid]!.entryId < msg.entryId) lo = mid + 1;
      else hi = mid;
    }
    rp.splice(lo, 0, msg);
  }

  /** The oldest entry id this subscription may still deliver (for trimming the log). */
  lowWater(): number {
    return this.low;
  }

  /** Key_Shared hash ranges (for tests and diagnostics). */
  hashRanges(): [number, number, DispatchTarget][] {
    return this.selector?.snapshot() ?? [];
  }
}
