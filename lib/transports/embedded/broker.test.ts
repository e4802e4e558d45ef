import fc from "fast-check";
import { VirtualAction, VirtualTimeScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import type { ConsumerLike, MessageLike } from "../pulsar-client-like.js";
import { EmbeddedBroker, ORIGIN_MESSAGE_ID, REAL_TOPIC } from "./broker.js";

/** A broker on virtual time plus helpers to move the clock and let promises settle. */
function virtual(options: { retention?: "all" | "unacknowledged" } = {}) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY);
  const broker = new EmbeddedBroker({ scheduler, ...options });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  };
  const advanceTo = async (t: number): Promise<void> => {
    scheduler.schedule(() => {}, t - scheduler.now());
    scheduler.maxFrames = t;
    scheduler.flush();
    await settle();
  };
  return { scheduler, broker, client: broker.binding().client, settle, advanceTo };
}

/** Starts a receive and exposes its state without awaiting it. */
function pending(c: ConsumerLike, timeout?: number) {
  const state: { msg?: MessageLike; error?: Error } = {};
  c.receive(timeout).then(
    (m) => {
      state.msg = m;
    },
    (e: Error) => {
      state.error = e;
    },
  );
  return state;
}

describe("EmbeddedBroker on virtual time", () => {
  it("stamps publish time from the scheduler and leaves event time as given", async () => {
    const v = virtual();
    await v.advanceTo(12_345);
    const c = await v.client.subscribe({ topic: "t", subscription: "s" });
    const p = await v.client.createProducer({ topic: "t" });
    await p.send({ data: Buffer.from("x"), eventTimestamp: 7 });
    const m = await c.receive();
    expect(m.getPublishTimestamp()).toBe(12_345);
    expect(m.getEventTimestamp()).toBe(7);
  });

  it("copies the producer's buffer, so reusing it does not change sent messages", async () => {
    const v = virtual();
    const c = await v.client.subscribe({ topic: "t", subscription: "s" });
    const p = await v.client.createProducer({ topic: "t" });
    const buf = Buffer.from("aaaa");
    await p.send({ data: buf });
    buf.write("bbbb");
    await p.send({ data: buf });
    expect((await c.receive()).getData().toString()).toBe("aaaa");
    expect((await c.receive()).getData().toString()).toBe("bbbb");
  });

  it("rejects receive(timeout) exactly when the virtual timeout elapses", async () => {
    const v = virtual();
    const c = await v.client.subscribe({ topic: "t", subscription: "s" });
    const r = pending(c, 500);
    await v.advanceTo(499);
    expect(r.error).toBeUndefined();
    await v.advanceTo(500);
    expect(r.error?.message).toMatch(/TimeOut/);
    // a message arriving before the timeout cancels it
    const r2 = pending(c, 500);
    const p = await v.client.createProducer({ topic: "t" });
    await p.send({ data: Buffer.from("in time") });
    await v.advanceTo(2000);
    expect(r2.msg?.getData().toString()).toBe("in time");
    expect(r2.error).toBeUndefined();
  });

  it("redelivers on ack timeout at exactly ackTimeoutMs after receive, counting on Shared", async () => {
    const v = virtual();
    const c = await v.client.subscribe({
      topic: "t",
      subscription: "s",
      subscriptionType: "Shared",
      ackTimeoutMs: 1000,
    });
    const p = await v.client.createProducer({ topic: "t" });
    await p.send({ data: Buffer.from("a") });
    await v.advanceTo(100);
    const first = await c.receive();
    const again = pending(c);
    await v.advanceTo(1099);
    expect(again.msg).toBeUndefined();
    await v.advanceTo(1100);
    expect(again.msg?.getData().toString()).toBe("a");
    expect(again.msg?.getRedeliveryCount()).toBe(1);
    expect(first.getRedeliveryCount()).toBe(0);
    await c.acknowledge(again.msg!);
    const none = pending(c);
    await v.advanceTo(10_000);
    expect(none.msg).toBeUndefined();
  });

  it("rejects ack timeouts below Pulsar's 1 s minimum", async () => {
    const v = virtual();
    await expect(v.client.subscribe({ topic: "t", subscription: "s", ackTimeoutMs: 999 })).rejects.toThrow(
      /InvalidConfiguration/,
    );
  });

  it("redelivers a nack after nAckRedeliverTimeoutMs; on Exclusive the count stays 0 (as Pulsar's broker)", async () => {
    const v = virtual();
    const shared = await v.client.subscribe({
      topic: "t",
      subscription: "sh",
      subscriptionType: "Shared",
      nAckRedeliverTimeoutMs: 300,
    });
    const excl = await v.client.subscribe({ topic: "t", subscription: "ex", nAckRedeliverTimeoutMs: 300 });
    const p = await v.client.createProducer({ topic: "t" });
    await p.send({ data: Buffer.from("n") });
    shared.negativeAcknowledge(await shared.receive());
    excl.negativeAcknowledge(await excl.receive());
    const a = pending(shared);
    const b = pending(excl);
    await v.advanceTo(299);
    expect(a.msg ?? b.msg).toBeUndefined();
    await v.advanceTo(300);
    expect(a.msg?.getRedeliveryCount()).toBe(1);
    expect(b.msg?.getRedeliveryCount()).toBe(0);
  });

  it("Exclusive: a nack redelivers everything the consumer holds unacknowledged, in order (as Pulsar)", async () => {
    const v = virtual();
    const c = await v.client.subscribe({ topic: "t", subscription: "s", nAckRedeliverTimeoutMs: 50 });
    const p = await v.client.createProducer({ topic: "t" });
    for (let i = 0; i < 6; i++) await p.send({ data: Buffer.from(`m${i}`) });
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await c.receive());
    await c.acknowledge(got[0]!);
    c.negativeAcknowledge(got[2]!);
    await v.advanceTo(50);
    const again = [];
    for (let i = 0; i < 5; i++) again.push(await c.receive());
    // m1..m3 were received and unacked, m4 and m5 were prefetched: all come again from m1
    expect(again.map((m) => m.getData().toString())).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    expect(again.every((m) => m.getRedeliveryCount() === 0)).toBe(true);
    for (const m of again) await c.acknowledge(m);
    const none = pending(c);
    await v.advanceTo(1000);
    expect(none.msg).toBeUndefined();
    expect(v.broker.stats("t")?.subscriptions.s).toMatchObject({ backlog: 0, unacked: 0 });
  });

  it("dead-letters after maxRedeliverCount redeliveries with REAL_TOPIC and ORIGIN_MESSAGE_ID", async () => {
    const v = virtual();
    const dlq = await v.client.subscribe({ topic: "t-dlq", subscription: "d" });
    const c = await v.client.subscribe({
      topic: "t",
      subscription: "s",
      subscriptionType: "Shared",
      nAckRedeliverTimeoutMs: 100,
      deadLetterPolicy: { deadLetterTopic: "t-dlq", maxRedeliverCount: 2 },
    });
    const p = await v.client.createProducer({ topic: "t" });
    const id = await p.send({ data: Buffer.from("poison"), properties: { k: "v" }, orderingKey: "ok" });
    const counts: number[] = [];
    for (let t = 100; t <= 1000; t += 100) {
      const r = pending(c);
      await v.settle();
      if (r.msg !== undefined) {
        counts.push(r.msg.getRedeliveryCount());
        c.negativeAcknowledge(r.msg);
      }
      await v.advanceTo(t);
      if (r.msg === undefined) break;
    }
    expect(counts).toEqual([0, 1, 2]);
    const dead = await dlq.receive();
    expect(dead.getData().toString()).toBe("poison");
    expect(dead.getProperties()).toEqual({
      k: "v",
      [REAL_TOPIC]: "persistent://public/default/t",
      [ORIGIN_MESSAGE_ID]: id.toString(),
    });
    expect(v.broker.stats("t")?.subscriptions.s).toMatchObject({ backlog: 0, unacked: 0 });
  });

  it("trims acknowledged messages under 'unacknowledged' retention and keeps them under 'all'", async () => {
    for (const retention of ["unacknowledged", "all"] as const) {
      const v = virtual({ retention });
      const c = await v.client.subscribe({ topic: "t", subscription: "s" });
      const p = await v.client.createProducer({ topic: "t" });
      const n = 20_000;
      for (let i = 0; i < n; i++) {
        await p.send({ data: Buffer.from([i & 255]) });
        await c.acknowledge(await c.receive());
      }
      const stats = v.broker.stats("t")!;
      expect(stats.messages).toBe(n);
      if (retention === "all") expect(stats.stored).toBe(n);
      else expect(stats.stored).toBeLessThan(8192);
      // a reader from earliest starts at the oldest stored message
      const r = await v.client.createReader({ topic: "t", startMessageId: v.broker.binding().MessageId.earliest() });
      const first = await r.readNext();
      expect(first.getMessageId().toString()).toBe(`(1,${n - stats.stored},-1,-1)`);
    }
  });

  it("KeyShared: a consumer that joins gets moved keys only after older messages are acknowledged", async () => {
    const v = virtual();
    const a = await v.client.subscribe({ topic: "t", subscription: "s", subscriptionType: "KeyShared" });
    const p = await v.client.createProducer({ topic: "t" });
    const keys = Array.from({ length: 32 }, (_, k) => `key-${k}`);
    for (const k of keys) await p.send({ data: Buffer.from(`old:${k}`), partitionKey: k });
    const held: MessageLike[] = [];
    for (let i = 0; i < keys.length; i++) held.push(await a.receive());
    const b = await v.client.subscribe({ topic: "t", subscription: "s", subscriptionType: "KeyShared" });
    for (const k of keys) await p.send({ data: Buffer.from(`new:${k}`), partitionKey: k });
    const bFirst = pending(b);
    await v.settle();
    // b owns half of the hash space now but must wait: a still holds older messages
    expect(bFirst.msg).toBeUndefined();
    for (const m of held) await a.acknowledge(m);
    await v.settle();
    expect(bFirst.msg?.getData().toString()).toMatch(/^new:/);
  });

  it("closing a client rejects pending receives and frees an Exclusive subscription", async () => {
    const v = virtual();
    const c = await v.client.subscribe({ topic: "t", subscription: "s" });
    const r = pending(c);
    await v.client.close();
    await v.settle();
    expect(r.error?.message).toMatch(/AlreadyClosed/);
    expect(c.isConnected()).toBe(false);
    const other = v.broker.binding().client;
    await expect(other.subscribe({ topic: "t", subscription: "s" })).resolves.toBeDefined();
    await expect(v.client.createProducer({ topic: "t" })).rejects.toThrow(/AlreadyClosed/);
  });

  it("Shared with random acks, nacks and consumer churn loses nothing: every message is acknowledged once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.constantFrom("ack", "nack", "hold", "close"), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        async (n, script, queueSize) => {
          const v = virtual();
          const open = () =>
            v.client.subscribe({
              topic: "t",
              subscription: "s",
              subscriptionType: "Shared",
              nAckRedeliverTimeoutMs: 10,
              receiverQueueSize: queueSize,
            });
          let consumers = [await open(), await open()];
          const p = await v.client.createProducer({ topic: "t" });
          for (let i = 0; i < n; i++) await p.send({ data: Buffer.from(String(i)) });
          const acked = new Map<string, number>();
          let step = 0;
          for (let t = 10; acked.size < n && t < 100_000; t += 10) {
            for (const c of consumers) {
              for (;;) {
                const r = pending(c, 1);
                await v.advanceTo(v.scheduler.now() + 1);
                if (r.msg === undefined) break;
                // the script first, then plain acks so that the run can finish
                const op = script[step++] ?? "ack";
                const key = r.msg.getData().toString();
                if (op === "nack") c.negativeAcknowledge(r.msg);
                else if (op === "close") {
                  await c.close();
                  break;
                } else {
                  await c.acknowledge(r.msg);
                  acked.set(key, (acked.get(key) ?? 0) + 1);
                }
              }
            }
            consumers = consumers.filter((c) => c.isConnected());
            while (consumers.length < 2) consumers.push(await open());
            await v.advanceTo(t);
          }
          expect(acked.size).toBe(n);
          expect([...acked.values()].every((x) => x === 1)).toBe(true);
          expect(v.broker.stats("t")?.subscriptions.s).toMatchObject({ backlog: 0, unacked: 0 });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("EmbeddedBroker idle polling", () => {
  it("timed-out receives do not pile up, and a later message still reaches the next receive", async () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY);
    const broker = new EmbeddedBroker({ scheduler });
    const { client } = broker.binding();
    const c = await client.subscribe({ topic: "idle", subscription: "s" });
    for (let i = 0; i < 1000; i++) {
      const r = c.receive(10).catch((e: Error) => e);
      scheduler.maxFrames = scheduler.now() + 10;
      scheduler.flush();
      expect(await r).toBeInstanceOf(Error);
    }
    const waiters = (c as unknown as { waiters: { length: number } }).waiters;
    expect(waiters.length).toBe(0);
    const p = await client.createProducer({ topic: "idle" });
    const next = c.receive(10);
    await p.send({ data: Buffer.from("finally") });
    expect((await next).getData().toString()).toBe("finally");
  });
});

