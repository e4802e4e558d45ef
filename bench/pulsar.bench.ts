/**
 * Through a real Apache Pulsar broker (WebSocket API, `lib/transports/websocket`): produce +
 * consume + acknowledge of 200-byte messages, beside the same workload through the embedded broker
 * measured in the same run (the baseline). The producer keeps up to WINDOW sends in flight; the
 * consumers loop `receive` + `acknowledge`. Latency is send → receive of every 16th message (it
 * carries its index in its first 4 bytes), so under a full window it includes queueing; the
 * "awaited sends" case shows the unloaded round trip.
 *
 * Needs a broker on 127.0.0.1:8080 (`bash test/pulsar/start-broker.sh`, stop with
 * `bash test/pulsar/stop-broker.sh`; or set PULSAR_WS_URL / PULSAR_ADMIN_URL). Without one the
 * suite says so and runs only the embedded baseline.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { EmbeddedBroker } from "../lib/transports/embedded/index.js";
import type {
  ConsumerLike,
  MessageLike,
  ProducerLike,
  PulsarClientLike,
  SubscriptionType,
} from "../lib/transports/pulsar-client-like.js";
import { WebSocketPulsarClient } from "../lib/transports/websocket/index.js";
import type { BenchCase, BenchContext, BenchSuite } from "./harness/types.js";

const SERVICE_URL = process.env["PULSAR_WS_URL"] ?? "ws://127.0.0.1:8080";
const ADMIN_URL = process.env["PULSAR_ADMIN_URL"] ?? SERVICE_URL.replace(/^ws/, "http");
const EVENTS = 20_000;
const SIZE = 200;
const WINDOW = 1000;
const SAMPLE_EVERY = 16;

/** Whether the broker's admin API answers and lists public/default (checked once, at load). */
async function brokerAvailable(): Promise<string | undefined> {
  try {
    const res = await fetch(`${ADMIN_URL}/admin/v2/namespaces/public`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return `admin API answered HTTP ${res.status}`;
    const body = (await res.json()) as unknown;
    return Array.isArray(body) && body.includes("public/default") ? undefined : "public/default not listed";
  } catch (err) {
    return (err as Error).message;
  }
}

const BROKER_PID_FILE = new URL("../test/pulsar/data/broker.pid", import.meta.url);

/** CPU time (ms) the broker's JVM has used so far, from /proc; undefined if it is not ours or not Linux. */
function brokerCpuMs(): number | undefined {
  try {
    const pid = readFileSync(BROKER_PID_FILE, "utf8").trim();
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

interface CaseOptions {
  readonly name: string;
  readonly client: () => PulsarClientLike;
  readonly type: SubscriptionType;
  readonly consumers: number;
  readonly keys?: number;
  readonly window: number;
  readonly events: number;
  /** Broker-side batching of the producer (off by default: it would mix keys within a batch). */
  readonly batching?: boolean;
}

function pipelineCase(o: CaseOptions): BenchCase {
  let client: PulsarClientLike;
  let producer: ProducerLike;
  let consumers: ConsumerLike[];
  const keys = Array.from({ length: o.keys ?? 0 }, (_, k) => `instrument-${k}`);
  let brokerMs = 0;
  let brokerEvents = 0;
  return {
    name: o.name,
    events: o.events,
    extra() {
      if (o.client === embedded || brokerEvents === 0) return {};
      return { "broker JVM cpu-ms per 1k msgs": Math.round((brokerMs / brokerEvents) * 1000 * 10) / 10 };
    },
    async setup() {
      client = o.client();
      const topic = `persistent://public/default/bench-${randomBytes(5).toString("hex")}`;
      consumers = [];
      for (let i = 0; i < o.consumers; i++) {
        consumers.push(
          await client.subscribe({ topic, subscription: "bench", subscriptionType: o.type, receiverQueueSize: 1000 }),
        );
      }
      producer = await client.createProducer({
        topic,
        maxPendingMessages: Math.max(o.window, 1),
        ...(o.batching === true ? { batchingEnabled: true, batchingMaxPublishDelayMs: 1 } : {}),
      });
    },
    async run(ctx: BenchContext) {
      const sentAt = new Float64Array(Math.ceil(o.events / SAMPLE_EVERY) + 1);
      let received = 0;
      let finish!: () => void;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const consume = async (c: ConsumerLike): Promise<void> => {
        for (;;) {
          let m: MessageLike;
          try {
            m = await c.receive();
          } catch {
            return; // closed at teardown
          }
          const i = m.getData().readUInt32LE(0);
          if (i % SAMPLE_EVERY === 0) ctx.recordLatencyNs(ctx.monotonicNs() - sentAt[i / SAMPLE_EVERY]!);
          void c.acknowledge(m);
          if (++received === o.events) finish();
        }
      };
      for (const c of consumers) void consume(c);
      const cpuBefore = brokerCpuMs();
      let inFlight = 0;
      let slot: (() => void) | undefined;
      let failure: unknown;
      for (let i = 0; i < o.events; i++) {
        const data = Buffer.alloc(SIZE, 1);
        data.writeUInt32LE(i, 0);
        if (i % SAMPLE_EVERY === 0) sentAt[i / SAMPLE_EVERY] = ctx.monotonicNs();
        const sent = producer.send(keys.length > 0 ? { data, partitionKey: keys[i % keys.length]! } : { data });
        inFlight++;
        void sent.then(
          () => {
            inFlight--;
            slot?.();
          },
          (err: unknown) => {
            failure = err;
            inFlight--;
            slot?.();
          },
        );
        while (inFlight >= o.window) {
          await new Promise<void>((r) => {
            slot = r;
          });
          slot = undefined;
        }
        if (failure !== undefined) throw failure;
      }
      await producer.flush();
      if (failure !== undefined) throw failure;
      await done;
      const cpuAfter = brokerCpuMs();
      if (cpuBefore !== undefined && cpuAfter !== undefined) {
        brokerMs += cpuAfter - cpuBefore;
        brokerEvents += o.events;
      }
    },
    async teardown() {
      await client.close();
    },
  };
}

const missing = await brokerAvailable();
if (missing !== undefined) {
  process.stderr.write(
    `bench pulsar: no Pulsar broker at ${ADMIN_URL} (${missing}); only the embedded baseline runs. ` +
      "Start one with `bash test/pulsar/start-broker.sh` (stop: `bash test/pulsar/stop-broker.sh`).\n",
  );
}

const embedded = () => new EmbeddedBroker().binding().client;
const websocket = () => new WebSocketPulsarClient({ serviceUrl: SERVICE_URL, adminUrl: ADMIN_URL });

const pulsarCases: BenchCase[] = [
  pipelineCase({
    name: "pulsar ws, exclusive, 1 consumer",
    client: websocket,
    type: "Exclusive",
    consumers: 1,
    window: WINDOW,
    events: EVENTS,
  }),
  pipelineCase({
    name: "pulsar ws, shared, 2 consumers",
    client: websocket,
    type: "Shared",
    consumers: 2,
    window: WINDOW,
    events: EVENTS,
  }),
  pipelineCase({
    name: "pulsar ws, key-shared, 2 consumers, 100 keys",
    client: websocket,
    type: "KeyShared",
    consumers: 2,
    keys: 100,
    window: WINDOW,
    events: EVENTS,
  }),
  pipelineCase({
    name: "pulsar ws, exclusive, 1 consumer, batching",
    client: websocket,
    type: "Exclusive",
    consumers: 1,
    window: WINDOW,
    events: EVENTS,
    batching: true,
  }),
  pipelineCase({
    name: "pulsar ws, exclusive, awaited sends",
    client: websocket,
    type: "Exclusive",
    consumers: 1,
    window: 1,
    events: 2000,
  }),
];

const suite: BenchSuite = {
  name: "pulsar",
  description:
    missing === undefined
      ? `real Apache Pulsar broker via the WebSocket API (${SERVICE_URL}) vs the embedded broker, 200-byte messages, ${WINDOW} sends in flight`
      : `real Apache Pulsar broker NOT AVAILABLE at ${ADMIN_URL} (${missing}): only the embedded baseline was measured`,
  baseline: pipelineCase({
    name: "embedded, exclusive, 1 consumer",
    client: embedded,
    type: "Exclusive",
    consumers: 1,
    window: WINDOW,
    events: EVENTS,
  }),
  cases: missing === undefined ? pulsarCases : [],
  warmups: 1,
  repetitions: 3,
};

export default suite;
