import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeMessageIdData, encodeMessageIdData } from "./message-id-data.js";

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const int32OrDefault = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 31 - 1 }));

describe("MessageIdData codec", () => {
  it("reads the id a real Pulsar 4.0 broker returned for ledger 1, entry 0 (with batch_size 0)", () => {
    // "CAEQADAA" = 08 01 | 10 00 | 30 00: ledgerId=1, entryId=0, batch_size=0 (field 6, skipped).
    expect(decodeMessageIdData(Buffer.from("CAEQADAA", "base64"))).toEqual({
      ledgerId: 1n,
      entryId: 0n,
      partition: -1,
      batchIndex: -1,
    });
  });

  it("writes varints by the protobuf rule (7 bits per byte, low group first)", () => {
    // 300 = 0b10_0101100 -> 0xAC 0x02
    const bytes = encodeMessageIdData({ ledgerId: 300n, entryId: 5n, partition: -1, batchIndex: -1 });
    expect([...bytes]).toEqual([0x08, 0xac, 0x02, 0x10, 0x05]);
  });

  it("writes -1 (MessageId.earliest) as a 10-byte two's complement varint", () => {
    const bytes = encodeMessageIdData({ ledgerId: -1n, entryId: -1n, partition: -1, batchIndex: -1 });
    const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    expect([...bytes]).toEqual([0x08, ...minusOne, 0x10, ...minusOne]);
    expect(decodeMessageIdData(bytes).ledgerId).toBe(-1n);
  });

  it("round-trips any 64-bit ledger/entry and any partition/batch index", () => {
    fc.assert(
      fc.property(int64, int64, int32OrDefault, int32OrDefault, (ledgerId, entryId, partition, batchIndex) => {
        const id = { ledgerId, entryId, partition, batchIndex };
        expect(decodeMessageIdData(encodeMessageIdData(id))).toEqual(id);
      }),
      { numRuns: 1000 },
    );
  });

  it("skips fields it does not use: packed ack_set, batch_size, a nested first_chunk_message_id", () => {
    const nested = encodeMessageIdData({ ledgerId: 9n, entryId: 9n, partition: -1, batchIndex: -1 });
    const bytes = Buffer.concat([
      encodeMessageIdData({ ledgerId: 7n, entryId: 3n, partition: 2, batchIndex: 4 }),
      Buffer.from([(5 << 3) | 2, 2, 0x01, 0x02]), // ack_set, packed
      Buffer.from([(6 << 3) | 0, 10]), // batch_size
      Buffer.from([(7 << 3) | 2, nested.length]),
      nested,
    ]);
    expect(decodeMessageIdData(bytes)).toEqual({ ledgerId: 7n, entryId: 3n, partition: 2, batchIndex: 4 });
  });

  it("rejects truncated input and input without the required fields", () => {
    expect(() => decodeMessageIdData(Buffer.from([0x08, 0xac]))).toThrow(/truncated varint/);
    expect(() => decodeMessageIdData(Buffer.from([0x08, 0x01]))).toThrow(/required/);
    expect(() => decodeMessageIdData(Buffer.from([0x08, 0x01, 0x10, 0x01, (7 << 3) | 2, 5, 1]))).toThrow(
      /truncated field/,
    );
  });
});