describe("EmbeddedBroker configuration and multi-topic consumers", () => {
  it("rejects unknown subscription types and positions, and a missing topic or subscription", async () => {
    const { client } = new EmbeddedBroker().binding();
    const bad = [
      { topic: "t", subscription: "s", subscriptionType: "Round" },
      { topic: "t", subscription: "s", subscriptionInitialPosition: "Middle" },
      { subscription: "s" },
      { topic: "t", subscription: "" },
      { topic: "a/b", subscription: "s" },
    ];
    for (const config of bad) {
      await expect(client.subscribe(config as never)).rejects.toThrow(/InvalidConfiguration/);
    }
    await expect(client.createProducer({ topic: "" })).rejects.toThrow(/InvalidConfiguration/);
  });

  it("a consumer of several topics receives from each and acknowledges per topic", async () => {
    const broker = new EmbeddedBroker();
    const { client } = broker.binding();
    const c = await client.subscribe({ topics: ["x", "y"], subscription: "s", subscriptionType: "Shared" });
    const px = await client.createProducer({ topic: "x" });
    const py = await client.createProducer({ topic: "y" });
    await px.send({ data: Buffer.from("from-x") });
    await py.send({ data: Buffer.from("from-y") });
    const got = [await c.receive(100), await c.receive(100)];
    expect(got.map((m) => `${m.getTopicName()}:${m.getData().toString()}`).sort()).toEqual([
      "persistent://public/default/x:from-x",
      "persistent://public/default/y:from-y",
    ]);
    await c.acknowledge(got[0]!);
    await c.acknowledgeId(got[1]!.getMessageId());
    expect(broker.stats("x")?.subscriptions.s?.unacked).toBe(0);
    expect(broker.stats("y")?.subscriptions.s?.unacked).toBe(0);
    await client.close();
  });
});

