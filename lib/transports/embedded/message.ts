import type { MessageLike } from "../pulsar-client-like.js";
import type { EmbeddedMessageId } from "./message-id.js";

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/**
 * A message as the embedded broker stores and delivers it, with pulsar-client's `Message`
 * getters. The object published to the topic log is the message of the first delivery
 * (`redeliveryCount` 0, `entry === this`); a redelivery is a new object sharing the entry's
 * fields with a higher count, so ordinary delivery allocates nothing per subscription.
 */
export class EmbeddedMessage implements MessageLike {
  /** The stored entry this delivery is of (itself for the first delivery). */
  readonly entry: EmbeddedMessage;
  /** Key_Shared hash slot of the sticky key, computed on first use (-1 until then). */
  keySlot = -1;

  constructor(
    readonly topicName: string,
    readonly messageId: EmbeddedMessageId,
    readonly data: Buffer,
    readonly properties: Readonly<Record<string, string>> | undefined,
    readonly partitionKey: string,
    readonly orderingKey: string,
    readonly eventTimestamp: number,
    readonly publishTimestamp: number,
    readonly producerName: string,
    readonly redeliveryCount: number,
    entry?: EmbeddedMessage,
  ) {
    this.entry = entry ?? this;
  }

  /** Position of the message in its topic's log. */
  get entryId(): number {
    return this.messageId.entryId;
  }

  /** The sticky key Pulsar's Key_Shared dispatcher uses: orderingKey if set, else partitionKey. */
  get stickyKey(): string {
    return this.orderingKey !== "" ? this.orderingKey : this.partitionKey;
  }

  /** The same message as delivered for the given redelivery count. */
  withRedeliveryCount(count: number): EmbeddedMessage {
    if (count === this.redeliveryCount) return this;
    const e = this.entry;
    return new EmbeddedMessage(
      e.topicName,
      e.messageId,
      e.data,
      e.properties,
      e.partitionKey,
      e.orderingKey,
      e.eventTimestamp,
      e.publishTimestamp,
      e.producerName,
      count,
      e,
    );
  }

  getTopicName(): string {
    return this.topicName;
  }

  /** A fresh copy on every call, like pulsar-client. */
  getProperties(): { [key: string]: string } {
    return { ...(this.properties ?? EMPTY) };
  }

  getData(): Buffer {
    return this.data;
  }

  getMessageId(): EmbeddedMessageId {
    return this.messageId;
  }

  getPublishTimestamp(): number {
    return this.publishTimestamp;
  }

  /** 0 when the producer set none, like pulsar-client. */
  getEventTimestamp(): number {
    return this.eventTimestamp;
  }

  getRedeliveryCount(): number {
    return this.redeliveryCount;
  }

  /** "" when the producer set none, like pulsar-client. */
  getPartitionKey(): string {
    return this.partitionKey;
  }

  getOrderingKey(): string {
    return this.orderingKey;
  }

  getProducerName(): string {
    return this.producerName;
  }
}
