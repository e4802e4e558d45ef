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
    clock: 0,
    redeliveryCount: 0,
    seq,
    processed: false,
    done: false,
    retentionPassed: false,
    held: false,
    failed: undefined,
    t0: 0n,
    confirmBelow: 0,
    copies: undefined,
    prevOpen: undefined,
    nextOpen: undefined,
  };
}

describe("AckTracker (the ack rule)", () => {
  it("acks exactly when processed, past eventTime + retention, and every output handed over until then is confirmed", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.record({ t: fc.integer({ min: 0, max: 100 }), outputs: fc.integer({ min: 0, max: 3 }) }), {
          minLength: 1,
          maxLength: 20,
        }),
        // Interleaved steps: a watermark, or the confirmation of the k-th started output (any order).
        fc.array(fc.oneof(fc.record({ wm: fc.integer({ min: 0, max: 200 }) }), fc.record({ confirm: fc.nat() })), {
          maxLength: 40,
        }),
        (retention, msgs, steps) => {
          const acked = new Set<Inbound>();
          const tracker = new AckTracker({ ack: (m) => acked.add(m), fail: () => undefined }, retention);
          const ms = msgs.map((m, i) => inbound(`id${i}`, m.t, retention, i));
          for (const m of ms) tracker.register(m);
          // Each message: its outputs are handed to sinks while it is processed.
          const tokens: { token: number; owner: number }[] = [];
          ms.forEach((m, i) => {
            for (let k = 0; k < msgs[i]!.outputs; k++) tokens.push({ token: tracker.outputStarted(), owner: i });
            tracker.processed(m);
          });
          const confirmed = new Set<number>();
          let wm = Number.NEGATIVE_INFINITY;
          // Reference model: every output is started before any retention passes here, so a message
          // is due once its retention passed and every output is confirmed — or, with no
          // retention, when processed and every output started up to its push is confirmed.
          const startedBy = (i: number) => tokens.filter((t) => t.owner <= i).length;
          const due = (i: number) => {
            const m = ms[i]!;
            if (retention === 0) return tokens.slice(0, startedBy(i)).every((t) => confirmed.has(t.token));
            return wm >= m.eventTime + retention && tokens.every((t) => confirmed.has(t.token));
          };
          const check = () =>
            ms.forEach((m, i) => {
              expect(acked.has(m)).toBe(due(i));
              // Safety: never acked before its own outputs are confirmed.
              if (acked.has(m)) for (const t of tokens) if (t.owner === i) expect(confirmed.has(t.token)).toBe(true);
            });
          check();
          for (const step of steps) {
            if ("wm" in step) {
              if (step.wm <= wm) continue;
              wm = step.wm;
              tracker.advance(wm);
            } else if (tokens.length > 0) {
              const t = tokens[step.confirm % tokens.length]!;
              if (confirmed.has(t.token)) continue;
              confirmed.add(t.token);
              tracker.outputConfirmed(t.token);
            }
            check();
          }
          // Confirm every output and pass every retention.
          for (const t of tokens)
            if (!confirmed.has(t.token)) {
              confirmed.add(t.token);
              tracker.outputConfirmed(t.token);
            }
          wm = Number.MAX_SAFE_INTEGER;
          tracker.advance(wm);
          check();
          expect(acked.size).toBe(ms.length);
          expect(tracker.open).toBe(0);
          expect(tracker.pendingOutputs).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a message waits for its own clock's watermark only (lanes: a clock each, independent of the main one)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.record({ t: fc.integer({ min: 0, max: 100 }), clock: fc.integer({ min: 0, max: 2 }) }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.array(fc.record({ clock: fc.integer({ min: 0, max: 2 }), wm: fc.integer({ min: 0, max: 200 }) }), {
          maxLength: 30,
        }),
        (retention, msgs, steps) => {
          const acked = new Set<Inbound>();
          const tracker = new AckTracker({ ack: (m) => acked.add(m), fail: () => undefined }, retention);
          expect([tracker.addClock(), tracker.addClock()]).toEqual([1, 2]);
          const ms = msgs.map((m, i) => ({ ...inbound(`id${i}`, m.t, retention, i), clock: m.clock }));
          for (const m of ms) tracker.register(m);
          for (const m of ms) tracker.processed(m);
          const wm = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
          const check = () => {
            for (const m of ms) expect(acked.has(m)).toBe(wm[m.clock]! >= m.holdUntil);
          };
          check();
          for (const step of steps) {
            tracker.advance(step.wm, step.clock);
            wm[step.clock] = Math.max(wm[step.clock]!, step.wm); // a clock never goes back
            check();
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("confirmations in any order, across a growing token ring, release exactly the confirmed prefix", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer(), (n, seed) => {
        const acked: number[] = [];
        const tracker = new AckTracker({ ack: (m) => acked.push(m.seq), fail: () => undefined }, 0);
        const tokens: number[] = [];
        const ms: Inbound[] = [];
        for (let i = 0; i < n; i++) {
          const m = inbound(`id${i}`, i, 0, i);
          tracker.register(m);
          tokens.push(tracker.outputStarted());
          tracker.processed(m);
          ms.push(m);
        }
        // A deterministic shuffle of the confirmations.
        let x = seed | 0;
        const order = tokens.map((t) => {
          x = (Math.imul(x, 1103515245) + 12345) | 0;
          return { t, r: x };
        });
        order.sort((a, b) => a.r - b.r || a.t - b.t);
        const confirmed = new Set<number>();
        let prefix = 0;
        for (const { t } of order) {
          confirmed.add(t);
          tracker.outputConfirmed(t);
          while (confirmed.has(prefix)) prefix++;
          // Message i waits for tokens 0..i (everything handed over up to its push).
          expect(acked.length).toBe(prefix);
        }
        expect(acked).toEqual(ms.map((m) => m.seq));
      }),
      { numRuns: 200 },
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

describe("AckTracker.findNewestOpen", () => {
  it("looks only at the `limit` newest open messages, newest first, skipping closed ones", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 35 }),
        (n, closeIt, limit) => {
          const tracker = new AckTracker({ ack: () => undefined, fail: () => undefined }, 0);
          // event time 7 (even index) or 8: `match` sees only those at the time asked for
          const ms = Array.from({ length: n }, (_, i) => inbound(`id${i}`, i % 2 === 0 ? 7 : 8, 0, i));
          for (const m of ms) tracker.register(m);
          // close some (no retention, no outputs: processed means acked at once)
          ms.forEach((m, i) => {
            if (closeIt[i % closeIt.length]) tracker.processed(m);
          });
          const open = ms.filter((m) => !m.done);
          const visited: Inbound[] = [];
          const found = tracker.findNewestOpen(limit, 7, (m) => {
            visited.push(m);
            return false;
          });
          expect(found).toBeUndefined();
          const newest = open.slice(Math.max(0, open.length - limit)).reverse();
          expect(visited).toEqual(newest.filter((m) => m.eventTime === 7));
          // and it returns the first accepted one
          const want = newest.find((m) => m.eventTime === 8);
          if (want !== undefined) expect(tracker.findNewestOpen(limit, 8, (m) => m.id === want.id)).toBe(want);
        },
      ),
    );
  });
});
