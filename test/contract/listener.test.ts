import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConsumerLike, MessageLike, PulsarBinding } from "../../lib/transports/pulsar-client-like.js";
import { waitUntil } from "../fixtures/wait-until.js";
import { makeBinding, makeSubscription, makeTopic, transportName } from "./binding.js";

/**
 * pulsar-client's `listener` option: messages are pushed to a callback instead of being taken
 * with `receive()`. The callback acknowledges; one that throws leaves its message unacknowledged.
 */
let binding: PulsarBinding;
beforeAll(async () => {
  binding = await makeBinding();
});
afterAll(async () => {
  await binding.client.close();
});

describe.concurrent(`contract (${transportName}): message listener`, () => {
  it("hands every message to the listener in order, beyond the receiver queue size; receive() is refused", async () => {
    const topic = makeTopic("listener");
    const seen: string[] = [];
    let inSend = false;
    let calledInsideSend = false;
    const consumer = await binding.client.subscribe({
      topic,
      subscription: makeSubscription("l"),
      receiverQueueSize: 4,
      listener: (m: MessageLike, c: ConsumerLike) => {
        if (inSend) calledInsideSend = true;
        seen.push(m.getData().toString());
        void c.acknowledge(m);
      },
    });
    const producer = await binding.client.createProducer({ topic });
    const n = 50;
    for (let i = 0; i < n; i++) {
      inSend = true;
      const sent = producer.send({ data: Buffer.from(String(i)) });
      inSend = false;
      await sent;
    }
    await waitUntil(() => seen.length >= n, 10_000, `${n} messages`);
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    expect(calledInsideSend).toBe(false);
    await expect(consumer.receive(100)).rejects.toThrow(/listener/);
    await producer.close();
    await consumer.close();
  });

  it("a listener that throws leaves the message unacknowledged: it comes back after the ack timeout", async () => {
    const topic = makeTopic("listener-throws");
    const seen: { data: string; redelivery: number }[] = [];
    let failed = false;
    const consumer = await binding.client.subscribe({
      topic,
      subscription: makeSubscription("lt"),
      subscriptionType: "Shared",
      ackTimeoutMs: 1000,
      listener: (m: MessageLike, c: ConsumerLike) => {
        const data = m.getData().toString();
        seen.push({ data, redelivery: m.getRedeliveryCount() });
        if (data === "bad" && !failed) {
          failed = true;
          throw new Error("listener failed");
        }
        void c.acknowledge(m);
      },
    });
    const producer = await binding.client.createProducer({ topic });
    await producer.send({ data: Buffer.from("bad") });
    await producer.send({ data: Buffer.from("good") });
    const t0 = Date.now();
    await waitUntil(() => seen.length >= 3, 10_000, "the redelivery");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
    expect(seen).toEqual([
      { data: "bad", redelivery: 0 },
      { data: "good", redelivery: 0 },
      { data: "bad", redelivery: 1 },
    ]);
    // acknowledged now: nothing further arrives
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen).toHaveLength(3);
    await producer.close();
    await consumer.close();
  });
});
