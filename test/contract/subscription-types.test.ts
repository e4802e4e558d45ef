import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessageLike, PulsarBinding } from "../../lib/transports/pulsar-client-like.js";
import { makeBinding, makeSubscription, makeTopic, transportName } from "./binding.js";
import { receiveFromAll, receiveN, sendN, texts, tryReceive } from "./helpers.js";

let binding: PulsarBinding;
beforeAll(async () => {
  binding = await makeBinding();
});
afterAll(async () => {
  await binding.client.close();
});

describe(`contract (${transportName}): subscription types`, () => {
  it("Exclusive: a second consumer on the subscription is rejected", async () => {
    const topic = makeTopic("exclusive");
    const subscription = makeSubscription("ex");
    const first = await binding.client.subscribe({ topic, subscription, subscriptionType: "Exclusive" });
    await expect(binding.client.subscribe({ topic, subscription, subscriptionType: "Exclusive" })).rejects.toThrow();
    // the first consumer is unaffected
    const producer = await binding.client.createProducer({ topic });
    await producer.send({ data: Buffer.from("only") });
    const m = await first.receive(5000);
    expect(m.getData().toString()).toBe("only");
    await first.acknowledge(m);
    // once it is closed, the subscription accepts a new exclusive consumer
    await first.close();
    const second = await binding.client.subscribe({ topic, subscription, subscriptionType: "Exclusive" });
    expect(second.isConnected()).toBe(true);
    await second.close();
    await producer.close();
  });

  it("Shared: messages are spread over the consumers, each delivered to exactly one", async () => {
    const topic = makeTopic("shared");
    const subscription = makeSubscription("sh");
    const consumers = await Promise.all(
      [0, 1].map(() =>
        binding.client.subscribe({ topic, subscription, subscriptionType: "Shared", receiverQueueSize: 10 }),
      ),
    );
    const producer = await binding.client.createProducer({ topic });
    const n = 200;
    const sending = sendN(producer, n, "s");
    const got = await receiveFromAll(consumers, n);
    await sending;
    expect(got[0]!.length).toBeGreaterThan(0);
    expect(got[1]!.length).toBeGreaterThan(0);
    const all = [...texts(got[0]!), ...texts(got[1]!)];
    expect(new Set(all).size).toBe(n);
    await producer.close();
    await Promise.all(consumers.map((c) => c.close()));
  });

  it("Failover: only the active consumer receives; when it closes the next takes over with its unacked messages", async () => {
    const topic = makeTopic("failover");
    const subscription = makeSubscription("fo");
    // which consumer the broker makes active is its choice (Pulsar hashes the topic onto the
    // consumers of a non-partitioned topic), so the test finds out from who gets messages
    const consumers = [
      await binding.client.subscribe({ topic, subscription, subscriptionType: "Failover", consumerName: "fo-a" }),
      await binding.client.subscribe({ topic, subscription, subscriptionType: "Failover", consumerName: "fo-b" }),
    ];
    const producer = await binding.client.createProducer({ topic });
    await sendN(producer, 10, "f");
    const heads = await Promise.all(consumers.map((c) => tryReceive(c, 1500)));
    expect(heads.filter((m) => m !== undefined).length).toBe(1);
    const activeIndex = heads.findIndex((m) => m !== undefined);
    const active = consumers[activeIndex]!;
    const standby = consumers[1 - activeIndex]!;
    const firstFive = [heads[activeIndex]!, ...(await receiveN(active, 4, { ack: false }))];
    expect(texts(firstFive)).toEqual(["f-0", "f-1", "f-2", "f-3", "f-4"]);
    for (const m of firstFive.slice(0, 3)) await active.acknowledge(m);
    expect(await tryReceive(standby, 500)).toBeUndefined();
    await active.close();
    const rest = await receiveN(standby, 7);
    expect(texts(rest)).toEqual(["f-3", "f-4", "f-5", "f-6", "f-7", "f-8", "f-9"]);
    expect(await tryReceive(standby, 300)).toBeUndefined();
    await producer.close();
    await standby.close();
  });

  it("KeyShared: each key goes to exactly one consumer, keys are spread, per-key order is kept", async () => {
    const topic = makeTopic("keyshared");
    const subscription = makeSubscription("ks");
    const consumers = await Promise.all(
      [0, 1].map(() => binding.client.subscribe({ topic, subscription, subscriptionType: "KeyShared" })),
    );
    const producer = await binding.client.createProducer({ topic });
    const keys = 24;
    const perKey = 10;
    const sends = [];
    for (let i = 0; i < perKey; i++) {
      for (let k = 0; k < keys; k++) {
        sends.push(producer.send({ data: Buffer.from(`k${k}:${i}`), partitionKey: `key-${k}` }));
      }
    }
    await Promise.all(sends);
    const got = await receiveFromAll(consumers, keys * perKey);
    const owner = new Map<string, number>();
    got.forEach((ms, ci) => {
      const lastSeq = new Map<string, number>();
      for (const m of ms) {
        const key = m.getPartitionKey();
        expect(owner.get(key) ?? ci).toBe(ci);
        owner.set(key, ci);
        const seq = Number(m.getData().toString().split(":")[1]);
        expect(seq).toBe((lastSeq.get(key) ?? -1) + 1);
        lastSeq.set(key, seq);
      }
    });
    expect(owner.size).toBe(keys);
    const perConsumer = [0, 1].map((ci) => [...owner.values()].filter((o) => o === ci).length);
    expect(perConsumer[0]).toBeGreaterThan(0);
    expect(perConsumer[1]).toBeGreaterThan(0);
    await producer.close();
    await Promise.all(consumers.map((c) => c.close()));
  });

  it("KeyShared: when a consumer leaves, its keys and unacked messages move to the remaining one", async () => {
    const topic = makeTopic("keyshared-leave");
    const subscription = makeSubscription("ksl");
    const stay = await binding.client.subscribe({ topic, subscription, subscriptionType: "KeyShared" });
    const leave = await binding.client.subscribe({ topic, subscription, subscriptionType: "KeyShared" });
    const producer = await binding.client.createProducer({ topic });
    const keys = 16;
    for (let k = 0; k < keys; k++) await producer.send({ data: Buffer.from(`a${k}`), partitionKey: `key-${k}` });
    // the leaving consumer takes what it gets without acknowledging, then closes
    const held: MessageLike[] = [];
    for (let m = await tryReceive(leave, 500); m !== undefined; m = await tryReceive(leave, 300)) held.push(m);
    const stayFirst: MessageLike[] = [];
    for (let m = await tryReceive(stay, 500); m !== undefined; m = await tryReceive(stay, 300)) {
      stayFirst.push(m);
      await stay.acknowledge(m);
    }
    expect(held.length + stayFirst.length).toBe(keys);
    await leave.close();
    for (let k = 0; k < keys; k++) await producer.send({ data: Buffer.from(`b${k}`), partitionKey: `key-${k}` });
    const after = await receiveN(stay, held.length + keys);
    const afterTexts = texts(after);
    // every message the leaver held is redelivered, and every new message arrives, exactly once
    expect(new Set(afterTexts)).toEqual(new Set([...texts(held), ...Array.from({ length: keys }, (_, k) => `b${k}`)]));
    expect(afterTexts.length).toBe(held.length + keys);
    // per key, the redelivered a-message comes before the new b-message
    for (const m of held) {
      const k = m.getPartitionKey().split("-")[1];
      expect(afterTexts.indexOf(`a${k}`)).toBeLessThan(afterTexts.indexOf(`b${k}`));
    }
    await producer.close();
    await stay.close();
  });
});