describe("EmbeddedBroker batchReceive (pulsar-client's batch receive policy)", () => {
  const data = (ms: readonly MessageLike[]) => ms.map((m) => m.getData().toString());

  it("completes at once when the receiver queue holds maxNumMessages, in log order", async () => {
    const v = virtual();
    const p = await v.client.createProducer({ topic: "t" });
    for (let i = 0; i < 10; i++) await p.send({ data: Buffer.from(`m${i}`) });
    const c = await v.client.subscribe({
      topic: "t",
      subscription: "s",
      subscriptionInitialPosition: "Earliest",
      batchReceivePolicy: { maxNumMessages: 4, timeoutMs: 1000 },
    });
    expect(data(await c.batchReceive!())).toEqual(["m0", "m1", "m2", "m3"]);
    expect(data(await c.batchReceive!())).toEqual(["m4", "m5", "m6", "m7"]);
    expect(v.scheduler.now()).toBe(0); // no waiting
  });

  it("otherwise waits until the queue fills or timeoutMs elapses, then returns what is there (possibly nothing)", async () => {
    const v = virtual();
    const c = await v.client.subscribe({
      topic: "t",
      subscription: "s",
      batchReceivePolicy: { maxNumMessages: 3, timeoutMs: 100 },
    });
    const p = await v.client.createProducer({ topic: "t" });
    let got: MessageLike[] | undefined;
    void c.batchReceive!().then((ms) => {
      got = ms;
    });
    await p.send({ data: Buffer.from("a") });
    await v.advanceTo(99);
    expect(got).toBeUndefined();
    await v.advanceTo(100);
    expect(data(got!)).toEqual(["a"]);
    // Filling the queue completes the next batch before its timeout.
    got = undefined;
    void c.batchReceive!().then((ms) => {
      got = ms;
    });
    for (const x of ["b", "c", "d"]) await p.send({ data: Buffer.from(x) });
    await v.settle();
    expect(data(got!)).toEqual(["b", "c", "d"]);
    expect(v.scheduler.now()).toBe(100);
    // Nothing arrives: an empty batch at the timeout.
    got = undefined;
    void c.batchReceive!().then((ms) => {
      got = ms;
    });
    await v.advanceTo(250);
    expect(got).toEqual([]);
  });

  it("a byte limit completes the batch too, and batch-received messages are under the ack timeout", async () => {
    const v = virtual();
    const c = await v.client.subscribe({
      topic: "t",
      subscription: "s",
      subscriptionType: "Shared",
      ackTimeoutMs: 1000,
      batchReceivePolicy: { maxNumMessages: 100, maxNumBytes: 10, timeoutMs: 5000 },
    });
    const p = await v.client.createProducer({ topic: "t" });
    for (const x of ["12345", "67890", "abc"]) await p.send({ data: Buffer.from(x) });
    const first = await c.batchReceive!();
    expect(data(first)).toEqual(["12345", "67890"]);
    await c.acknowledge(first[0]!);
    // The unacknowledged one comes back after the ack timeout, with its count.
    await v.advanceTo(1000);
    let again: MessageLike[] | undefined;
    void c.batchReceive!().then((ms) => {
      again = ms;
    });
    // 8 bytes queued, under both limits: the batch completes at its timeout.
    await v.advanceTo(5999);
    expect(again).toBeUndefined();
    await v.advanceTo(6000);
    expect(data(again!).sort()).toEqual(["67890", "abc"]);
    expect(again!.find((m) => m.getData().toString() === "67890")!.getRedeliveryCount()).toBe(1);
  });

  it("closing the consumer rejects a pending batch receive", async () => {
    const v = virtual();
    const c = await v.client.subscribe({ topic: "t", subscription: "s", batchReceivePolicy: { timeoutMs: 0 } });
    const r = c.batchReceive!();
    await c.close();
    await expect(r).rejects.toThrow(/AlreadyClosed/);
  });
});
