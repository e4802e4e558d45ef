import type {
  ConsumerConfigLike,
  ConsumerLike,
  ProducerConfigLike,
  ProducerLike,
  PulsarClientLike,
  ReaderConfigLike,
  ReaderLike,
  SubscriptionType,
} from "../pulsar-client-like.js";
import type { EmbeddedBroker } from "./broker.js";
import { EmbeddedConsumer } from "./consumer.js";
import { EmbeddedPulsarError, RESOLVED_NULL } from "./errors.js";
import { EmbeddedMessageId } from "./message-id.js";
import { EmbeddedProducer } from "./producer.js";
import { EmbeddedReader } from "./reader.js";
import type { DeadLetterSink } from "./subscription.js";

/** pulsar-client's default receiver queue size. */
const DEFAULT_RECEIVER_QUEUE = 1000;
/** pulsar-client's default negative-ack redelivery delay. */
const DEFAULT_NACK_DELAY_MS = 60_000;
/** Pulsar rejects ack timeouts below one second (other than 0, which disables it). */
export const MIN_ACK_TIMEOUT_MS = 1000;

type Closable = { close(): Promise<null> };

const SUBSCRIPTION_TYPES: readonly SubscriptionType[] = ["Exclusive", "Shared", "Failover", "KeyShared"];

/**
 * A client of an {@link EmbeddedBroker}, with pulsar-client's `Client` methods. Configuration
 * errors reject the returned promise, as pulsar-client does.
 */
export class EmbeddedClient implements PulsarClientLike {
  private readonly open = new Set<Closable>();
  private closed = false;

  constructor(private readonly broker: EmbeddedBroker) {}

  createProducer(config: ProducerConfigLike): Promise<ProducerLike> {
    try {
      this.checkOpen("Failed to create producer");
      const topic = this.broker.topic(config.topic);
      const name = config.producerName ?? `embedded-producer-${this.broker.nextSeq()}`;
      const p = new EmbeddedProducer(topic, name, (x) => this.open.delete(x));
      this.open.add(p);
      return Promise.resolve(p);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  subscribe(config: ConsumerConfigLike): Promise<ConsumerLike> {
    const op = "Failed to create consumer";
    try {
      this.checkOpen(op);
      const names = config.topics ?? (config.topic === undefined ? [] : [config.topic]);
      if (names.length === 0) throw new EmbeddedPulsarError("InvalidConfiguration", op, "topic or topics required");
      if (typeof config.subscription !== "string" || config.subscription.length === 0) {
        throw new EmbeddedPulsarError("InvalidConfiguration", op, "subscription required");
      }
      const ackTimeoutMs = config.ackTimeoutMs ?? 0;
      if (ackTimeoutMs !== 0 && !(ackTimeoutMs >= MIN_ACK_TIMEOUT_MS)) {
        throw new EmbeddedPulsarError("InvalidConfiguration", op, `ackTimeoutMs must be 0 or >= ${MIN_ACK_TIMEOUT_MS}`);
      }
      const nackDelayMs = config.nAckRedeliverTimeoutMs ?? DEFAULT_NACK_DELAY_MS;
      const receiverQueueSize = config.receiverQueueSize ?? DEFAULT_RECEIVER_QUEUE;
      if (!(nackDelayMs >= 0) || !(receiverQueueSize >= 0)) {
        throw new EmbeddedPulsarError("InvalidConfiguration", op, "negative delay or queue size");
      }
      const type = config.subscriptionType ?? "Exclusive";
      if (!SUBSCRIPTION_TYPES.includes(type)) {
        throw new EmbeddedPulsarError("InvalidConfiguration", op, `unknown subscriptionType ${String(type)}`);
      }
      const position = config.subscriptionInitialPosition ?? "Latest";
      if (position !== "Latest" && position !== "Earliest") {
        throw new EmbeddedPulsarError(
          "InvalidConfiguration",
          op,
          `unknown subscriptionInitialPosition ${String(position)}`,
        );
      }
      const topics = names.map((n) => this.broker.topic(n));
      const dlp = config.deadLetterPolicy;
      let deadLetter: DeadLetterSink | undefined;
      if (dlp !== undefined) {
        const first = topics[0]!;
        const dlqName = dlp.deadLetterTopic || `${first.name}-${config.subscription}-DLQ`;
        deadLetter = this.broker.deadLetterSink(dlqName, dlp.maxRedeliverCount, dlp.initialSubscriptionName);
      }
      const name = config.consumerName ?? `embedded-consumer-${this.broker.nextSeq()}`;
      // pulsar-client's batch receive defaults; the count limit never exceeds the receiver queue.
      const policy = config.batchReceivePolicy ?? {};
      const maxNumMessages = policy.maxNumMessages ?? -1;
      const batchMaxMessages =
        maxNumMessages > 0 ? Math.min(maxNumMessages, Math.max(1, receiverQueueSize)) : Math.max(1, receiverQueueSize);
      const batchMaxBytes = Math.max(0, policy.maxNumBytes ?? 10 * 1024 * 1024);
      const batchTimeoutMs = Math.max(0, policy.timeoutMs ?? 100);
      const consumer = new EmbeddedConsumer({
        name,
        scheduler: this.broker.scheduler,
        receiverQueueSize,
        ackTimeoutMs,
        nackDelayMs,
        batchMaxMessages,
        batchMaxBytes,
        batchTimeoutMs,
        deadLetter,
        listener: config.listener,
        onClose: (c) => this.open.delete(c),
      });
      const startAtEnd = position === "Latest";
      for (const topic of topics) {
        const sub = topic.ensureSubscription(config.subscription, type, startAtEnd);
        consumer.attached(sub);
        const failure = sub.attach(consumer, type);
        if (failure !== undefined) {
          void consumer.close();
          throw new EmbeddedPulsarError(failure, op, `subscription ${config.subscription} on ${topic.name}`);
        }
      }
      this.open.add(consumer);
      return Promise.resolve(consumer);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  createReader(config: ReaderConfigLike): Promise<ReaderLike> {
    const op = "Failed to create reader";
    try {
      this.checkOpen(op);
      const topic = this.broker.topic(config.topic);
      const start = config.startMessageId;
      if (!(start instanceof EmbeddedMessageId)) {
        throw new EmbeddedPulsarError("InvalidConfiguration", op, "startMessageId must be an embedded MessageId");
      }
      let pos: number;
      if (start.isEarliest()) pos = topic.start;
      else if (start.isLatest()) pos = topic.end;
      else pos = Math.max(topic.start, Math.min(start.entryId + 1, topic.end));
      const r = new EmbeddedReader(topic, pos, this.broker.scheduler, (x) => this.open.delete(x));
      this.open.add(r);
      return Promise.resolve(r);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Closes every producer, consumer and reader of this client. */
  close(): Promise<null> {
    if (this.closed) return RESOLVED_NULL;
    this.closed = true;
    for (const x of [...this.open]) void x.close();
    this.open.clear();
    return RESOLVED_NULL;
  }

  private checkOpen(op: string): void {
    if (this.closed) throw new EmbeddedPulsarError("AlreadyClosed", op);
  }
}
