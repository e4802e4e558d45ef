import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessageLike } from "../../lib/transports/pulsar-client-like.js";
import {
  type WebSocketConsumer,
  WebSocketMessageId,
  type WebSocketPulsarClient,
  websocketBinding,
} from "../../lib/transports/websocket/index.js";

// The WebSocket-API client against a real Apache Pulsar broker (test/pulsar/start-broker.sh).
const serviceUrl = process.env["PULSAR_WS_URL"] ?? "ws://127.0.0.1:8080";

let client: WebSocketPulsarClient;
beforeAll(() => {
  client = websocketBinding({ serviceUrl }).client;
});
afterAll(async () => {
  await client.close();
});

const topicName = (label: string) => `persistent://public/default/ws-${label}-${randomUUID().slice(0, 8)}`;
const text = (m: MessageLike) => m.getData().toString();

async function receiveAll(consumer: WebSocketConsumer, n: number, timeoutMs = 10_000): Promise<MessageLike[]> {
  const out: MessageLike[] = [];
  for (let i = 0; i < n; i++) {
    const m = await consumer.receive(timeoutMs);
    out.push(m);
    await consumer.acknowledge(m);
  }
  return out;
}

/** Receives (and acks) until `quietMs` pass without a message. */
async function drain(consumer: WebSocketConsumer, quietMs: number): Promise<MessageLike[]> {
  const out: MessageLike[] = [];
  for (;;) {
    try {
      const m = await consumer.receive(quietMs);
      out.push(m);
      await consumer.acknowledge(m);
    } catch (err) {
      if ((err as Error).message.includes("TimeOut")) return out;
      throw err;
    }
  }
}

