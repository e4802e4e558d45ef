import type { MessageLike } from "../pulsar-client-like.js";
import { EmbeddedMessageId } from "./message-id.js";

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/** What a message reads its fields from: the columns of one chunk of a topic's log (`TopicLog`). */
export interface StoredEntries {
  readonly ledgerId: number;
  /** Entry id of the chunk's first entry. */
  readonly first: number;
  bytesOf(index: number): Buffer;
  byteLengthOf(index: number): number;
  readonly properties: readonly (Readonly<Record<string, string>> | undefined)[];
  readonly partitionKeys: readonly string[];
  readonly orderingKeys: readonly (string | undefined)[];
  readonly eventTs: Float64Array;
  readonly publishTs: Float64Array;
  readonly producers: readonly string[];
}

/**
 * A message as the embedded broker delivers it, with pulsar-client's `Message` getters: a cursor
 * into the topic log, which stores no object per message (see `TopicLog`). It reads its fields
 * from the log's columns, and makes its Buffer (a view of the log's bytes) and its id on first
 * use, so a delivery costs one small object. A first delivery has `redeliveryCount` 0 and
 * `entry === this`; a redelivery is a new cursor with a higher count.
 */
export class EmbeddedMessage implements MessageLike {
  /** The first delivery this one repeats (itself for the first delivery). */
  readonly entry: EmbeddedMessage;
  private bytes: Buffer | undefined = undefined;
  private id: EmbeddedMessageId | undefined = undefined;

  constructor(
    readonly topicName: string,
    /** Position of the message in its topic's log. */
    readonly entryId: number,
    private readonly stored: StoredEntries,
    readonly redeliveryCount: number,
    entry?: EmbeddedMessage,
  ) {
    this.entry = entry ?? this;
  }

  private get index(): number {
    return this.entryId - this.stored.first;
  }

  /** The message's bytes: a view of the log's slab (never written again). */
  get data(): Buffer {
    return (this.bytes ??= this.stored.bytesOf(this.index));
  }

  /** Length of {@link data}, without making the view. */
  get byteLength(): number {
    return this.stored.byteLengthOf(this.index);
  }

  get messageId(): EmbeddedMessageId {
    return (this.id ??= new EmbeddedMessageId(this.stored.ledgerId, this.entryId));
  }

  get properties(): Readonly<Record<string, string>> | undefined {
    return this.stored.properties[this.index];
  }

  get partitionKey(): string {
    return this.stored.partitionKeys[this.index]!;
  }

  get orderingKey(): string {
    return this.stored.orderingKeys[this.index] ?? "";
  }

  get eventTimestamp(): number {
    return this.stored.eventTs[this.index]!;
  }

  get publishTimestamp(): number {
    return this.stored.publishTs[this.index]!;
  }

  get producerName(): string {
    return this.stored.producers[this.index]!;
  }

  /** The sticky key Pulsar's Key_Shared dispatcher uses: orderingKey if set, else partitionKey. */
  get stickyKey(): string {
    return this.orderingKey !== "" ? this.orderingKey : this.partitionKey;
  }

  /** The same message as delivered for the given redelivery count. */
  withRedeliveryCount(count: number): EmbeddedMessage {
    if (count === this.redeliveryCount) return this;
    return new EmbeddedMessage(this.topicName, this.entryId, this.stored, count, this.entry);
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
