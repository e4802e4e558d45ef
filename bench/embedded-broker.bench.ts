/**
 * The embedded broker: produce + consume + acknowledge of 200-byte messages, against a bare
 * array push/shift loop doing the same hand-over without a broker. Latency is send → receive of
 * every 64th message (the message carries its index in its first 4 bytes).
 */
import type { BenchCase, BenchContext, BenchSuite } from "./harness/types.js";
import { EmbeddedBroker } from "../lib/transports/embedded/index.js";
import type {
  ConsumerLike,
  ProducerLike,
  PulsarClientLike,
  SubscriptionType,
} from "../lib/transports/pulsar-client-like.js";

const EVENTS = 300_000;
const SIZE = 200;
const SAMPLE_SHIFT = 6; // every 64th message

interface Msg {
  data: Buffer;
}

const baseline: BenchCase = {
  name: "array push/shift loop",
  events: EVENTS,
  run(ctx: BenchContext) {
    const queue: Msg[] = [];
    const data = Buffer.alloc(SIZE, 1);
    const sentAt = new Float64Array((EVENTS >> SAMPLE_SHIFT) + 1);
    let acked = 0;
    for (let i = 0; i < EVENTS; i++) {
      if ((i & 63) === 0) sentAt[i >> SAMPLE_SHIFT] = ctx.monotonicNs();
      queue.push({ data });
      const m = queue.shift()!;
      if ((i & 63) === 0) ctx.recordLatencyNs(ctx.monotonicNs() - sentAt[i >> SAMPLE_SHIFT]!);
      if (m.data.length === SIZE) acked++;
    }
    if (acked !== EVENTS) throw new Error(`baseline handed over ${acked} of ${EVENTS}`);
  },
};

interface BrokerCaseOptions {
  readonly name: string;
  readonly type: SubscriptionType;
  readonly consumers: number;
  /** Keys for KeyShared (partitionKey = keys[i % keys.length]). */
  readonly keys?: number;
}

/**
 * One producer awaiting each `send`, and `consumers` consumers each looping
 * `await receive()` + `acknowledge()` (not awaited: it resolves at once), until all
 * messages are acknowledged.
 */
function brokerCase(o: BrokerCaseOptions): BenchCase {
  let client: PulsarClientLike;
  let producer: ProducerLike;
  let consumers: ConsumerLike[];
  const keys = Array.from({ length: o.keys ?? 0 }, (_, k) => `instrument-${k}`);
  return {
    name: o.name,
    events: EVENTS,
    async setup() {
      client = new EmbeddedBroker().binding().client;
      const topic = "bench";
      consumers = [];
      for (let i = 0; i < o.consumers; i++) {
        consumers.push(await client.subscribe({ topic, subscription: "bench", subscriptionType: o.type }));
      }
      producer = await client.createProducer({ topic });
    },
    async run(ctx: BenchContext) {
      const sentAt = new Float64Array((EVENTS >> SAMPLE_SHIFT) + 1);
      const data = Buffer.alloc(SIZE, 1);
      let received = 0;
      let finish!: () => void;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const consume = async (c: ConsumerLike): Promise<void> => {
        for (;;) {
          let m: Awaited<ReturnType<ConsumerLike["receive"]>>;
          try {
            m = await c.receive();
          } catch {
            return; // closed at teardown
          }
          const i = m.getData().readUInt32LE(0);
          if ((i & 63) === 0) ctx.recordLatencyNs(ctx.monotonicNs() - sentAt[i >> SAMPLE_SHIFT]!);
          void c.acknowledge(m);
          if (++received === EVENTS) finish();
        }
      };
      for (const c of consumers) void consume(c);
      const withKeys = keys.length > 0;
      for (let i = 0; i < EVENTS; i++) {
        data.writeUInt32LE(i, 0);
        if ((i & 63) === 0) sentAt[i >> SAMPLE_SHIFT] = ctx.monotonicNs();
        if (withKeys) await producer.send({ data, partitionKey: keys[i % keys.length]! });
        else await producer.send({ data });
      }
      await done;
    },
    async teardown() {
      await client.close();
    },
  };
}

const suite: BenchSuite = {
  name: "embedded-broker",
  description: "embedded broker: produce + consume + ack of 200-byte messages vs a bare array push/shift loop",
  baseline,
  cases: [
    brokerCase({ name: "exclusive, 1 consumer", type: "Exclusive", consumers: 1 }),
    brokerCase({ name: "shared, 2 consumers", type: "Shared", consumers: 2 }),
    brokerCase({ name: "key-shared, 2 consumers, 100 keys", type: "KeyShared", consumers: 2, keys: 100 }),
  ],
  goals: { "events/s": 1_000_000 },
  warmups: 3,
  repetitions: 7,
};

export default suite;
