import { describe, expect, it } from "vitest";
import type { ConsumerLike, MessageLike } from "../transports/pulsar-client-like.js";
import { AckTracker, Inbound } from "./ack-tracker.js";
import { HeldCopies } from "./held-copies.js";

const msg = (messageId: string) => ({ getMessageId: () => ({ toString: () => messageId }) }) as unknown as MessageLike;
const consumer = {} as ConsumerLike;

describe("HeldCopies", () => {
  const setup = () => {
    const tracker = new AckTracker({ ack: () => undefined, fail: () => undefined }, 1000);
    const held = new HeldCopies("a", tracker);
    /** A message received on source "a": noted, and registered when it is not a copy. */
    const receive = (id: string, key: string, t: number, messageId: string) => {
      const m = msg(messageId);
      const original = held.originalOf(key, id, t, m);
      if (original !== undefined) return original;
      const inbound = new Inbound(m, consumer, "a", id, key, t, {}, t + 1000, 0, 0);
      tracker.register(inbound);
      return inbound;
    };
    return { tracker, held, receive };
  };

  it("finds the held original of a message delivered again, and only that", () => {
    const { tracker, receive } = setup();
    const first = receive("s1", "p1", 10, "m1");
    receive("s2", "p1", 20, "m2");
    receive("s3", "p2", 10, "m3");
    expect(receive("s1", "p1", 10, "m1")).toBe(first); // the same message again
    // the same event in another message (a producer's retry) is a record of its own
    const retry = receive("s1", "p1", 10, "m9");
    expect(retry).not.toBe(first);
    // once the original is acked, a copy is not recognised any more
    tracker.processed(first);
    tracker.advance(2000);
    expect(first.done).toBe(true);
    expect(receive("s1", "p1", 10, "m1")).not.toBe(first);
  });

  it("takes records at the key's latest event time with other ids as new", () => {
    const { receive } = setup();
    const a = receive("s1", "p1", 10, "m1");
    const b = receive("s2", "p1", 10, "m2");
    expect(b).not.toBe(a);
    expect(receive("s2", "p1", 10, "m2")).toBe(b);
    expect(receive("s1", "p1", 10, "m1")).toBe(a);
  });
});
