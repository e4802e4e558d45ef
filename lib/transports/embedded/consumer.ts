import type { SchedulerLike, Subscription as RxSubscription } from "rxjs";
import type { ConsumerLike, MessageIdLike, MessageLike } from "../pulsar-client-like.js";
import { EmbeddedPulsarError, RESOLVED_NULL } from "./errors.js";
import { EmbeddedMessage } from "./message.js";
import { EmbeddedMessageId } from "./message-id.js";
import { Ring } from "./ring.js";
import type { DeadLetterSink, DispatchTarget, RedeliveryRequest, Subscription } from "./subscription.js";

interface Waiter {
  resolve: (m: MessageLike) => void;
  reject: (e: Error) => void;
  timer: RxSubscription | undefined;
  live: boolean;
}

/** A pending `batchReceive()`. */
interface BatchWaiter {
  resolve: (ms: MessageLike[]) => void;
  reject: (e: Error) => void;
  timer: RxSubscription | undefined;
  live: boolean;
}

/** Rejects every live waiter of a ring (the consumer closed). */
function rejectAll(ring: Ring<Waiter | BatchWaiter>, op: string): void {
  for (const w of ring.drain()) {
    if (!w.live) continue;
    w.live = false;
    w.timer?.unsubscribe();
    w.reject(new EmbeddedPulsarError("AlreadyClosed", op));
  }
}

interface Tracked extends RedeliveryRequest {
  readonly sub: Subscription;
  readonly due: number;
}

export interface EmbeddedConsumerOptions {
  readonly name: string;
  readonly scheduler: SchedulerLike;
  readonly receiverQueueSize: number;
  /** 0 disables ack-timeout redelivery. */
  readonly ackTimeoutMs: number;
  readonly nackDelayMs: number;
  /** `batchReceive()` completes at this many messages (≤ receiverQueueSize; 0 = no count limit). */
  readonly batchMaxMessages: number;
  /** … or at this many bytes of message data (0 = no byte limit) … */
  readonly batchMaxBytes: number;
  /** … or after this long, with whatever is queued (0 = no timeout). */
  readonly batchTimeoutMs: number;
  readonly deadLetter: DeadLetterSink | undefined;
  /** pulsar-client's `listener`: messages go to it (in a microtask after dispatch), not to `receive()`. */
  readonly listener?: ((message: MessageLike, consumer: ConsumerLike) => void) | undefined;
  readonly onClose: (c: EmbeddedConsumer) => void;
}

/**
 * A consumer of one or more durable subscriptions (one per topic), with pulsar-client's
 * `Consumer` methods. Messages dispatched to it wait in its receiver queue (prefetch, up to
 * `receiverQueueSize`) until `receive()` takes them; a `receive()` on an empty queue waits, and
 * with a timeout rejects like pulsar-client when nothing arrives in time.
 *
 * Ack timeout and negative-ack delay run on the injected scheduler: received messages and nacks
 * are appended to two FIFO rings with their due time (deadlines are monotone per ring), and one
 * scheduled action per consumer redelivers whatever is due — no timer per message. The clock
 * for the ack timeout starts when the application receives the message, as in pulsar-client.
 *
 * `batchReceive()` follows pulsar-client's batch receive policy: it completes at once when the
 * receiver queue already holds `maxNumMessages` (or `maxNumBytes`), else when it fills up to that
 * or after `timeoutMs` on the scheduler, with what is queued then (possibly nothing). Pending
 * single `receive()`s are served first.
 *
 * With a `listener` (pulsar-client's option), dispatched messages are handed to it instead, in
 * dispatch order, in a microtask queued by the dispatch (never inside the producer's `send`); its
 * receiver queue then only holds messages between a dispatch and that microtask, and `receive()` /
 * `batchReceive()` reject. A listener that throws leaves its message unacknowledged (the ack
 * timeout or a nack redelivers it) and the next messages are still delivered.
 */
