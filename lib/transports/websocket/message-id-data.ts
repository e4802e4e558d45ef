/**
 * Codec for Pulsar's `MessageIdData` protobuf message, the bytes behind every message id the
 * WebSocket API hands out (base64) and `MessageId.serialize()` returns:
 *
 * ```proto
 * message MessageIdData {
 *   required uint64 ledgerId = 1;
 *   required uint64 entryId  = 2;
 *   optional int32 partition = 3 [default = -1];
 *   optional int32 batch_index = 4 [default = -1];
 *   repeated int64 ack_set = 5;
 *   optional int32 batch_size = 6;
 *   optional MessageIdData first_chunk_message_id = 7;
 * }
 * ```
 *
 * Ledger and entry ids are 64-bit, so they are `bigint` here: `MessageId.earliest()` is
 * (-1, -1) and `latest()` is (INT64_MAX, INT64_MAX), which a JavaScript number cannot hold.
 */

export interface MessageIdFields {
  readonly ledgerId: bigint;
  readonly entryId: bigint;
  readonly partition: number;
  readonly batchIndex: number;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

function malformed(why: string): Error {
  return new Error(`Malformed MessageIdData: ${why}`);
}

class ProtoReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw malformed("truncated varint");
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw malformed("varint longer than 10 bytes");
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LENGTH_DELIMITED:
        this.advance(Number(this.varint()));
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw malformed(`unsupported wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length) throw malformed("truncated field");
    this.pos += n;
  }
}

/** Reads ledgerId, entryId, partition and batch_index; other fields are skipped. Throws on malformed input. */
export function decodeMessageIdData(data: Uint8Array): MessageIdFields {
  const reader = new ProtoReader(data);
  let ledgerId: bigint | undefined;
  let entryId: bigint | undefined;
  let partition = -1;
  let batchIndex = -1;
  while (!reader.done) {
    const tag = reader.varint();
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (field === 1 && wireType === WIRE_VARINT) ledgerId = BigInt.asIntN(64, reader.varint());
    else if (field === 2 && wireType === WIRE_VARINT) entryId = BigInt.asIntN(64, reader.varint());
    else if (field === 3 && wireType === WIRE_VARINT) partition = Number(BigInt.asIntN(32, reader.varint()));
    else if (field === 4 && wireType === WIRE_VARINT) batchIndex = Number(BigInt.asIntN(32, reader.varint()));
    else reader.skip(wireType);
  }
  if (ledgerId === undefined || entryId === undefined) throw malformed("ledgerId and entryId are required");
  return { ledgerId, entryId, partition, batchIndex };
}

function writeVarint(out: number[], value: bigint): void {
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

/**
 * Writes ledgerId and entryId, and partition / batch_index when they are not -1 (their default),
 * as Pulsar's own clients do. Negative values are written as 64-bit two's complement varints.
 */
export function encodeMessageIdData(id: MessageIdFields): Buffer {
  const out: number[] = [];
  out.push((1 << 3) | WIRE_VARINT);
  writeVarint(out, id.ledgerId);
  out.push((2 << 3) | WIRE_VARINT);
  writeVarint(out, id.entryId);
  if (id.partition !== -1) {
    out.push((3 << 3) | WIRE_VARINT);
    writeVarint(out, BigInt(id.partition));
  }
  if (id.batchIndex !== -1) {
    out.push((4 << 3) | WIRE_VARINT);
    writeVarint(out, BigInt(id.batchIndex));
  }
  return Buffer.from(out);
}