describe("WebSocket client on a real broker", () => {
  it("round-trips data, properties, key and event time; ids grow; topic name is the full name", async () => {
    const topic = topicName("roundtrip");
    const consumer = await client.subscribe({ topic, subscription: "s", subscriptionType: "Exclusive" });
    const producer = await client.createProducer({ topic });
    expect(producer.getTopic()).toBe(topic);
    expect(producer.isConnected()).toBe(true);
    const sent = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        producer.send({
          data: Buffer.from(`m${i}`),
          properties: { i: String(i) },
          partitionKey: `k${i % 3}`,
          eventTimestamp: 1_700_000_000_000 + i,
        }),
      ),
    );
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.compareTo(sent[i - 1]!)).toBe(1);
    const got = await receiveAll(consumer, 20);
    expect(got.map(text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    got.forEach((m, i) => {
      expect(m.getProperties()).toEqual({ i: String(i) });
      expect(m.getPartitionKey()).toBe(`k${i % 3}`);
      expect(m.getEventTimestamp()).toBe(1_700_000_000_000 + i);
      expect(m.getPublishTimestamp()).toBeGreaterThan(1_700_000_000_000);
      expect(m.getRedeliveryCount()).toBe(0);
      expect(m.getTopicName()).toBe(topic);
      expect((m.getMessageId() as WebSocketMessageId).equals(sent[i]!)).toBe(true);
    });
    await producer.close();
    await consumer.close();
    expect(consumer.isConnected()).toBe(false);
    await expect(consumer.receive(10)).rejects.toThrow(/AlreadyClosed/);
  });

  it("refuses a second consumer on an Exclusive subscription with ConsumerBusy", async () => {
    const topic = topicName("exclusive");
    const first = await client.subscribe({ topic, subscription: "s", subscriptionType: "Exclusive" });
    await expect(client.subscribe({ topic, subscription: "s", subscriptionType: "Exclusive" })).rejects.toThrow(
      /ConsumerBusy/,
    );
    await first.close();
  });

  it("splits a Shared subscription between two consumers, each message once", async () => {
    const topic = topicName("shared");
    const a = await client.subscribe({ topic, subscription: "s", subscriptionType: "Shared", receiverQueueSize: 10 });
    const b = await client.subscribe({ topic, subscription: "s", subscriptionType: "Shared", receiverQueueSize: 10 });
    const producer = await client.createProducer({ topic });
    await Promise.all(Array.from({ length: 200 }, (_, i) => producer.send({ data: Buffer.from(`m${i}`) })));
    const [ga, gb] = await Promise.all([drain(a, 1500), drain(b, 1500)]);
    const all = [...ga, ...gb].map(text).sort();
    expect(all).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`).sort());
    expect(ga.length).toBeGreaterThan(0);
    expect(gb.length).toBeGreaterThan(0);
    await Promise.all([a.close(), b.close(), producer.close()]);
  });

  it("gives a Failover subscription's messages to one active consumer", async () => {
    const topic = topicName("failover");
    const a = await client.subscribe({ topic, subscription: "s", subscriptionType: "Failover", consumerName: "a" });
    const b = await client.subscribe({ topic, subscription: "s", subscriptionType: "Failover", consumerName: "b" });
    const producer = await client.createProducer({ topic });
    await Promise.all(Array.from({ length: 30 }, (_, i) => producer.send({ data: Buffer.from(`m${i}`) })));
    const [ga, gb] = await Promise.all([drain(a, 1500), drain(b, 1500)]);
    const active = ga.length > 0 ? ga : gb;
    expect(Math.min(ga.length, gb.length)).toBe(0);
    expect(active.map(text)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    await Promise.all([a.close(), b.close(), producer.close()]);
  });

  it("gives each key of a KeyShared subscription to exactly one consumer, in order", async () => {
    const topic = topicName("keyshared");
    const cfg = { topic, subscription: "s", subscriptionType: "KeyShared" as const, receiverQueueSize: 50 };
    const a = await client.subscribe(cfg);
    const b = await client.subscribe(cfg);
    const producer = await client.createProducer({ topic });
    const keys = Array.from({ length: 16 }, (_, i) => `key-${i}`);
    await Promise.all(
      Array.from({ length: 320 }, (_, i) =>
        producer.send({ data: Buffer.from(String(i)), partitionKey: keys[i % keys.length]! }),
      ),
    );
    const [ga, gb] = await Promise.all([drain(a, 1500), drain(b, 1500)]);
    expect(ga.length + gb.length).toBe(320);
    const keysA = new Set(ga.map((m) => m.getPartitionKey()));
    const keysB = new Set(gb.map((m) => m.getPartitionKey()));
    expect([...keysA].filter((k) => keysB.has(k))).toEqual([]);
    expect(keysA.size).toBeGreaterThan(0);
    expect(keysB.size).toBeGreaterThan(0);
    for (const got of [ga, gb]) {
      for (const key of keys) {
        const seq = got.filter((m) => m.getPartitionKey() === key).map((m) => Number(text(m)));
        expect(seq).toEqual([...seq].sort((x, y) => x - y));
      }
    }
    await Promise.all([a.close(), b.close(), producer.close()]);
  });

  it("redelivers a negatively acknowledged message after the nack delay with a higher redelivery count", async () => {
    const topic = topicName("nack");
    const consumer = await client.subscribe({
      topic,
      subscription: "s",
      subscriptionType: "Shared",
      nAckRedeliverTimeoutMs: 200,
    });
    const producer = await client.createProducer({ topic });
    await producer.send({ data: Buffer.from("once more") });
    const first = await consumer.receive(10_000);
    consumer.negativeAcknowledge(first);
    const again = await consumer.receive(10_000);
    expect(text(again)).toBe("once more");
    expect(again.getRedeliveryCount()).toBe(1);
    expect((again.getMessageId() as WebSocketMessageId).equals(first.getMessageId())).toBe(true);
    await consumer.acknowledge(again);
    await expect(consumer.receive(800)).rejects.toThrow(/TimeOut/);
    await Promise.all([consumer.close(), producer.close()]);
  });

  it("redelivers an unacknowledged message after the ack timeout", async () => {
    const topic = topicName("acktimeout");
    const consumer = await client.subscribe({
      topic,
      subscription: "s",
      subscriptionType: "Shared",
      ackTimeoutMs: 1000,
    });
    const producer = await client.createProducer({ topic });
    await producer.send({ data: Buffer.from("forgotten") });
    const first = await consumer.receive(10_000);
    expect(first.getRedeliveryCount()).toBe(0);
    const again = await consumer.receive(10_000);
    expect(text(again)).toBe("forgotten");
    expect(again.getRedeliveryCount()).toBeGreaterThanOrEqual(1);
    await consumer.acknowledge(again);
    await Promise.all([consumer.close(), producer.close()]);
  });

  it("moves a message to the dead-letter topic after maxRedeliverCount redeliveries", async () => {
    const topic = topicName("poison");
    const dlq = `${topic}-DLQ`;
    const consumer = await client.subscribe({
      topic,
      subscription: "s",
      subscriptionType: "Shared",
      nAckRedeliverTimeoutMs: 100,
      deadLetterPolicy: { deadLetterTopic: dlq, maxRedeliverCount: 2, initialSubscriptionName: "dlq-sub" },
    });
    const producer = await client.createProducer({ topic });
    await producer.send({ data: Buffer.from("poison"), properties: { origin: "test" } });
    await producer.send({ data: Buffer.from("fine") });
    const counts: number[] = [];
    let fine = 0;
    for (;;) {
      let m: MessageLike;
      try {
        m = await consumer.receive(3000);
      } catch {
        break;
      }
      if (text(m) === "fine") {
        fine++;
        await consumer.acknowledge(m);
      } else {
        counts.push(m.getRedeliveryCount());
        consumer.negativeAcknowledge(m);
      }
    }
    expect(fine).toBe(1);
    expect(counts).toEqual([0, 1, 2]);
    const dead = await client.subscribe({ topic: dlq, subscription: "dlq-sub", subscriptionType: "Shared" });
    const [d] = await receiveAll(dead, 1);
    expect(text(d!)).toBe("poison");
    expect(d!.getProperties()["origin"]).toBe("test");
    await expect(dead.receive(800)).rejects.toThrow(/TimeOut/);
    await Promise.all([consumer.close(), dead.close(), producer.close()]);
  });

  it("reads from earliest, latest and after a given message id", async () => {
    const topic = topicName("reader");
    const producer = await client.createProducer({ topic });
    const onEmpty = await client.createReader({ topic, startMessageId: WebSocketMessageId.earliest() });
    expect(onEmpty.hasNext()).toBe(false);
    await onEmpty.close();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await producer.send({ data: Buffer.from(`m${i}`) }));
    const fromStart = await client.createReader({ topic, startMessageId: WebSocketMessageId.earliest() });
    const afterSecond = await client.createReader({ topic, startMessageId: ids[1]! });
    const fromLatest = await client.createReader({ topic, startMessageId: WebSocketMessageId.latest() });
    const read = async (r: typeof fromStart, n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(text(await r.readNext(10_000)));
      return out;
    };
    expect(fromStart.hasNext()).toBe(true);
    expect(afterSecond.hasNext()).toBe(true);
    expect(fromLatest.hasNext()).toBe(false);
    expect(await read(fromStart, 5)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(fromStart.hasNext()).toBe(false);
    expect(await read(afterSecond, 3)).toEqual(["m2", "m3", "m4"]);
    expect(afterSecond.hasNext()).toBe(false);
    await expect(fromLatest.readNext(500)).rejects.toThrow(/TimeOut/);
    await producer.send({ data: Buffer.from("m5") });
    expect(await read(fromLatest, 1)).toEqual(["m5"]);
    // A deserialized id works as a start position too.
    const reopened = await client.createReader({
      topic,
      startMessageId: WebSocketMessageId.deserialize(ids[3]!.serialize()),
    });
    expect(await read(reopened, 2)).toEqual(["m4", "m5"]);
    await Promise.all([fromStart.close(), afterSecond.close(), fromLatest.close(), reopened.close(), producer.close()]);
  });

  it("keeps delivering past the receiver queue while earlier messages stay unacknowledged", async () => {
    const topic = topicName("unacked");
    const consumer = await client.subscribe({
      topic,
      subscription: "s",
      subscriptionType: "Shared",
      receiverQueueSize: 5,
    });
    const producer = await client.createProducer({ topic });
    await Promise.all(Array.from({ length: 40 }, (_, i) => producer.send({ data: Buffer.from(`m${i}`) })));
    const got: MessageLike[] = [];
    for (let i = 0; i < 40; i++) got.push(await consumer.receive(10_000));
    expect(got.map(text)).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
    await Promise.all(got.map((m) => consumer.acknowledge(m)));
    await Promise.all([consumer.close(), producer.close()]);
  });

  it("caps in-flight sends: rejects with ProducerQueueIsFull, or waits with blockIfQueueFull", async () => {
    const topic = topicName("queuefull");
    const strict = await client.createProducer({ topic, maxPendingMessages: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => strict.send({ data: Buffer.from(`m${i}`) })),
    );
    expect(results.filter((r) => r.status === "fulfilled").length).toBe(5);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(rejected.length).toBe(3);
    for (const r of rejected) expect(String(r.reason)).toMatch(/ProducerQueueIsFull/);
    const patient = await client.createProducer({ topic, maxPendingMessages: 5, blockIfQueueFull: true });
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => patient.send({ data: Buffer.from(`p${i}`) })));
    expect(new Set(ids.map(String)).size).toBe(50);
    await Promise.all([strict.close(), patient.close()]);
  });

  it("survives dropped connections: producer resends in-flight messages, consumer resumes, nothing is lost", async () => {
    const topic = topicName("reconnect");
    const consumer = await client.subscribe({ topic, subscription: "s", subscriptionType: "Shared" });
    const producer = await client.createProducer({ topic });
    const sends = Array.from({ length: 100 }, (_, i) => producer.send({ data: Buffer.from(`m${i}`) }));
    producer.simulateNetworkFailure();
    await Promise.all(sends);
    const seen = new Set<string>();
    for (let i = 0; seen.size < 100; i++) {
      if (i === 30) consumer.simulateNetworkFailure();
      const m = await consumer.receive(15_000);
      seen.add(text(m));
      await consumer.acknowledge(m);
    }
    expect(seen.size).toBe(100);
    const deadline = Date.now() + 10_000;
    while (!(consumer.isConnected() && producer.isConnected()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(consumer.isConnected()).toBe(true);
    expect(producer.isConnected()).toBe(true);
    await Promise.all([consumer.close(), producer.close()]);
  });

  it("a reader resumes after the last message it handed out when its connection drops", async () => {
    const topic = topicName("reader-reconnect");
    const producer = await client.createProducer({ topic });
    await Promise.all(Array.from({ length: 50 }, (_, i) => producer.send({ data: Buffer.from(`m${i}`) })));
    const reader = await client.createReader({ topic, startMessageId: WebSocketMessageId.earliest() });
    const got: string[] = [];
    for (let i = 0; i < 50; i++) {
      if (i === 20) reader.simulateNetworkFailure();
      got.push(text(await reader.readNext(15_000)));
    }
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    await Promise.all([reader.close(), producer.close()]);
  });

  it("consumes several topics in one consumer; acks reach each message's topic; a dropped session loses nothing", async () => {
    const topics = [topicName("multi-a"), topicName("multi-b")];
    const sub = { topics, subscription: "s", subscriptionType: "Shared" as const, nAckRedeliverTimeoutMs: 200 };
    const consumer = await client.subscribe(sub);
    const producers = await Promise.all(topics.map((topic) => client.createProducer({ topic })));
    await Promise.all(
      producers.flatMap((p, t) => Array.from({ length: 30 }, (_, i) => p.send({ data: Buffer.from(`${t}:${i}`) }))),
    );
    const seen = new Map<string, string>();
    for (let i = 0; seen.size < 60; i++) {
      if (i === 10) consumer.simulateNetworkFailure();
      const m = await consumer.receive(15_000);
      seen.set(text(m), m.getTopicName());
      await consumer.acknowledge(m);
    }
    for (const [body, topic] of seen) expect(topic).toBe(topics[Number(body.split(":")[0])]);
    await consumer.close();
    // Everything was acknowledged on its own topic: a new consumer on the subscription gets nothing.
    const again = await client.subscribe(sub);
    await expect(again.receive(1500)).rejects.toThrow(/TimeOut/);
    await Promise.all([again.close(), ...producers.map((p) => p.close())]);
  });

  it("flush waits for every in-flight send", async () => {
    const topic = topicName("flush");
    const producer = await client.createProducer({ topic });
    let done = 0;
    for (let i = 0; i < 100; i++) void producer.send({ data: Buffer.from(`m${i}`) }).then(() => done++);
    await producer.flush();
    expect(done).toBe(100);
    await producer.close();
  });
});
