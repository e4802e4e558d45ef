import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { messageIdBase64, WebSocketMessageId } from "./message-id.js";

describe("WebSocketMessageId", () => {
  it("prints (ledgerId,entryId,partition,batchIndex) like pulsar-client", () => {
    expect(WebSocketMessageId.fromBase64("CAEQADAA").toString()).toBe("(1,0,-1,-1)");
    expect(WebSocketMessageId.earliest().toString()).toBe("(-1,-1,-1,-1)");
    expect(WebSocketMessageId.latest().toString()).toBe("(9223372036854775807,9223372036854775807,-1,-1)");
  });

  it("knows earliest and latest, also after a serialize/deserialize round trip", () => {
    const e = WebSocketMessageId.deserialize(WebSocketMessageId.earliest().serialize());
    const l = WebSocketMessageId.deserialize(WebSocketMessageId.latest().serialize());
    expect([e.isEarliest(), e.isLatest(), l.isEarliest(), l.isLatest()]).toEqual([true, false, false, true]);
  });

  it("keeps the broker's exact bytes and base64 text (acks must echo them)", () => {
    const id = WebSocketMessageId.fromBase64("CAEQADAA");
    expect(id.base64).toBe("CAEQADAA");
    expect(id.serialize().toString("base64")).toBe("CAEQADAA");
    expect(messageIdBase64(id)).toBe("CAEQADAA");
    // serialize() hands out a copy
    id.serialize().fill(0);
    expect(id.base64).toBe("CAEQADAA");
  });

  it("orders ids by ledger, entry, batch index and compares by position", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.bigInt({ min: 0n, max: 1000n }),
        (l1, e1, l2, e2) => {
          const a = WebSocketMessageId.of({ ledgerId: l1, entryId: e1, partition: -1, batchIndex: -1 });
          const b = WebSocketMessageId.of({ ledgerId: l2, entryId: e2, partition: -1, batchIndex: -1 });
          const expected = l1 !== l2 ? (l1 < l2 ? -1 : 1) : e1 !== e2 ? (e1 < e2 ? -1 : 1) : 0;
          expect(a.compareTo(b)).toBe(expected);
          expect(b.compareTo(a)).toBe(expected === 0 ? 0 : -expected); // not -0: toBe is Object.is
          expect(a.equals(b)).toBe(expected === 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
