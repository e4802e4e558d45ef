import { queueScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import type { MessageIdLike } from "../transports/pulsar-client-like.js";
import { createReplayBinding } from "./replay-binding.js";
import { TopicTail } from "./topic-tail.js";
import { TopicWriter } from "./topic-writer.js";

async function writer() {
  const b = createReplayBinding([]);
  const producer = await b.client.createProducer({ topic: "out" });
  const open = (after: MessageIdLike | undefined) =>
    b.client.createReader({ topic: "out", startMessageId: after ?? b.MessageId.earliest() });
  const w = new TopicWriter("out", producer, new TopicTail(await open(undefined), open), {
    maxPending: 10,
    scheduler: queueScheduler,
    reconnect: {},
    topologyId: "t@1#x",
    capture: undefined,
    onRetry: () => undefined,
    onFatal: (e) => {
      throw e;
    },
  });
  await w.open();
  return { w, written: b.written };
}

describe("TopicWriter", () => {
  it("writes an event id once, and forgets ids older than the horizon", async () => {
    const { w, written } = await writer();
    const results: boolean[] = [];
    for (const [id, t] of [
      ["a", 0],
      ["b", 500],
      ["a", 0],
      ["c", 1000],
    ] as const) {
      w.write({ data: Buffer.from(id), key: "k", eventId: id, eventTime: t, done: (ok) => results.push(ok) });
    }
    await w.idle();
    expect(results.sort()).toEqual([false, true, true, true]);
    expect(written.get("out")).toHaveLength(3);
    expect(w.remembered).toBe(3);
    w.forgetBefore(1100, 700); // forgets ids with event time < 400
    expect(w.remembered).toBe(2);
    w.forgetBefore(1200, 700); // too soon after the last sweep (< horizon / 2): no-op
    expect(w.remembered).toBe(2);
  });
});
