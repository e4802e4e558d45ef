/**
 * Run a recording through a topology: on the replay transport (one worker, virtual time), or
 * published into an embedded broker (or any PulsarBinding) and consumed by N workers that split
 * the keys through KeyShared subscriptions. Returns what every worker wrote, merged.
 */
import { messageBytes, type RecordedMessage } from "../../examples/recordings/format.js";
import { replay } from "../runtime/replay-binding.js";
import { run } from "../runtime/run.js";
import type { CapturedOutput, LatencyStats, RunHandle, RunSummary as RuntimeRunSummary } from "../runtime/types.js";
import type { Topology } from "../topology/types.js";
import { type EmbeddedBinding, embeddedBinding } from "../transports/embedded/index.js";
import type { PulsarBinding } from "../transports/pulsar-client-like.js";

export interface RecordingRunOptions {
  /** `replay` (default for one worker): virtual time, no broker. */
  readonly transport?: "replay" | "embedded" | PulsarBinding;
  readonly workers?: number;
  readonly config?: unknown;
  /** Called with the number of input messages received so far (all workers). */
  readonly onProgress?: (received: number) => void;
  /** Wall-clock interval of `onProgress` calls (display only). Default 100 ms. */
  readonly progressIntervalMs?: number;
  /** Live transports: a source silent this long stops holding back the merge. Default 1000 ms for one worker, 3000 ms for more. */
  readonly idleTimeoutMs?: number;
  /** Live transports: see `RunOptions.laneGraceMs` (a key handed over mid-stream). */
  readonly laneGraceMs?: number;
  /**
   * Admin REST URL of a real broker (e.g. `http://127.0.0.1:8080`): with several workers on a
   * non-embedded binding, the recording's sources are published only once every worker has
   * subscribed, which is read from the broker's topic stats. Without it, a fixed pause is used.
   */
  readonly adminUrl?: string;
  /**
   * Several workers: stop worker `worker` (default: the first) once it has written
   * `afterDecisions` decisions (`handle.stop()`: its portfolios move to the others) — a hand-over
   * mid-stream. None is stopped if every worker ends first.
   */
  readonly stopWorker?: { readonly afterDecisions: number; readonly worker?: number };
}

export interface RecordingRunResult {
  /**
   * Every worker's outputs, each in write order: a worker stopped mid-stream first (it wrote its
   * portfolios' outputs before they moved to the others), then the others in order — so each
   * key's outputs are in the order they were decided.
   */
  readonly captured: readonly CapturedOutput[];
  /** The outputs of each worker. */
  readonly capturedByWorker: readonly (readonly CapturedOutput[])[];
  readonly runs: readonly RuntimeRunSummary[];
  readonly topologyHash: string;
  /** Latency percentiles over all workers (ns), from the runtimes' histograms (max over workers). */
  readonly latencyNs: { readonly p50: number; readonly p99: number };
  /**
   * Window-output latency percentiles (ns, `RuntimeStats.windowLatency`; max over the workers that
   * wrote window outputs), or undefined when none did.
   */
  readonly windowLatencyNs: { readonly p50: number; readonly p99: number } | undefined;
}

/** p50 and p99 over several runs' latency statistics: the max of each (an empty one gives 0). */
function maxPercentiles(stats: readonly LatencyStats[]): { p50: number; p99: number } {
  return { p50: Math.max(...stats.map((s) => s.p50())), p99: Math.max(...stats.map((s) => s.p99())) };
}

/** Sum the per-source input counters of a run. */
const received = (h: RunHandle) => Object.values(h.stats.in).reduce((a, b) => a + b, 0);

