import type { MessageIdLike } from "../pulsar-client-like.js";
import { decodeMessageIdData, encodeMessageIdData } from "./message-id-codec.js";

/** Stands for Pulsar's INT64_MAX ledger/entry id of `MessageId.latest()` (printed as such). */
export const LATEST_ID = Number.MAX_SAFE_INTEGER;
const INT64_MAX_TEXT = "9223372036854775807";

function idText(n: number): string {
  return n === LATEST_ID ? INT64_MAX_TEXT : String(n);
}

/**
 * The embedded broker's message id, shaped like pulsar-client's `MessageId`: static
 * `earliest()` / `latest()` / `deserialize()`, instance `serialize()` / `toString()`.
 *
 * `serialize()` writes Pulsar's wire form (the protobuf `MessageIdData`: ledgerId, entryId,
 * partition, batch_index), so ids round-trip with other Pulsar tooling; `toString()` prints
 * `(ledgerId,entryId,partition,batchIndex)` as the C++ client behind pulsar-client does.
 * Ordering inside one topic is by `entryId` (the embedded broker keeps one ledger per topic).
 */
export class EmbeddedMessageId implements MessageIdLike {
  constructor(
    readonly ledgerId: number,
    readonly entryId: number,
    readonly partition = -1,
    readonly batchIndex = -1,
  ) {}

  static earliest(): EmbeddedMessageId {
    return new EmbeddedMessageId(-1, -1);
  }

  static latest(): EmbeddedMessageId {
    return new EmbeddedMessageId(LATEST_ID, LATEST_ID);
  }

  /** Parses the bytes written by {@link EmbeddedMessageId.serialize}; throws on malformed input. */
  static deserialize(data: Buffer): EmbeddedMessageId {
    const d = decodeMessageIdData(data);
    return new EmbeddedMessageId(d.ledgerId, d.entryId, d.partition, d.batchIndex);
  }

  serialize(): Buffer {
    return encodeMessageIdData(this);
  }

  toString(): string {
    return `(${idText(this.ledgerId)},${idText(this.entryId)},${this.partition},${this.batchIndex})`;
  }

  isEarliest(): boolean {
    return this.entryId === -1 && this.ledgerId === -1;
  }

  isLatest(): boolean {
    return this.entryId === LATEST_ID;
  }

  equals(other: MessageIdLike): boolean {
    return (
      other instanceof EmbeddedMessageId &&
      other.ledgerId === this.ledgerId &&
      other.entryId === this.entryId &&
      other.partition === this.partition &&
      other.batchIndex === this.batchIndex
    );
  }
}
