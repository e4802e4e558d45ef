import type { MessageIdLike } from "../pulsar-client-like.js";
import { decodeMessageIdData, encodeMessageIdData, type MessageIdFields } from "./message-id-data.js";

const INT64_MAX = 0x7fffffffffffffffn;

/**
 * A message id of the WebSocket-API client, shaped like pulsar-client's `MessageId`: static
 * `earliest()` / `latest()` / `deserialize()`, instance `serialize()` / `toString()`.
 *
 * It keeps the exact bytes the broker sent (`serialize()` returns them, so ids round-trip with the
 * native client and Pulsar's tools) and their base64 text, which is what the WebSocket API expects
 * back in acknowledgements. `toString()` prints `(ledgerId,entryId,partition,batchIndex)` as the
 * C++ client behind pulsar-client does.
 */
export class WebSocketMessageId implements MessageIdLike, MessageIdFields {
  readonly ledgerId: bigint;
  readonly entryId: bigint;
  readonly partition: number;
  readonly batchIndex: number;
  /**
   * The topic of the message this id was received with (not part of the serialized form): lets a
   * consumer of several topics send the acknowledgement to the right one.
   */
  readonly topicName: string | undefined;
  private readonly bytes: Buffer;
  private text: string | undefined;

  private constructor(fields: MessageIdFields, bytes: Buffer, base64?: string, topicName?: string) {
    this.ledgerId = fields.ledgerId;
    this.entryId = fields.entryId;
    this.partition = fields.partition;
    this.batchIndex = fields.batchIndex;
    this.bytes = bytes;
    this.text = base64;
    this.topicName = topicName;
  }

  /** The position before the first message of a topic. */
  static earliest(): WebSocketMessageId {
    return WebSocketMessageId.of({ ledgerId: -1n, entryId: -1n, partition: -1, batchIndex: -1 });
  }

  /** The position after the last message of a topic. */
  static latest(): WebSocketMessageId {
    return WebSocketMessageId.of({ ledgerId: INT64_MAX, entryId: INT64_MAX, partition: -1, batchIndex: -1 });
  }

  /** Parses serialized `MessageIdData` bytes; throws on malformed input. */
  static deserialize(data: Buffer): WebSocketMessageId {
    const copy = Buffer.from(data);
    return new WebSocketMessageId(decodeMessageIdData(copy), copy);
  }

  /** Parses the base64 text the WebSocket API carries in `messageId` fields (of a message on `topicName`). */
  static fromBase64(text: string, topicName?: string): WebSocketMessageId {
    const bytes = Buffer.from(text, "base64");
    return new WebSocketMessageId(decodeMessageIdData(bytes), bytes, text, topicName);
  }

  /** An id from its fields. */
  static of(fields: MessageIdFields): WebSocketMessageId {
    return new WebSocketMessageId(fields, encodeMessageIdData(fields));
  }

  /** The base64 text of {@link serialize}: the form the WebSocket API reads and writes. */
  get base64(): string {
    this.text ??= this.bytes.toString("base64");
    return this.text;
  }

  serialize(): Buffer {
    return Buffer.from(this.bytes);
  }

  toString(): string {
    return `(${this.ledgerId},${this.entryId},${this.partition},${this.batchIndex})`;
  }

  isEarliest(): boolean {
    return this.ledgerId === -1n && this.entryId === -1n;
  }

  isLatest(): boolean {
    return this.ledgerId === INT64_MAX && this.entryId === INT64_MAX;
  }

  /** Same position (ledger, entry, partition, batch index). */
  equals(other: MessageIdLike): boolean {
    const o = other instanceof WebSocketMessageId ? other : WebSocketMessageId.deserialize(other.serialize());
    return (
      o.ledgerId === this.ledgerId &&
      o.entryId === this.entryId &&
      o.partition === this.partition &&
      o.batchIndex === this.batchIndex
    );
  }

  /** Order within one topic: by ledger, then entry, then batch index. */
  compareTo(other: WebSocketMessageId): number {
    if (this.ledgerId !== other.ledgerId) return this.ledgerId < other.ledgerId ? -1 : 1;
    if (this.entryId !== other.entryId) return this.entryId < other.entryId ? -1 : 1;
    return Math.sign(this.batchIndex - other.batchIndex);
  }
}

/** The base64 wire text of any message id (ours keep the broker's exact text). */
export function messageIdBase64(id: MessageIdLike): string {
  return id instanceof WebSocketMessageId ? id.base64 : id.serialize().toString("base64");
}
