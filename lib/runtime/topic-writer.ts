import type { SchedulerLike } from "rxjs";
import type { ProducerLike } from "../transports/pulsar-client-like.js";
import { backoffDelay, delay } from "./backoff.js";
import type { TopicTail } from "./topic-tail.js";
import type { CapturedOutput, ReconnectOptions } from "./types.js";

/** Message property carrying the event id of everything consilium writes. */
export const EVENT_ID_PROPERTY = "consilium-event-id";
/** Message property naming the topology (`name@version#hash`) that wrote it. */
export const TOPOLOGY_PROPERTY = "consilium-topology";

export interface Outgoing {
  readonly data: Buffer;
  readonly key: string;
  readonly eventId: string;
  readonly eventTime: number;
  /** Called once the broker confirmed the send, or the output was dropped as a duplicate. */
  readonly done: (written: boolean) => void;
}

/**
 * Writes one topic: sends with at most `maxPending` sends in flight (it never relies on
 * `blockIfQueueFull`; the runtime stops receiving while a writer is full), retries failed sends
 * with backoff, and — when de-duplicating — drops outputs whose event id is already on the topic.
 *
 * De-duplication state is the topic itself, read from earliest: all of it when the writer opens,
 * and again up to the topic's current end ({@link TopicTail}) whenever the runtime calls `catchUp()` —
 * before the first record of a key new to this worker. A worker that takes over a key therefore
 * sees what the previous owner wrote (a graceful stop confirms every send before its consumers
 * close), so a redelivered message never produces a second copy of a decision: decision ids are
 * hashes of their inputs, and this worker's own writes are remembered as it makes them.
 */
export class TopicWriter {
  pending = 0;
  written = 0;
  dropped = 0;
  /** Event id -> event time of everything on the topic (for de-duplication). */
  private readonly seen = new Map<string, number>();
  private sweptAt = Number.NEGATIVE_INFINITY;
  private failure: Error | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly topic: string,
    private readonly producer: ProducerLike,
    private readonly tail: TopicTail | undefined,
    private readonly opts: {
      readonly maxPending: number;
      readonly scheduler: SchedulerLike;
      readonly reconnect: ReconnectOptions;
      /** Value of the `consilium-topology` property: `name@version#hash`. */
      readonly topologyId: string;
      readonly capture: CapturedOutput[] | undefined;
      readonly onRetry: () => void;
      readonly onFatal: (e: Error) => void;
    },
  ) {}

  /** Read the whole topic into the de-duplication set. */
  async open(): Promise<void> {
    await this.catchUp();
  }

  get full(): boolean {
    return this.pending >= this.opts.maxPending;
  }

  write(o: Outgoing): void {
    this.send(o);
  }

  /**
   * Forget ids of events older than `watermark - horizonMs`: their input messages were acked long
   * ago (a message is redelivered only while unacked), so they cannot come back. Sweeps at most
   * once per `horizonMs / 2` of watermark progress.
   */
  forgetBefore(watermark: number, horizonMs: number): void {
    if (watermark - this.sweptAt < horizonMs / 2 || !Number.isFinite(watermark)) return;
    this.sweptAt = watermark;
    const limit = watermark - horizonMs;
    for (const [id, t] of this.seen) if (t < limit) this.seen.delete(id);
  }

  /** Number of event ids remembered for de-duplication. */
  get remembered(): number {
    return this.seen.size;
  }

  /** Resolves when nothing is in flight. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.idle();
    await this.producer.flush().catch(() => null);
    await this.producer.close().catch(() => null);
    await this.tail?.close();
  }

  /** Read the topic up to its current end into the de-duplication set. */
  async catchUp(): Promise<void> {
    await this.tail?.readToEnd((m) => {
      const id = m.getProperties()[EVENT_ID_PROPERTY];
      if (id !== undefined) this.seen.set(id, m.getEventTimestamp());
    });
  }

  private send(o: Outgoing): void {
    if (this.tail) {
      if (this.seen.has(o.eventId)) {
        this.dropped++;
        o.done(false);
        return;
      }
      this.seen.set(o.eventId, o.eventTime);
    }
    this.pending++;
    this.attempt(o, 0);
  }

  private attempt(o: Outgoing, n: number): void {
    this.producer
      .send({
        data: o.data,
        partitionKey: o.key,
        eventTimestamp: o.eventTime,
        // Literal keys (= TOPOLOGY_PROPERTY, EVENT_ID_PROPERTY): a fixed-shape object, no computed keys.
        properties: {
          "consilium-topology": this.opts.topologyId,
          "consilium-event-id": o.eventId,
        } satisfies Record<typeof TOPOLOGY_PROPERTY | typeof EVENT_ID_PROPERTY, string>,
      })
      .then(
        () => {
          this.pending--;
          this.written++;
          this.opts.capture?.push({
            topic: this.topic,
            key: o.key,
            eventId: o.eventId,
            eventTime: o.eventTime,
            data: o.data,
          });
          o.done(true);
          this.maybeIdle();
        },
        (e: Error) => {
          if (n + 1 >= (this.opts.reconnect.maxAttempts ?? 20)) {
            this.pending--;
            this.fatal(new Error(`send to ${this.topic} failed ${n + 1} times: ${e.message}`));
            this.maybeIdle();
            return;
          }
          this.opts.onRetry();
          void delay(this.opts.scheduler, backoffDelay(n, this.opts.reconnect)).then(() => this.attempt(o, n + 1));
        },
      );
  }

  private fatal(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.opts.onFatal(e);
  }

  private maybeIdle(): void {
    if (this.pending === 0 && this.idleWaiters.length > 0) {
      const w = this.idleWaiters.splice(0);
      for (const f of w) f();
    }
  }
}
