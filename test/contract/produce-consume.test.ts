import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PulsarBinding } from "../../lib/transports/pulsar-client-like.js";
import { makeBinding, makeSubscription, makeTopic, transportName } from "./binding.js";
import { receiveN, sendN, texts } from "./helpers.js";

let binding: PulsarBinding;
beforeAll(async () => {
  binding = await makeBinding();
});
afterAll(async () => {
  await binding.client.close();
});

describe(`contract (${transportName}): produce and consume`, () => {
  it("round-trips data, properties, partition key, event and publish timestamps, topic and id", async () => {
    const topic = makeTopic("roundtrip");
    const consumer = await binding.client.subscribe({ topic, subscription: makeSubscription("rt") });
    const producer = await binding.client.createProducer({ topic });
    const data = Buffer.from([0, 1, 2, 250, 255, 0x80, 10, 13]);
    const before = Date.now();
    const id = await producer.send({
      data,
      properties: { kind: "signal", "x-ü": "wert" },
      partitionKey: "portfolio-7",
      eventTimestamp: 1_700_000_000_123,
    });
    const after = Date.now();
    const m = await consumer.receive(5000);
    expect(Buffer.compare(m.getData(), data)).toBe(0);
    expect(m.getProperties()).toEqual({ kind: "signal", "x-ü": "wert" });
    expect(m.getPartitionKey()).toBe("portfolio-7");
    expect(m.getEventTimestamp()).toBe(1_700_000_000_123);
    // the broker stamps publish time with its own clock: allow for skew against a real broker
    expect(m.getPublishTimestamp()).toBeGreaterThanOrEqual(before - 5000);
    expect(m.getPublishTimestamp()).toBeLessThanOrEqual(after + 5000);
    expect(m.getTopicName()).toBe(topic);
    expect(m.getMessageId().toString()).toBe(id.toString());
    expect(m.getRedeliveryCount()).toBe(0);
    await consumer.acknowledge(m);
    await producer.close();
    await consumer.close();
  });

  it("reports an unset partition key as empty and an unset event timestamp as 0", async () => {
    const topic = makeTopic("defaults");
    const consumer = await binding.client.subscribe({ topic, subscription: makeSubscription("d") });
    const producer = await binding.client.createProducer({ topic });
    await producer.send({ data: Buffer.from("plain") });
    const m = await consumer.receive(5000);
    expect(m.getPartitionKey()).toBe("");
    expect(m.getEventTimestamp()).toBe(0);
    expect(m.getProperties()).toEqual({});
    await consumer.acknowledge(m);
    await producer.close();
    await consumer.close();
  });

  it("keeps the order of one producer's messages and its producer identity", async () => {
    const topic = makeTopic("order");
    const consumer = await binding.client.subscribe({ topic, subscription: makeSubscription("o") });
    const producer = await binding.client.createProducer({ topic, producerName: `p-${Date.now()}` });
    expect(producer.getTopic()).toBe(topic);
    expect(producer.isConnected()).toBe(true);
    const n = 300;
    const sends = [];
    for (let i = 0; i < n; i++) sends.push(producer.send({ data: Buffer.from(`m-${i}`) }));
    await Promise.all(sends);
    await producer.flush();
    const got = await receiveN(consumer, n);
    expect(texts(got)).toEqual(Array.from({ length: n }, (_, i) => `m-${i}`));
    await producer.close();
    expect(producer.isConnected()).toBe(false);
    await consumer.close();
  });

  it("rejects receive(timeout) when nothing arrives in time", async () => {
    const topic = makeTopic("timeout");
    const consumer = await binding.client.subscribe({ topic, subscription: makeSubscription("t") });
    const t0 = Date.now();
    await expect(consumer.receive(300)).rejects.toThrow();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    // the consumer stays usable after a timeout
    const producer = await binding.client.createProducer({ topic });
    await producer.send({ data: Buffer.from("late") });
    const m = await consumer.receive(5000);
    expect(m.getData().toString()).toBe("late");
    await consumer.acknowledge(m);
    await producer.close();
    await consumer.close();
  });

  it("loses nothing under concurrent producers and keeps each producer's order", async () => {
    const topic = makeTopic("concurrent");
    const consumer = await binding.client.subscribe({ topic, subscription: makeSubscription("c") });
    const producers = await Promise.all(
      [0, 1, 2, 3].map((i) => binding.client.createProducer({ topic, producerName: `cp-${i}-${Date.now()}` })),
    );
    const perProducer = 250;
    await Promise.all(
      producers.map(async (p, pi) => {
        for (let i = 0; i < perProducer; i += 25) {
          const batch = [];
          for (let j = i; j < i + 25; j++) {
            batch.push(p.send({ data: Buffer.from(`${pi}:${j}`), properties: { producer: String(pi) } }));
          }
          await Promise.all(batch);
        }
      }),
    );
    const got = await receiveN(consumer, producers.length * perProducer);
    const seen = new Set(texts(got));
    expect(seen.size).toBe(producers.length * perProducer);
    for (let pi = 0; pi < producers.length; pi++) {
      const mine = texts(got)
        .filter((t) => t.startsWith(`${pi}:`))
        .map((t) => Number(t.split(":")[1]));
      expect(mine).toEqual(Array.from({ length: perProducer }, (_, j) => j));
    }
    await Promise.all(producers.map((p) => p.close()));
    await consumer.close();
  });

  it("identifies messages by the ids send returns; ids are distinct and survive serialize/deserialize", async () => {
    const topic = makeTopic("ids");
    const consumer = await binding.client.subscribe({ topic, subscription: makeSubscription("i") });
    const producer = await binding.client.createProducer({ topic });
    const ids = await sendN(producer, 5, "x");
    const got = await receiveN(consumer, 5);
    expect(got.map((m) => m.getMessageId().toString())).toEqual(ids);
    expect(new Set(ids).size).toBe(5);
    for (const m of got) {
      const id = m.getMessageId();
      expect(binding.MessageId.deserialize(id.serialize()).toString()).toBe(id.toString());
    }
    await producer.close();
    await consumer.close();
  });
});
