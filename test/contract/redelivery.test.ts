import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PulsarBinding } from "../../lib/transports/pulsar-client-like.js";
import { makeBinding, makeSubscription, makeTopic, transportName } from "./binding.js";
import { tryReceive } from "./helpers.js";

/**
 * Redelivery timings use Pulsar's real-broker limits: the ack timeout cannot be below 1 s, and
 * the negative-ack delay is set to 1 s. Redelivery counts are only tracked by Pulsar on Shared
 * and Key_Shared subscriptions, so these tests use Shared.
 */
let binding: PulsarBinding;
beforeAll(async () => {
  binding = await makeBinding();
});
afterAll(async () => {
  await binding.client.close();
});

describe.concurrent(`contract (${transportName}): redelivery and dead letters`, () => {
  it("redelivers a negatively acknowledged message after the nack delay with its count incremented", async () => {
    const topic = makeTopic("nack");
    const consumer = await binding.client.subscribe({
      topic,
      subscription: makeSubscription("n"),
      subscriptionType: "Shared",
      nAckRedeliverTimeoutMs: 1000,
    });
    const producer = await binding.client.createProducer({ topic });
    const id = await producer.send({ data: Buffer.from("retry-me"), properties: { a: "1" } });
    const first = await consumer.receive(5000);
    expect(first.getRedeliveryCount()).toBe(0);
    const t0 = Date.now();
    consumer.negativeAcknowledge(first);
    const second = await consumer.receive(10_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
    expect(second.getData().toString()).toBe("retry-me");
    expect(second.getProperties()).toEqual({ a: "1" });
    expect(second.getMessageId().toString()).toBe(id.toString());
    expect(second.getRedeliveryCount()).toBe(1);
    await consumer.acknowledge(second);
    expect(await tryReceive(consumer, 1500)).toBeUndefined();
    await producer.close();
    await consumer.close();
  });

  it("redelivers by message id too (negativeAcknowledgeId / acknowledgeId)", async () => {
    const topic = makeTopic("nack-id");
    const consumer = await binding.client.subscribe({
      topic,
      subscription: makeSubscription("ni"),
      subscriptionType: "Shared",
      nAckRedeliverTimeoutMs: 1000,
    });
    const producer = await binding.client.createProducer({ topic });
    await producer.send({ data: Buffer.from("by-id") });
    const first = await consumer.receive(5000);
    consumer.negativeAcknowledgeId(first.getMessageId());
    const second = await consumer.receive(10_000);
    expect(second.getData().toString()).toBe("by-id");
    expect(second.getRedeliveryCount()).toBe(1);
    await consumer.acknowledgeId(second.getMessageId());
    expect(await tryReceive(consumer, 1500)).toBeUndefined();
    await producer.close();
    await consumer.close();
  });

  it("redelivers a message not acknowledged within the ack timeout", async () => {
    const topic = makeTopic("ack-timeout");
    const consumer = await binding.client.subscribe({
      topic,
      subscription: makeSubscription("at"),
      subscriptionType: "Shared",
      ackTimeoutMs: 1000,
    });
    const producer = await binding.client.createProducer({ topic });
    await producer.send({ data: Buffer.from("slow") });
    await producer.send({ data: Buffer.from("fast") });
    const slow = await consumer.receive(5000);
    const fast = await consumer.receive(5000);
    expect(slow.getData().toString()).toBe("slow");
    const t0 = Date.now();
    await consumer.acknowledge(fast);
    const again = await consumer.receive(10_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
    expect(again.getData().toString()).toBe("slow");
    expect(again.getRedeliveryCount()).toBe(1);
    await consumer.acknowledge(again);
    // the acknowledged message is not redelivered
    expect(await tryReceive(consumer, 2500)).toBeUndefined();
    await producer.close();
    await consumer.close();
  });

  it("sends a message to the dead-letter topic after maxRedeliverCount redeliveries, with its properties", async () => {
    const topic = makeTopic("poison");
    const deadLetterTopic = makeTopic("poison-dlq");
    const dlqConsumer = await binding.client.subscribe({
      topic: deadLetterTopic,
      subscription: makeSubscription("dlq"),
      subscriptionInitialPosition: "Earliest",
    });
    const consumer = await binding.client.subscribe({
      topic,
      subscription: makeSubscription("p"),
      subscriptionType: "Shared",
      nAckRedeliverTimeoutMs: 1000,
      deadLetterPolicy: { deadLetterTopic, maxRedeliverCount: 1 },
    });
    const producer = await binding.client.createProducer({ topic });
    const poisonId = await producer.send({
      data: Buffer.from("poison"),
      properties: { origin: "fuzzer" },
      partitionKey: "pk-1",
    });
    await producer.send({ data: Buffer.from("good") });
    const counts: number[] = [];
    let good = 0;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (counts.length < 2 || good < 1)) {
      const m = await tryReceive(consumer, 1000);
      if (m === undefined) continue;
      if (m.getData().toString() === "poison") {
        counts.push(m.getRedeliveryCount());
        consumer.negativeAcknowledge(m);
      } else {
        good++;
        await consumer.acknowledge(m);
      }
    }
    expect(counts).toEqual([0, 1]);
    expect(good).toBe(1);
    const dead = await dlqConsumer.receive(15_000);
    expect(dead.getData().toString()).toBe("poison");
    const props = dead.getProperties();
    expect(props.origin).toBe("fuzzer");
    expect(props.REAL_TOPIC).toBe(topic);
    expect(typeof props.ORIGIN_MESSAGE_ID).toBe("string");
    expect(props.ORIGIN_MESSAGE_ID!.length).toBeGreaterThan(0);
    expect(dead.getPartitionKey()).toBe("pk-1");
    expect(poisonId.toString().length).toBeGreaterThan(0);
    await dlqConsumer.acknowledge(dead);
    // it is not delivered again on the original subscription, and nothing else is dead-lettered
    expect(await tryReceive(consumer, 2000)).toBeUndefined();
    expect(await tryReceive(dlqConsumer, 500)).toBeUndefined();
    await producer.close();
    await consumer.close();
    await dlqConsumer.close();
  });
});
