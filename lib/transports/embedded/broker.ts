import { asyncScheduler, type SchedulerLike } from "rxjs";
import type { PulsarBinding } from "../pulsar-client-like.js";
import { EmbeddedClient } from "./client.js";
import type { EmbeddedMessage } from "./message.js";
import { EmbeddedMessageId } from "./message-id.js";
import type { DeadLetterSink } from "./subscription.js";
import { fullTopicName, type RetentionMode, Topic } from "./topic.js";

/** Property Pulsar sets on a dead-lettered message: the topic it came from. */
export const REAL_TOPIC = "REAL_TOPIC";
/** Property Pulsar sets on a dead-lettered message: the original message id (as text). */
export const ORIGIN_MESSAGE_ID = "ORIGIN_MESSAGE_ID";

export interface EmbeddedBrokerOptions {
  /**
   * Source of time for publish timestamps, ack timeouts, negative-ack delays and receive
   * timeouts. Defaults to RxJS's `asyncScheduler`; pass a `VirtualTimeScheduler` /
   * `TestScheduler` for deterministic tests.
   */
  readonly scheduler?: SchedulerLike;
  /**
   * `"unacknowledged"` (default, like Pulsar without a retention policy) drops messages every
   * subscription acknowledged once a topic has subscriptions; `"all"` keeps every message.
   */
  readonly retention?: RetentionMode;
}

/** An embedded binding: pulsar-client's two entry points, backed by an {@link EmbeddedBroker}. */
export interface EmbeddedBinding extends PulsarBinding {
  readonly client: EmbeddedClient;
  readonly MessageId: typeof EmbeddedMessageId;
  readonly broker: EmbeddedBroker;
}

/** Per-subscription figures of {@link EmbeddedBroker.stats}. */
export interface EmbeddedSubscriptionStats {
  readonly type: string;
  readonly consumers: number;
  /** Messages not yet dispatched plus those waiting for redelivery. */
  readonly backlog: number;
  /** Dispatched (in a receiver queue or received) and not acknowledged. */
  readonly unacked: number;
}

export interface EmbeddedTopicStats {
  /** Messages ever published. */
  readonly messages: number;
  /** Messages still stored (see the retention option). */
  readonly stored: number;
  readonly subscriptions: Readonly<Record<string, EmbeddedSubscriptionStats>>;
}

/**
 * An in-process, Pulsar-compatible broker. Its clients implement the pulsar-client subset in
 * `pulsar-client-like.ts` with pulsar-client's names and shapes, so the runtime binds to it
 * exactly as to a native `Pulsar.Client`:
 *
 * ```ts
 * const broker = new EmbeddedBroker({ scheduler });   // scheduler optional
 * const { client, MessageId } = broker.binding();
 * ```
 *
 * Topics are created on first use; what they keep follows the `retention` option.
 */
export class EmbeddedBroker {
  readonly scheduler: SchedulerLike;
  readonly retention: RetentionMode;
  private readonly topics = new Map<string, Topic>();
  private seq = 0;

  constructor(options: EmbeddedBrokerOptions = {}) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.retention = options.retention ?? "unacknowledged";
  }

  /** A new client plus the `MessageId` class: what the runtime takes. */
  binding(): EmbeddedBinding {
    return { client: new EmbeddedClient(this), MessageId: EmbeddedMessageId, broker: this };
  }

  createClient(): EmbeddedClient {
    return new EmbeddedClient(this);
  }

  /** The topic (created on first use); short names are normalised as Pulsar does. */
  topic(name: string): Topic {
    const full = fullTopicName(name);
    let t = this.topics.get(full);
    if (t === undefined) {
      t = new Topic(full, this.topics.size + 1, this.scheduler, this.retention);
      this.topics.set(full, t);
    }
    return t;
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  /** Message count and subscription figures of a topic (`undefined` if it does not exist). */
  stats(name: string): EmbeddedTopicStats | undefined {
    const t = this.topics.get(fullTopicName(name));
    if (t === undefined) return undefined;
    const subscriptions: Record<string, EmbeddedSubscriptionStats> = {};
    for (const s of t.subscriptionNames()) {
      const sub = t.subscription(s)!;
      subscriptions[s] = {
        type: sub.type,
        consumers: sub.consumers.length,
        backlog: sub.backlog,
        unacked: sub.unackedCount,
      };
    }
    return { messages: t.end, stored: t.end - t.start, subscriptions };
  }

  /** @internal */
  nextSeq(): number {
    return ++this.seq;
  }

  /**
   * @internal The sink a consumer's dead-letter policy writes to: the message's data, keys, event
   * time and properties, plus REAL_TOPIC and ORIGIN_MESSAGE_ID as Pulsar's clients add them.
   */
  deadLetterSink(
    topicName: string,
    maxRedeliverCount: number | undefined,
    initialSubscription?: string,
  ): DeadLetterSink {
    const dlq = this.topic(topicName);
    if (initialSubscription !== undefined && initialSubscription !== "") {
      dlq.ensureSubscription(initialSubscription, "Shared", false);
    }
    const producerName = `${dlq.name}-dlq-producer`;
    return {
      maxRedeliverCount: maxRedeliverCount ?? Number.POSITIVE_INFINITY,
      send: (msg: EmbeddedMessage) => {
        const properties: Record<string, string> = {
          ...(msg.properties ?? {}),
          [REAL_TOPIC]: msg.topicName,
          [ORIGIN_MESSAGE_ID]: msg.messageId.toString(),
        };
        dlq.publish(
          {
            data: msg.data,
            properties,
            ...(msg.partitionKey !== "" ? { partitionKey: msg.partitionKey } : {}),
            ...(msg.orderingKey !== "" ? { orderingKey: msg.orderingKey } : {}),
            ...(msg.eventTimestamp !== 0 ? { eventTimestamp: msg.eventTimestamp } : {}),
          },
          producerName,
        );
      },
    };
  }
}

/** Shorthand for `new EmbeddedBroker(options).binding()`. */
export function embeddedBinding(options?: EmbeddedBrokerOptions): EmbeddedBinding {
  return new EmbeddedBroker(options).binding();
}
