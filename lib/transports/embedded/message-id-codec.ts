/**
 * Encoder/decoder for Pulsar's `MessageIdData` protobuf message (the bytes of
 * `MessageId.serialize()` in every Pulsar client and the base64 `messageId` of the WebSocket API):
 *
 *   message MessageIdData {
 *     required uint64 ledgerId = 1;  required uint64 entryId = 2;
 *     optional int32 partition = 3 [default = -1];  optional int32 batch_index = 4 [default = -1];
 *     ... (further optional fields are skipped when decoding)
 *   }
 *
 * Ids are JS numbers: -1 stands for the all-ones uint64 (`earliest`), and
 * `Number.MAX_SAFE_INTEGER` for INT64_MAX (`latest`); other ids must be below 2^53.
 */

export interface MessageIdFields {
  readonly ledgerId: number;
  readonly entryId: number;
  readonly partition: number;
  readonly batchIndex: number;
}

const U64 = (1n << 64n) - 1n;
const INT64_MAX = (1n << 63n) - 1n;
const LATEST = Number.MAX_SAFE_INTEGER;

function toU64(n: number): bigint {
  if (n === LATEST) return INT64_MAX;
  return BigInt.asUintN(64, BigInt(n));
}

function fromU64(v: bigint): number {
  if (v === INT64_MAX) return LATEST;
  const signed = BigInt.asIntN(64, v);
  if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`message id component ${v} is beyond 2^53`);
  }
  return Number(signed);
}

function writeVarint(out: number[], v: bigint): void {
  let x = v & U64;
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
}

export function encodeMessageIdData(id: MessageIdFields): Buffer {
  const out: number[] = [];
  out.push(0x08);
  writeVarint(out, toU64(id.ledgerId));
  out.push(0x10);
  writeVarint(out, toU64(id.entryId));
  if (id.partition !== -1) {
    out.push(0x18);
    writeVarint(out, BigInt.asUintN(64, BigInt(id.partition)));
  }
  if (id.batchIndex !== -1) {
    out.push(0x20);
    writeVarint(out, BigInt.asUintN(64, BigInt(id.batchIndex)));
  }
  return Buffer.from(out);
}

export function decodeMessageIdData(data: Uint8Array): MessageIdFields {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= data.length) throw new RangeError("truncated MessageIdData varint");
      const b = data[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result & U64;
      shift += 7n;
      if (shift > 63n) throw new RangeError("MessageIdData varint too long");
    }
  };
  let ledgerId: number | undefined;
  let entryId: number | undefined;
  let partition = -1;
  let batchIndex = -1;
  while (pos < data.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      const v = varint();
      if (field === 1) ledgerId = fromU64(v);
      else if (field === 2) entryId = fromU64(v);
      else if (field === 3) partition = Number(BigInt.asIntN(32, v));
      else if (field === 4) batchIndex = Number(BigInt.asIntN(32, v));
    } else if (wire === 2) {
      const len = Number(varint());
      pos += len;
      if (pos > data.length) throw new RangeError("truncated MessageIdData field");
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else {
      throw new RangeError(`unsupported protobuf wire type ${wire} in MessageIdData`);
    }
  }
  if (ledgerId === undefined || entryId === undefined) {
    throw new RangeError("MessageIdData lacks ledgerId or entryId");
  }
  return { ledgerId, entryId, partition, batchIndex };
}
