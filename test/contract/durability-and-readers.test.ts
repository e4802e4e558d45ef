import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PulsarBinding } from "../../lib/transports/pulsar-client-like.js";
import { makeBinding, makeSubscription, makeTopic, transportName } from "./binding.js";
import { receiveN, sendN, texts, tryReceive } from "./helpers.js";

let binding: PulsarBinding;
beforeAll(async () => {
  binding = await makeBinding();
});
afterAll(async () => {
  await binding.client.close();
});

describe(`contract (${transportName}): durable subscriptions`, () => {
  it("a new consumer on an existing subscription resumes from what is unacknowledged", async () => {
    const topic = makeTopic("durable");
    const subscription = makeSubscription("du");
    const first = await binding.client.subscribe({ topic, subscription });
    const producer = await binding.client.createProducer({ topic });
    await sendN(producer, 10, "d");
    const got = await receiveN(first, 5, { ack: false });
    for (const m of got.slice(0, 3)) await first.acknowledge(m);
    await first.close();
    await sendN(producer, 2, "late");
    const second = await binding.client.subscribe({ topic, subscription });
    const rest = await receiveN(second, 9);
    expect(texts(rest)).toEqual(["d-3", "d-4", "d-5", "d-6", "d-7", "d-8", "d-9", "late-0", "late-1"]);
    expect(await tryReceive(second, 300)).toBeUndefined();
    await producer.close();
    await second.close();
  });

  it("a new subscription starts at the end (Latest, the default) or at the beginning (Earliest)", async () => {
    const topic = makeTopic("initial-position");
    const producer = await binding.client.createProducer({ topic });
    // keep the topic's messages: an existing subscription that does not acknowledge
    const keeper = await binding.client.subscribe({
      topic,
      subscription: makeSubscription("keep"),
      subscriptionInitialPosition: "Earliest",
    });
    await sendN(producer, 3, "old");
    const latest = await binding.client.subscribe({ topic, subscription: makeSubscription("latest") });
    const earliest = await binding.client.subscribe({
      topic,
      subscription: makeSubscription("earliest"),
      subscriptionInitialPosition: "Earliest",
    });
    await sendN(producer, 2, "new");
    expect(texts(await receiveN(latest, 2))).toEqual(["new-0", "new-1"]);
    expect(await tryReceive(latest, 300)).toBeUndefined();
    expect(texts(await receiveN(earliest, 5))).toEqual(["old-0", "old-1", "old-2", "new-0", "new-1"]);
    await Promise.all([producer.close(), keeper.close(), latest.close(), earliest.close()]);
  });
});

describe(`contract (${transportName}): readers`, () => {
  it("reads from earliest, from latest, and from after a given message id", async () => {
    const topic = makeTopic("reader");
    const producer = await binding.client.createProducer({ topic });
    // a subscription that never acknowledges keeps the messages stored
    const keeper = await binding.client.subscribe({
      topic,
      subscription: makeSubscription("keep"),
      subscriptionInitialPosition: "Earliest",
    });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await producer.send({ data: Buffer.from(`r-${i}`) }));

    const fromEarliest = await binding.client.createReader({ topic, startMessageId: binding.MessageId.earliest() });
    const all = [];
    for (let i = 0; i < 5; i++) all.push(await fromEarliest.readNext(5000));
    expect(texts(all)).toEqual(["r-0", "r-1", "r-2", "r-3", "r-4"]);
    expect(all.map((m) => m.getMessageId().toString())).toEqual(ids.map((id) => id.toString()));
    expect(fromEarliest.hasNext()).toBe(false);
    await expect(fromEarliest.readNext(300)).rejects.toThrow();

    const fromId = await binding.client.createReader({
      topic,
      startMessageId: binding.MessageId.deserialize(ids[1]!.serialize()),
    });
    expect(fromId.hasNext()).toBe(true);
    const afterId = [];
    for (let i = 0; i < 3; i++) afterId.push(await fromId.readNext(5000));
    expect(texts(afterId)).toEqual(["r-2", "r-3", "r-4"]);

    const fromLatest = await binding.client.createReader({ topic, startMessageId: binding.MessageId.latest() });
    expect(fromLatest.isConnected()).toBe(true);
    await expect(fromLatest.readNext(300)).rejects.toThrow();
    await producer.send({ data: Buffer.from("r-5") });
    expect((await fromLatest.readNext(5000)).getData().toString()).toBe("r-5");
    expect((await fromEarliest.readNext(5000)).getData().toString()).toBe("r-5");
    expect((await fromId.readNext(5000)).getData().toString()).toBe("r-5");

    await Promise.all([fromEarliest.close(), fromId.close(), fromLatest.close(), producer.close(), keeper.close()]);
    expect(fromLatest.isConnected()).toBe(false);
  });

  it("a pending readNext resolves when a message is published", async () => {
    const topic = makeTopic("reader-wait");
    const producer = await binding.client.createProducer({ topic });
    const reader = await binding.client.createReader({ topic, startMessageId: binding.MessageId.latest() });
    const pending = reader.readNext(5000);
    await producer.send({ data: Buffer.from("arrives") });
    expect((await pending).getData().toString()).toBe("arrives");
    await Promise.all([reader.close(), producer.close()]);
  });
});
