import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConsumerLike, MessageLike } from "../transports/pulsar-client-like.js";
import { AckTracker, type Inbound } from "./ack-tracker.js";

function inbound(id: string, eventTime: number, retention: number, seq: number): Inbound {
  return {
    msg: {} as MessageLike,
    consumer: {} as ConsumerLike,
    source: "s",
    id,
    key: "k",
    eventTime,
    value: null,
    holdUntil: eventTime + retention,
    redeliveryCount: 0,
    seq,
    processed: false,
    done: false,
    retentionPassed: false,
    held: false,
    failed: undefined,
    t0: 0n,
  };
}

describe("AckTracker (the ack rule)", () => {
  it("acks exactly when processed, every output confirmed and the watermark passed eventTime + retention", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.record({ t: fc.integer({ min: 0, max: 100 }), outputs: fc.integer({ min: 0, max: 3 }) }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 6 }),
        (retention, msgs, watermarks) => {
          const acked = new Set<Inbound>();
          const tracker = new AckTracker({ ack: (m) => acked.add(m), fail: () => undefined }, retention);
          const ms = msgs.map((m, i) => inbound(`id${i}`, m.t, retention, i));
          for (const m of ms) tracker.register(m);
          // Each message: outputs started while processing, then processed.
          ms.forEach((m, i) => {
            for (let k = 0; k < msgs[i]!.outputs; k++) tracker.outputStarted([m.id]);
            tracker.processed(m);
          });
          let wm = Number.NEGATIVE_INFINITY;
          const check = (confirmed: (i: number) => boolean) => {
            ms.forEach((m, i) => {
              const should = confirmed(i) && (retention === 0 || wm >= m.eventTime + retention);
              expect(acked.has(m)).toBe(should);
            });
          };
          check((i) => msgs[i]!.outputs === 0);
          for (const w of [...watermarks].sort((a, b) => a - b)) {
            wm = w;
            tracker.advance(w);
            check((i) => msgs[i]!.outputs === 0);
          }
          // Confirm every output.
          ms.forEach((m, i) => {
            for (let k = 0; k < msgs[i]!.outputs; k++) tracker.outputConfirmed([m.id]);
          });
          check(() => true);
          expect(tracker.open).toBe(ms.length - acked.size);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("hands a message marked failed to `fail`, never to `ack`", () => {
    const failed: string[] = [];
    const acked: string[] = [];
    const t = new AckTracker({ ack: (m) => acked.push(m.id), fail: (m, r) => failed.push(`${m.id}:${r}`) }, 0);
    const a = inbound("a", 1, 0, 0);
    const b = inbound("b", 1, 0, 1);
    t.register(a);
    t.register(b);
    t.markFailed(["a"], "boom");
    t.processed(a);
    t.processed(b);
    expect(failed).toEqual(["a:boom"]);
    expect(acked).toEqual(["b"]);
    expect(t.open).toBe(0);
  });
});