export async function runRecording(
  topology: Topology<unknown>,
  messages: readonly RecordedMessage[],
  options: RecordingRunOptions = {},
): Promise<RecordingRunResult> {
  const workers = options.workers ?? 1;
  const transport = options.transport ?? (workers === 1 ? "replay" : "embedded");
  const configOpt = options.config !== undefined ? { config: options.config } : {};
  const handles: RunHandle[] = [];
  let ownedBroker: ReturnType<typeof embeddedBinding> | undefined;

  if (transport === "replay") {
    if (workers !== 1) throw new Error("the replay transport runs one worker; use the embedded transport for more");
    handles.push(
      run(topology, {
        transport: replay(
          messages.map((m) => ({
            topic: m.topic,
            data: messageBytes(m),
            key: m.key,
            eventTime: m.eventTime,
            publishTime: m.publishTime,
            ...(m.properties !== undefined ? { properties: m.properties } : {}),
          })),
        ),
        ...configOpt,
      }),
    );
  } else {
    const binding = transport === "embedded" ? (ownedBroker = embeddedBinding()) : transport;
    const start = (w: number) =>
      run(topology, {
        transport: binding,
        workerId: `worker-${w}`,
        stopWhenIdle: true,
        // One worker reads fully published topics, so only the ends of feeds wait for this; several
        // workers subscribe before the recording is published and get more slack.
        idleTimeoutMs: options.idleTimeoutMs ?? (workers === 1 ? 1000 : 3000),
        ...(options.laneGraceMs !== undefined ? { laneGraceMs: options.laneGraceMs } : {}),
        capture: true,
        ...configOpt,
      });
    if (workers === 1) {
      // One worker: the whole recording is in the topics before it starts (no idle gaps).
      await publish(binding, messages);
      handles.push(start(0));
    } else {
      // Side inputs first (Readers from earliest see them whole), then the workers, so that
      // KeyShared spreads the keys over all of them, then the sources in one go (a source silent
      // for idleTimeoutMs would stop holding back the merge).
      const sources = new Set(Object.values(topology.sources).map((s) => s.topic));
      await publish(
        binding,
        messages.filter((m) => !sources.has(m.topic)),
      );
      for (let w = 0; w < workers; w++) handles.push(start(w));
      await waitForConsumers(binding, topology, workers, options.adminUrl);
      await publish(
        binding,
        messages.filter((m) => sources.has(m.topic)),
      );
      const stop = options.stopWorker;
      if (stop !== undefined) {
        const candidates = stop.worker === undefined ? handles : [handles[stop.worker]!];
        await stopOneMidStream(topology, handles, candidates, stop.afterDecisions);
      }
    }
  }

  const timer =
    options.onProgress &&
    setInterval(
      () => options.onProgress?.(handles.reduce((a, h) => a + received(h), 0)),
      options.progressIntervalMs ?? 100,
    );
  try {
    const runs = await Promise.all(handles.map((h) => h.done));
    options.onProgress?.(handles.reduce((a, h) => a + received(h), 0));
    for (const r of runs) if (r.reason === "failed") throw r.error ?? new Error("run failed");
    const stopped = runs.findIndex((r) => r.reason === "stopped");
    const order = stopped < 0 ? [...handles.keys()] : [stopped, ...[...handles.keys()].filter((w) => w !== stopped)];
    return {
      captured: order.flatMap((w) => handles[w]!.captured),
      capturedByWorker: handles.map((h) => h.captured),
      runs,
      topologyHash: handles[0]!.topologyHash,
      latencyNs: maxPercentiles(handles.map((h) => h.stats.latency)),
      windowLatencyNs: handles.some((h) => h.stats.windowLatency.count > 0)
        ? maxPercentiles(handles.map((h) => h.stats.windowLatency))
        : undefined,
    };
  } finally {
    if (timer) clearInterval(timer);
    await ownedBroker?.client.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stop the first of `candidates` that has written `afterDecisions` decisions (polled every
 * millisecond), unless every worker has ended before one got there.
 */
async function stopOneMidStream(
  topology: Topology<unknown>,
  handles: readonly RunHandle[],
  candidates: readonly RunHandle[],
  afterDecisions: number,
) {
  const sinks = Object.entries(topology.sinks)
    .filter(([, s]) => s.schema === "CoordinatedTradingDecisionEvent")
    .map(([name]) => name);
  const decided = (h: RunHandle) => sinks.reduce((a, n) => a + (h.stats.out[n] ?? 0), 0);
  let ended = 0;
  for (const h of handles) void h.done.then(() => ended++);
  while (ended < handles.length) {
    const first = candidates.find((h) => decided(h) >= afterDecisions);
    if (first) {
      await first.stop();
      return;
    }
    await sleep(1);
  }
}

/**
 * Wait until every source subscription of the topology has `workers` consumers: from the embedded
 * broker's stats, or from a real broker's admin REST API when `adminUrl` is given; otherwise (a
 * binding whose consumers cannot be counted) a fixed pause.
 */
async function waitForConsumers(
  binding: PulsarBinding,
  topology: Topology<unknown>,
  workers: number,
  adminUrl: string | undefined,
): Promise<void> {
  const broker = (binding as Partial<EmbeddedBinding>).broker;
  const consumersOn = async (topic: string, subscription: string): Promise<number> => {
    if (broker !== undefined) return broker.stats(topic)?.subscriptions[subscription]?.consumers ?? 0;
    const path = topic.replace(/^persistent:\/\//, "");
    const res = await fetch(`${adminUrl}/admin/v2/persistent/${path}/stats`);
    if (!res.ok) return 0;
    const stats = (await res.json()) as { subscriptions?: Record<string, { consumers?: unknown[] }> };
    return stats.subscriptions?.[subscription]?.consumers?.length ?? 0;
  };
  if (broker === undefined && adminUrl === undefined) {
    await sleep(2000);
    return;
  }
  const subscriptions = Object.entries(topology.sources).map(
    ([name, s]) => [s.topic, s.subscription?.name ?? `${topology.name}.${name}`] as const,
  );
  const attempts = broker !== undefined ? 500 : 1200;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const counts = await Promise.all(subscriptions.map(([topic, sub]) => consumersOn(topic, sub)));
    if (counts.every((n) => n >= workers)) return;
    await sleep(broker !== undefined ? 10 : 50);
  }
  throw new Error(`workers did not subscribe to every source of ${topology.name} in time`);
}

/** At most this many sends in flight per publish: the producer is never asked to queue more. */
const MAX_PENDING_SENDS = 500;

/**
 * Publish a recording into a broker, one producer per topic, keys and event times kept. In-flight
 * sends are capped here ({@link MAX_PENDING_SENDS}) rather than with `blockIfQueueFull`.
 */
export async function publish(binding: PulsarBinding, messages: readonly RecordedMessage[]): Promise<void> {
  const producers = new Map<string, Awaited<ReturnType<PulsarBinding["client"]["createProducer"]>>>();
  for (const topic of new Set(messages.map((m) => m.topic))) {
    producers.set(topic, await binding.client.createProducer({ topic, maxPendingMessages: MAX_PENDING_SENDS * 2 }));
  }
  let pending: Promise<unknown>[] = [];
  for (const m of messages) {
    pending.push(
      producers.get(m.topic)!.send({
        data: messageBytes(m),
        partitionKey: m.key,
        eventTimestamp: m.eventTime,
        ...(m.properties !== undefined ? { properties: m.properties } : {}),
      }),
    );
    if (pending.length >= MAX_PENDING_SENDS) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  for (const p of producers.values()) {
    await p.flush();
    await p.close();
  }
}