export class EmbeddedConsumer implements ConsumerLike, DispatchTarget {
  private readonly queue = new Ring<EmbeddedMessage>(64);
  private readonly waiters = new Ring<Waiter>(4);
  private liveWaiters = 0;
  private readonly batchWaiters = new Ring<BatchWaiter>(2);
  private liveBatchWaiters = 0;
  /** Bytes of message data in the receiver queue (for the batch byte limit). */
  private queuedBytes = 0;
  private readonly subs: Subscription[] = [];
  private single: Subscription | undefined;
  private readonly ackTracking: Ring<Tracked> | undefined;
  private readonly nacks = new Ring<Tracked>(4);
  private timer: RxSubscription | undefined;
  private timerDue = Number.POSITIVE_INFINITY;
  private closed = false;
  private listening = false;

  constructor(private readonly options: EmbeddedConsumerOptions) {
    this.ackTracking = options.ackTimeoutMs > 0 ? new Ring<Tracked>(64) : undefined;
  }

  get name(): string {
    return this.options.name;
  }

  /** Subscriptions this consumer is attached to (one per topic). */
  get subscriptions(): readonly Subscription[] {
    return this.subs;
  }

  /** @internal called by the client once the subscription accepted this consumer. */
  attached(sub: Subscription): void {
    this.subs.push(sub);
    this.single = this.subs.length === 1 ? sub : undefined;
  }

  canAccept(): boolean {
    if (this.closed) return false;
    const room = Math.max(
      this.options.receiverQueueSize,
      this.liveBatchWaiters > 0 ? this.options.batchMaxMessages : 0,
    );
    return this.liveWaiters > 0 || this.queue.length < room;
  }

  private takeQueued(): EmbeddedMessage | undefined {
    const msg = this.queue.shift();
    if (msg !== undefined) this.queuedBytes -= msg.byteLength;
    return msg;
  }

  deliver(msg: EmbeddedMessage): void {
    if (this.liveWaiters > 0) {
      for (let w = this.waiters.shift(); w !== undefined; w = this.waiters.shift()) {
        if (!w.live) continue;
        w.live = false;
        this.liveWaiters--;
        if (w.timer !== undefined) w.timer.unsubscribe();
        this.received(msg);
        w.resolve(msg);
        return;
      }
    }
    this.queue.push(msg);
    this.queuedBytes += msg.byteLength;
    if (this.options.listener !== undefined) {
      if (!this.listening) {
        this.listening = true;
        queueMicrotask(this.toListener);
      }
      return;
    }
    if (this.liveBatchWaiters > 0 && this.batchFull()) this.completeBatch();
  }

  /** Hands every queued message to the listener (a microtask queued by the first dispatch). */
  private readonly toListener = (): void => {
    const listener = this.options.listener!;
    while (!this.closed) {
      const msg = this.takeQueued();
      if (msg === undefined) {
        // Room again: the subscription's backlog (beyond the receiver queue) comes in now.
        this.refill();
        if (this.queue.length === 0) break;
        continue;
      }
      this.received(msg);
      try {
        listener(msg, this);
      } catch {
        // Unacknowledged: the ack timeout or a nack redelivers it (pulsar-client's behaviour too).
      }
    }
    this.listening = false;
  };

  clearQueue(): void {
    this.queue.drain();
    this.queuedBytes = 0;
  }

