import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeMessageIdData, encodeMessageIdData } from "./message-id-codec.js";
import { EmbeddedMessageId, LATEST_ID } from "./message-id.js";

describe("EmbeddedMessageId", () => {
  it("writes MessageIdData as protobuf varint fields 1..4", () => {
    // field 1 (ledgerId) = 5, field 2 (entryId) = 300 → varint ac 02; defaults (-1) omitted
    expect([...new EmbeddedMessageId(5, 300).serialize()]).toEqual([0x08, 0x05, 0x10, 0xac, 0x02]);
    expect([...new EmbeddedMessageId(1, 2, 3, 0).serialize()]).toEqual([0x08, 1, 0x10, 2, 0x18, 3, 0x20, 0]);
  });

  it("encodes earliest as all-ones uint64 and latest as INT64_MAX, and reads them back", () => {
    const earliest = EmbeddedMessageId.earliest().serialize();
    expect([...earliest.subarray(1, 11)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(EmbeddedMessageId.deserialize(earliest).isEarliest()).toBe(true);
    const latest = EmbeddedMessageId.deserialize(EmbeddedMessageId.latest().serialize());
    expect(latest.isLatest()).toBe(true);
    expect(latest.toString()).toBe("(9223372036854775807,9223372036854775807,-1,-1)");
    expect(EmbeddedMessageId.earliest().toString()).toBe("(-1,-1,-1,-1)");
    expect(LATEST_ID).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("round-trips any id through serialize/deserialize", () => {
    const component = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 });
    const small = fc.integer({ min: -1, max: 2 ** 31 - 1 });
    fc.assert(
      fc.property(component, component, small, small, (l, e, p, b) => {
        const id = new EmbeddedMessageId(l, e, p, b);
        const back = EmbeddedMessageId.deserialize(id.serialize());
        expect(back.equals(id)).toBe(true);
        expect(back.toString()).toBe(`(${l},${e},${p},${b})`);
      }),
      { numRuns: 1000 },
    );
  });

  it("skips unknown fields and rejects malformed bytes with a RangeError", () => {
    // ledgerId 1, entryId 2, then unknown field 5 (length-delimited, 2 bytes) and field 6 varint
    const withExtra = Buffer.from([0x08, 1, 0x10, 2, 0x2a, 2, 9, 9, 0x30, 7]);
    expect(decodeMessageIdData(withExtra)).toEqual({ ledgerId: 1, entryId: 2, partition: -1, batchIndex: -1 });
    expect(() => decodeMessageIdData(Buffer.from([0x08, 0x80]))).toThrow(RangeError);
    expect(() => decodeMessageIdData(Buffer.from([0x08, 1]))).toThrow(RangeError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        try {
          const d = decodeMessageIdData(bytes);
          expect(decodeMessageIdData(encodeMessageIdData(d))).toEqual(d);
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
