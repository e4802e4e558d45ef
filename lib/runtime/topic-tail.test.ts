import { describe, expect, it } from "vitest";
import { embeddedBinding } from "../transports/embedded/index.js";
import type { MessageIdLike, ReaderLike } from "../transports/pulsar-client-like.js";
import { TopicTail } from "./topic-tail.js";

/**
 * A reader whose `hasNext()` knows the topic's end only as of its creation, as the WebSocket
 * client's does (no "has message available" command on that API): it counts the messages stored
 * when it was opened and answers from that count.
 */
async function snapshotReader(
  b: ReturnType<typeof embeddedBinding>,
  topic: string,
  after: MessageIdLike | undefined,
): Promise<ReaderLike> {
  const inner = await b.client.createReader({ topic, startMessageId: after ?? b.MessageId.earliest() });
  let known = 0;
  while (inner.hasNext()) {
    await inner.readNext();
    known++;
  }
  await inner.close();
  const reader = await b.client.createReader({ topic, startMessageId: after ?? b.MessageId.earliest() });
  return {
    readNext: async (timeout?: number) => {
      known--;
      return reader.readNext(timeout);
    },
    hasNext: () => known > 0,
    isConnected: () => reader.isConnected(),
    close: () => reader.close(),
  };
}

describe("TopicTail", () => {
  it("reads to the topic's current end on every call, even when the reader's hasNext() is stale", async () => {
    const b = embeddedBinding();
    const topic = "tail-test";
    const producer = await b.client.createProducer({ topic });
    const send = (s: string) => producer.send({ data: Buffer.from(s) });
    for (const s of ["a", "b", "c"]) await send(s);

    const open = (after: MessageIdLike | undefined) => snapshotReader(b, topic, after);
    const tail = new TopicTail(await open(undefined), open);
    const seen: string[] = [];
    const collect = () => tail.readToEnd((m) => seen.push(m.getData().toString()));

    await collect();
    expect(seen).toEqual(["a", "b", "c"]);
    // Written after the reader opened: a long-lived reader's hasNext() would not know them.
    for (const s of ["d", "e"]) await send(s);
    await collect();
    expect(seen).toEqual(["a", "b", "c", "d", "e"]); // each once, in order
    await collect();
    expect(seen).toHaveLength(5);
    await send("f");
    await collect();
    expect(seen).toEqual(["a", "b", "c", "d", "e", "f"]);
    await tail.close();
    await b.client.close();
  });
});