  receive(timeout?: number): Promise<MessageLike> {
    if (this.closed) return Promise.reject(new EmbeddedPulsarError("AlreadyClosed", "Failed to receive message"));
    if (this.options.listener !== undefined) return this.listenerSet("Failed to receive message");
    const msg = this.takeQueued();
    if (msg !== undefined) {
      this.received(msg);
      this.refill();
      return Promise.resolve(msg);
    }
    return new Promise<MessageLike>((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined, live: true };
      if (timeout !== undefined && timeout > 0) {
        w.timer = this.options.scheduler.schedule(() => this.expire(w), timeout);
      }
      this.waiters.push(w);
      this.liveWaiters++;
      this.refill();
    });
  }

  batchReceive(): Promise<MessageLike[]> {
    if (this.closed) return Promise.reject(new EmbeddedPulsarError("AlreadyClosed", "Failed to batch receive"));
    if (this.options.listener !== undefined) return this.listenerSet("Failed to batch receive");
    if (this.liveBatchWaiters === 0 && this.batchFull()) return Promise.resolve(this.takeBatch());
    return new Promise<MessageLike[]>((resolve, reject) => {
      const w: BatchWaiter = { resolve, reject, timer: undefined, live: true };
      if (this.options.batchTimeoutMs > 0) {
        w.timer = this.options.scheduler.schedule(() => {
          w.timer = undefined;
          if (w.live && this.batchWaiters.peek() === w) this.completeBatch();
        }, this.options.batchTimeoutMs);
      }
      this.batchWaiters.push(w);
      this.liveBatchWaiters++;
      this.refill();
      if (this.batchFull()) this.completeBatch();
    });
  }

  private listenerSet<T>(op: string): Promise<T> {
    return Promise.reject(new EmbeddedPulsarError("InvalidConfiguration", op, "the consumer has a listener"));
  }

  /** The receiver queue satisfies the batch policy (a count or byte limit reached). */
  private batchFull(): boolean {
    const { batchMaxMessages, batchMaxBytes } = this.options;
    return (
      (batchMaxMessages > 0 && this.queue.length >= batchMaxMessages) ||
      (batchMaxBytes > 0 && this.queue.length > 0 && this.queuedBytes >= batchMaxBytes)
    );
  }

  /** Up to a batch's worth of queued messages, as received now. */
  private takeBatch(): EmbeddedMessage[] {
    const { batchMaxMessages, batchMaxBytes } = this.options;
    const out: EmbeddedMessage[] = [];
    let bytes = 0;
    for (;;) {
      if (batchMaxMessages > 0 && out.length >= batchMaxMessages) break;
      const head = this.queue.peek();
      if (head === undefined) break;
      if (batchMaxBytes > 0 && out.length > 0 && bytes + head.byteLength > batchMaxBytes) break;
      const msg = this.takeQueued()!;
      bytes += msg.byteLength;
      this.received(msg);
      out.push(msg);
    }
    this.refill();
    return out;
  }

  /** Completes the oldest pending batch receive with what is queued. */
  private completeBatch(): void {
    for (let w = this.batchWaiters.shift(); w !== undefined; w = this.batchWaiters.shift()) {
      if (!w.live) continue;
      w.live = false;
      this.liveBatchWaiters--;
      w.timer?.unsubscribe();
      w.resolve(this.takeBatch());
      return;
    }
  }

  private expire(w: Waiter): void {
    if (!w.live) return;
    w.live = false;
    this.liveWaiters--;
    // drop expired waiters from the front so an idle polling loop does not accumulate them
    for (let head = this.waiters.peek(); head !== undefined && !head.live; head = this.waiters.peek()) {
      this.waiters.shift();
    }
    w.reject(new EmbeddedPulsarError("TimeOut", "Failed to receive message"));
  }

  private refill(): void {
    const s = this.single;
    if (s !== undefined) {
      if (s.hasBacklog) s.dispatch();
      return;
    }
    for (const sub of this.subs) if (sub.hasBacklog) sub.dispatch();
  }

  private subFor(topicName: string): Subscription | undefined {
    const s = this.single;
    if (s !== undefined) return s.topic.name === topicName ? s : undefined;
    return this.subs.find((x) => x.topic.name === topicName);
  }

  private subForLedger(ledgerId: number): Subscription | undefined {
    const s = this.single;
    if (s !== undefined) return s.topic.ledgerId === ledgerId ? s : undefined;
    return this.subs.find((x) => x.topic.ledgerId === ledgerId);
  }

  private received(msg: EmbeddedMessage): void {
    const tracking = this.ackTracking;
    if (tracking === undefined) return;
    const sub = this.subFor(msg.topicName)!;
    const due = this.options.scheduler.now() + this.options.ackTimeoutMs;
    tracking.push({ entry: msg.entry, attempt: sub.attemptOf(msg.entryId), sub, due });
    this.armTimer(due);
  }

  acknowledge(message: MessageLike): Promise<null> {
    if (this.closed) return Promise.reject(new EmbeddedPulsarError("AlreadyClosed", "Failed to acknowledge"));
    if (!(message instanceof EmbeddedMessage)) {
      return Promise.reject(
        new EmbeddedPulsarError("InvalidMessage", "Failed to acknowledge", "not an embedded message"),
      );
    }
    const sub = this.subFor(message.topicName);
    if (sub === undefined) {
      return Promise.reject(new EmbeddedPulsarError("InvalidMessage", "Failed to acknowledge", "foreign topic"));
    }
    sub.ack(message.entryId);
    return RESOLVED_NULL;
  }

  acknowledgeId(messageId: MessageIdLike): Promise<null> {
    if (this.closed) return Promise.reject(new EmbeddedPulsarError("AlreadyClosed", "Failed to acknowledge"));
    const sub = messageId instanceof EmbeddedMessageId ? this.subForLedger(messageId.ledgerId) : undefined;
    if (sub === undefined) {
      return Promise.reject(new EmbeddedPulsarError("InvalidMessage", "Failed to acknowledge", "unknown message id"));
    }
    sub.ack((messageId as EmbeddedMessageId).entryId);
    return RESOLVED_NULL;
  }

  negativeAcknowledge(message: MessageLike): void {
    if (message instanceof EmbeddedMessage) this.nack(this.subFor(message.topicName), message.entryId);
  }

  negativeAcknowledgeId(messageId: MessageIdLike): void {
    if (messageId instanceof EmbeddedMessageId) this.nack(this.subForLedger(messageId.ledgerId), messageId.entryId);
  }

  private nack(sub: Subscription | undefined, entryId: number): void {
    if (this.closed || sub === undefined) return;
    const entry = sub.topic.at(entryId);
    if (entry === undefined) return;
    const due = this.options.scheduler.now() + this.options.nackDelayMs;
    this.nacks.push({ entry, attempt: sub.attemptOf(entryId), sub, due });
    this.armTimer(due);
  }

  private armTimer(due: number): void {
    if (due >= this.timerDue) return;
    this.timer?.unsubscribe();
    this.timerDue = due;
    const delay = Math.max(0, due - this.options.scheduler.now());
    this.timer = this.options.scheduler.schedule(() => this.onTimer(), delay);
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    if (this.closed) return;
    const now = this.options.scheduler.now();
    const due: Tracked[] = [];
    const take = (ring: Ring<Tracked> | undefined): void => {
      if (ring === undefined) return;
      for (let t = ring.peek(); t !== undefined && t.due <= now; t = ring.peek()) due.push(ring.shift()!);
    };
    take(this.nacks);
    take(this.ackTracking);
    if (due.length > 0) {
      const bySub = new Map<Subscription, Tracked[]>();
      for (const t of due) {
        const list = bySub.get(t.sub);
        if (list === undefined) bySub.set(t.sub, [t]);
        else list.push(t);
      }
      for (const [sub, list] of bySub) {
        list.sort((a, b) => a.entry.entryId - b.entry.entryId);
        sub.redeliver(this, list, this.options.deadLetter);
      }
    }
    const next = Math.min(
      this.nacks.peek()?.due ?? Number.POSITIVE_INFINITY,
      this.ackTracking?.peek()?.due ?? Number.POSITIVE_INFINITY,
    );
    if (next !== Number.POSITIVE_INFINITY) this.armTimer(next);
  }

  isConnected(): boolean {
    return !this.closed;
  }

  close(): Promise<null> {
    if (this.closed) return RESOLVED_NULL;
    this.closed = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.clearQueue();
    rejectAll(this.waiters, "Failed to receive message");
    this.liveWaiters = 0;
    rejectAll(this.batchWaiters, "Failed to batch receive");
    this.liveBatchWaiters = 0;
    for (const sub of this.subs) sub.detach(this);
    this.options.onClose(this);
    return RESOLVED_NULL;
  }
}
