import * as hdr from "hdr-histogram-js";
import {
  asyncScheduler,
  BehaviorSubject,
  Observable,
  type SchedulerLike,
  type Subscription,
  VirtualTimeScheduler,
} from "rxjs";
import { decodeEvent, encodeEvent, toDeadLetter } from "../events/decode.js";
import type { DeadLetterReason } from "../events/dead-letter.js";
import { type BytesPath, jsonBytesPath } from "../events/json-bytes-path.js";
import { jsonFastCheck, UNDECIDED } from "../events/json-fast-path.js";
import type { z } from "zod";
import { eventSchemas } from "../events/registry.js";
import type { StreamItem } from "../stream/item.js";
import { operatorInfo } from "../stream/operator.js";
import { embeddedBinding } from "../transports/embedded/index.js";
import type {
  ConsumerLike,
  MessageIdLike,
  MessageLike,
  PulsarBinding,
  ReaderLike,
  SubscriptionType,
} from "../transports/pulsar-client-like.js";
import { changelogTopic, finishedTopic } from "../topology/describe.js";
import { topologyHash } from "../topology/hash.js";
import { FAILED_TAG, type SideOutputMessage, type StepContext, type Topology } from "../topology/types.js";
import { fromNames, routeOf, stepOperator } from "../topology/validate.js";
import { AckTracker, Inbound, type OutputToken } from "./ack-tracker.js";
import { ChangelogState } from "./keyed-state.js";
import { enqueueInOrder } from "./feed-order.js";
import { DeferredWork, deferredSteps } from "./deferred.js";
import { Fanout } from "../stream/fanout.js";
import { FinishedRecords } from "./finished-records.js";
import { Lanes } from "./lanes.js";
import { type HoldStep, holdBounds } from "./hold-bounds.js";
import { sideOutputEventId } from "./side-output-id.js";
import { AsOfTable } from "./side-table.js";
import { withBackoff } from "./backoff.js";
import { createReplayBinding } from "./replay-binding.js";
import { HeldCopies } from "./held-copies.js";
import { TopicTail } from "./topic-tail.js";
import { TopicWriter } from "./topic-writer.js";
import type {
  CapturedOutput,
  LatencyStats,
  ReplayTransport,
  RunHandle,
  RunOptions,
  RunSummary,
  RuntimeStats,
} from "./types.js";

type Item = StreamItem<unknown>;

/**
 * An item waiting in a feed's merge buffer: a source's {@link Inbound} message itself (no wrapper
 * per message), or a side-input update.
 */
interface Pending {
  readonly eventTime: number;
  readonly key: string;
  readonly seq: number;
  readonly value: unknown;
}

interface Feed {
  readonly name: string;
  /** 0 = side input (applied first at equal time), 1 = source. */
  readonly rank: 0 | 1;
  readonly buf: Pending[];
  /** The pipeline's entry for this source (set when the pipeline is built; side inputs: none). */
  subject: Fanout<Item> | undefined;
  head: number;
  ended: boolean;
  idle: boolean;
  activity: number;
  /** `activity` at the last yield to the event loop. */
  yieldedAt: number;
  lastSeenActivity: number;
  quietTicks: number;
  /** Waiting on the broker (a feed paused by backpressure is never idle: its topic may have more). */
  receiving: boolean;
  caughtUp: () => boolean;
  /** Sources: the watermark a message at event time `t` waits for before its ack ({@link holdBounds}). */
  holdUntil: (t: number) => number;
  /** Sources: the event schema and its compiled byte decoder (zod output or UNDECIDED). */
  readonly schema: z.ZodType | undefined;
  readonly decode: BytesPath | undefined;
  /** Sources of stateful live topologies: recognises a message delivered again while held. */
  held: HeldCopies | undefined;
}

/** A feed with nothing buffered or seen yet. */
function newFeed(name: string, rank: 0 | 1, caughtUp: () => boolean, schema?: z.ZodType): Feed {
  return {
    name,
    rank,
    buf: [],
    subject: undefined,
    head: 0,
    ended: false,
    idle: false,
    activity: 0,
    yieldedAt: 0,
    lastSeenActivity: -1,
    quietTicks: 0,
    receiving: false,
    caughtUp,
    holdUntil: (t) => t,
    schema,
    decode: schema ? jsonBytesPath(schema) : undefined,
    held: undefined,
  };
}

const MAX_WM = Number.MAX_SAFE_INTEGER;

/** Rejection handler of fire-and-forget acks (one shared function, not a closure per message). */
const ignore = () => undefined;

const isWatermark = (item: Item): boolean => item.kind === "watermark";

/** The failure reason a pipeline error gives the messages it fails. */
function pipelineErrorReason(e: unknown): string {
  return `pipeline error: ${(e as Error)?.message ?? String(e)}`;
}

let lastAck: Promise<unknown> | undefined;
/**
 * An ack's failure needs no handling (the broker redelivers an unacked message), only a handler so
 * that it is not an unhandled rejection. A client that answers every ack with the same settled
 * promise (the embedded broker) gets one handler, not a derived promise and a microtask per ack.
 */
function ignoreRejection(p: Promise<unknown>): void {
  if (p === lastAck) return;
  lastAck = p;
  p.catch(ignore);
}

/** Ack a message, and the copies of it that came on other consumers (see {@link HeldCopies}). */
function acknowledge(m: Inbound): void {
  ignoreRejection(m.consumer.acknowledge(m.msg));
  if (m.copies !== undefined) for (const c of m.copies) ignoreRejection(c.consumer.acknowledge(c.msg));
}

/** Negatively ack a message, and the copies of it that came on other consumers. */
function negativeAcknowledge(m: Inbound): void {
  m.consumer.negativeAcknowledge(m.msg);
  if (m.copies !== undefined) for (const c of m.copies) c.consumer.negativeAcknowledge(c.msg);
}

/** A macrotask boundary (not a timer: it never decides anything, it only lets I/O run). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function size(f: Feed): number {
  return f.buf.length - f.head;
}

function before(a: Pending, fa: Feed, b: Pending, fb: Feed): boolean {
  if (a.eventTime !== b.eventTime) return a.eventTime < b.eventTime;
  if (fa.rank !== fb.rank) return fa.rank < fb.rank;
  if (fa.name !== fb.name) return fa.name < fb.name;
  if (a.key !== b.key) return a.key < b.key;
  return a.seq < b.seq;
}

/** Latency statistics (ns) over an HDR histogram, 1 ns to 60 s, three significant digits. */
function latencyRecorder(): LatencyStats & { record(ns: number): void } {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60e9, numberOfSignificantValueDigits: 3 });
  const latency = {
    count: 0,
    p50: () => h.getValueAtPercentile(50),
    p99: () => h.getValueAtPercentile(99),
    max: () => h.maxValue,
    record(ns: number) {
      latency.count++;
      h.recordValue(Math.max(1, Math.min(ns, 60e9)));
    },
  };
  return latency;
}

function newStats(latency: LatencyStats, windowLatency: LatencyStats): RuntimeStats {
  return {
    in: {},
    out: {},
    duplicatesDropped: {},
    deadLettered: {},
    sideOutputs: {},
    sideInputUpdates: {},
    acked: 0,
    nacked: 0,
    inFlight: 0,
    reconnects: 0,
    keyMoveHolds: 0,
    redeliveredDone: 0,
    duplicateDeliveries: 0,
    lanes: 0,
    handedBack: 0,
    watermark: Number.NEGATIVE_INFINITY,
    latency,
    windowLatency,
  };
}

const inc = (o: Record<string, number>, k: string, n = 1) => {
  o[k] = (o[k] ?? 0) + n;
};

function defaultKey(v: unknown, fields: readonly string[]): string {
  const o = v as Record<string, unknown>;
  for (const f of fields) if (typeof o[f] === "string") return o[f] as string;
  return "";
}

/**
 * Run a topology: `run(topology, { transport, config, workerId, ... })` → {@link RunHandle}
 * (`stats` live, `done`, `stop()` = graceful drain, `captured` outputs).
 *
 * **Transport.** `"embedded"` (default: a fresh in-process broker, closed at the end), any
 * {@link PulsarBinding} (the native client, the WebSocket client, a shared embedded broker's
 * `binding()`), or {@link replay}`(messages)` (in-memory topics that end, virtual time, outputs
 * captured).
 *
 * **Determinism rule.** Sources and side inputs feed one k-way merge that releases items in the
 * total order (event time, side inputs before sources, feed name, key, arrival sequence). An item
 * is released only when every feed has a buffered item, has ended (replay), is a caught-up Reader
 * (side inputs), or has been silent for `idleTimeoutMs` (live sources only). The runtime emits
 * the watermark t−1 into every source stream before a side-input update at time t, and before a
 * record once records have advanced event time by ≥ `watermarkIntervalMs` (from the run config,
 * default 1000 ms). Side tables answer reads *as of* the event time being processed (the record's,
 * or the watermark's): a record sees exactly the updates with time ≤ its own, even if it arrives
 * late or is redelivered to another worker. Keyed state follows its key through a changelog. So,
 * with each topic in event-time order, the same inputs + topology version + config give the same
 * outputs per key across runs, transports and worker counts. Limits: records older than the
 * watermark are passed on (operators decide lateness) and which ones are late can depend on the
 * other keys a worker holds; side-table history is kept `sideInputHistoryMs` behind the watermark.
 * Nothing on this path reads a clock: the scheduler only decides when a silent live source stops
 * holding back the merge (and backoff delays).
 *
 * **Ack rule.** See {@link AckTracker}: after every output carrying the message's lineage id is
 * confirmed by its sink (keyed-state changelog writes included), and, when a step keeps state
 * (`retentionMs`), once the watermark passed the last watermark at which a step may still emit
 * something derived from it ({@link holdBounds}: a fixed window's end − 1 + lateness, composed
 * along the steps; `eventTime + retentionMs` for steps without exact bounds). Bad bytes/invalid
 * values → `DeadLetterEvent`, then ack. A record that makes an operator fail (`failed` side
 * output, or an operator erroring the stream — the pipeline is then rebuilt and the other open
 * messages nacked for reprocessing) → negative ack; at `maxRedeliverCount` → `DeadLetterEvent`
 * (`operator-failure`), then ack. The consumer's deadLetterPolicy (max + 1) is the broker-side
 * safety net.
 *
 * **Effectively-once.** Sinks drop outputs whose event id is already on their topic (decision ids
 * are hashes of their inputs): each sink's topic is read with a Reader at start and, to its
 * current end ({@link TopicTail}: a fresh Reader after the last message read, since a long-lived
 * Reader's `hasNext()` may lag the topic), before the first record of a key new to this worker —
 * as is every keyed-state changelog.
 *
 * **Backpressure.** Receiving pauses while a feed's buffer reaches `receiverQueueSize`, while
 * `maxInFlight` messages are being worked on, or while a writer has `maxPendingSends` sends in
 * flight (`blockIfQueueFull` is never used). Broker errors: subscribe/create/send are retried
 * with exponential backoff on the injected scheduler; a consumer that lost its connection is
 * re-subscribed.
 */
export function run<C>(topology: Topology<C>, options: RunOptions = {}): RunHandle {
  const isReplay = typeof options.transport === "object" && "kind" in options.transport;
  const scheduler: SchedulerLike = options.scheduler ?? (isReplay ? new VirtualTimeScheduler() : asyncScheduler);
  const virtual = isReplay && scheduler instanceof VirtualTimeScheduler ? scheduler : undefined;
  const ownsClient = options.transport === undefined || options.transport === "embedded" || isReplay;
  const binding: PulsarBinding =
    options.transport === undefined || options.transport === "embedded"
      ? embeddedBinding()
      : isReplay
        ? createReplayBinding((options.transport as ReplayTransport).messages)
        : (options.transport as PulsarBinding);
  const { client } = binding;
  const workerId = options.workerId ?? "worker-0";
  const maxInFlight = options.maxInFlight ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 200;
  const reconnect = options.reconnect ?? {};
  const capture: CapturedOutput[] | undefined = (options.capture ?? isReplay) ? [] : undefined;
  const finalWatermark = options.finalWatermark ?? true;
  const onLatency = options.onLatency;
  const dedupHorizonMs = options.dedupHorizonMs ?? 86_400_000;
  const batchReceive = options.batchReceive;

  let config: C;
  if (topology.config) {
    const parsed = topology.config.safeParse(options.config ?? {});
    if (!parsed.success) {
      throw new Error(
        `invalid config for topology ${topology.name}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    }
    config = parsed.data;
  } else config = (options.config ?? {}) as C;
  const watermarkIntervalMs =
    typeof (config as { watermarkIntervalMs?: unknown })?.watermarkIntervalMs === "number"
      ? (config as { watermarkIntervalMs: number }).watermarkIntervalMs
      : 1000;
  const hash = topologyHash(topology as Topology, config);
  const latency = latencyRecorder();
  const windowLatency = latencyRecorder();
  const stats = newStats(latency, windowLatency);
  const onWindowLatency = options.onWindowLatency;
  /**
   * While a watermark is being pushed: when it was handed to the pipeline (`performance.now()`,
   * ms; statistics only). NaN otherwise. Sink outputs written meanwhile are window outputs
   * (`RuntimeStats.windowLatency`).
   */
  let windowHandOff = Number.NaN;
  /**
   * Push a lane's watermark into its pipeline's subjects, stamping the hand-off as
   * {@link emitWatermark} does (inside one of its pushes, that push's hand-off stands).
   */
  function pushWatermark(subjects: readonly Fanout<Item>[], wm: Item): void {
    const outer = windowHandOff;
    if (Number.isNaN(outer)) windowHandOff = performance.now();
    for (let i = 0; i < subjects.length; i++) subjects[i]!.next(wm);
    windowHandOff = outer;
  }
  /** A window output handed off at `handOff` (performance.now(), ms) was confirmed. */
  function windowOutputConfirmed(handOff: number): void {
    const ns = (performance.now() - handOff) * 1e6;
    windowLatency.record(ns);
    onWindowLatency?.(ns);
  }
  const topologyId = `${topology.name}@${topology.version}#${hash}`;

  // ---- side-input tables ------------------------------------------------------------------
  const sideInputHistoryMs = options.sideInputHistoryMs ?? 3_600_000;
  const tables = new Map<string, { map: AsOfTable<unknown>; subject: BehaviorSubject<ReadonlyMap<string, unknown>> }>();
  const tableList: AsOfTable<unknown>[] = [];
  for (const name of Object.keys(topology.sideInputs)) {
    const map = new AsOfTable<unknown>(sideInputHistoryMs);
    tableList.push(map);
    tables.set(name, { map, subject: new BehaviorSubject<ReadonlyMap<string, unknown>>(map) });
  }
  /** Answer side-table reads as of event time `t` (+∞ = latest). */
  const asOf = (t: number) => {
    for (let i = 0; i < tableList.length; i++) tableList[i]!.now = t;
    const lt = lanes.tableList;
    for (let i = 0; i < lt.length; i++) lt[i]!.now = t;
  };

  // ---- retention (max over steps) -----------------------------------------------------------
  let retentionMs = 0;

  // ---- state -------------------------------------------------------------------------------
  let stopping = false;
  let draining = false;
  /**
   * The drain releases what every feed holds, whatever the other feeds lack: at the end of a
   * replay or of an idle stream (nothing more will come). A `stop()` keeps the merge's rule
   * instead (see stopInternal).
   */
  let drainAll = false;
  let finished = false;
  let watermark = Number.NEGATIVE_INFINITY;
  let lastRecordWm = Number.NEGATIVE_INFINITY;
  /** The latest event time of a source record released so far. */
  let front = Number.NEGATIVE_INFINITY;
  let seq = 0;
  let pipelineError: unknown;
  let fatalError: Error | undefined;
  const writers = new Map<string, TopicWriter>();
  /** The same writers as an array, for the per-message backpressure check. */
  const writerList: TopicWriter[] = [];
  const dedupWriters: TopicWriter[] = [];
  const consumers = new Map<string, ConsumerLike>();
  const readers: ReaderLike[] = [];
  const feeds: Feed[] = [];
  const feedByName = new Map<string, Feed>();
  let resumeWaiters: (() => void)[] = [];
  let idleTimer: Subscription | undefined;
  let resolveDone!: (s: RunSummary) => void;
  const done = new Promise<RunSummary>((r) => {
    resolveDone = r;
  });
  let endReason: RunSummary["reason"] = "stopped";

  const maxRedeliver = (source: string) => topology.sources[source]?.subscription?.maxRedeliverCount ?? 3;

  // ---- deferred work: deferred sinks and the steps only they consume ----------------------------
  const deferredStepNames = deferredSteps(topology);
  /** Live: a task right after the turn (then any error it raised is handled); replays: run by the ack release. */
  const deferred = new DeferredWork(
    isReplay
      ? undefined
      : (task) =>
          void scheduler.schedule(() => {
            task();
            afterPush(undefined);
          }, 0),
  );
  /**
   * Run the deferred work now. A pipeline error it raised is handled at once (its record's inputs
   * were blamed as it was delivered; the rest of what is open is reset), so that no later push is
   * taken for its culprit; then false: release nothing now.
   */
  function settleDeferred(): boolean {
    if (deferred.size === 0) return true;
    const before = pipelineError;
    deferred.run();
    if (pipelineError === undefined || pipelineError === before) return true;
    afterPush(undefined);
    return false;
  }

  const ackTracker = new AckTracker(
    {
      ack(m) {
        stats.acked++;
        stats.inFlight--;
        if (m.t0 !== 0n) {
          const ns = Number(process.hrtime.bigint() - m.t0);
          latency.record(ns);
          onLatency?.(ns);
        }
        finishedRecords?.acked(m.key, m.id);
        acknowledge(m);
        wake();
      },
      fail(m, reason) {
        if (m.failed?.startsWith("reset:") || m.redeliveryCount < maxRedeliver(m.source)) {
          stats.nacked++;
          stats.inFlight--;
          negativeAcknowledge(m);
          reviveFeed(m.source);
          wake();
          return;
        }
        deadLetter(m.msg, topology.sources[m.source]!.topic, "operator-failure", reason, m.eventTime, () => {
          stats.acked++;
          stats.inFlight--;
          acknowledge(m);
          wake();
        });
      },
      beforeRelease: settleDeferred,
    },
    0,
  );

  // ---- writers -------------------------------------------------------------------------------
  function writer(topic: string): TopicWriter {
    const w = writers.get(topic);
    if (!w) throw new Error(`no writer for ${topic}`);
    return w;
  }

  function deadLetter(
    msg: MessageLike,
    sourceTopic: string,
    reason: DeadLetterReason,
    message: string,
    eventTime: number,
    then: () => void,
    issues?: readonly { path: string; message: string }[],
  ): void {
    const dl = toDeadLetter({
      bytes: msg.getData(),
      sourceTopic,
      reason,
      message,
      eventTime,
      messageId: msg.getMessageId().toString(),
      redeliveryCount: msg.getRedeliveryCount(),
      ...(issues ? { issues } : {}),
    });
    inc(stats.deadLettered, reason);
    writer(topology.deadLetters.topic).write({
      data: encodeEvent(dl),
      key: msg.getPartitionKey(),
      eventId: dl.eventId,
      eventTime,
      done: then,
    });
  }

  function fail(e: Error): void {
    if (fatalError) return;
    fatalError = e;
    endReason = "failed";
    void stopInternal(false);
  }

  // ---- pipeline ----------------------------------------------------------------------------
  /** The pipeline's source entries, in source-name order. */
  let sourceSubjects: Fanout<Item>[] = [];
  let pipelineSubs: Subscription[] = [];

  const stores = new Map<string, ChangelogState<unknown>>();
  const processedKeys = new Set<string>();
  /** Topologies with keyed state: what this worker finished, and what previous owners did. */
  let finishedRecords: FinishedRecords | undefined;
  let syncingStores = false;

  /** Side-table subjects by side-input name (each lane has its own: see {@link Lanes}). */
  type SideSubjects = ReadonlyMap<string, BehaviorSubject<ReadonlyMap<string, unknown>>>;

  function stepContext(step: string, sides: SideSubjects | undefined): StepContext<C> {
    const spec = topology.steps[step]!;
    return {
      topology: { name: topology.name, version: topology.version, hash },
      config,
      scheduler,
      workerId,
      sideInput<V>(name: string) {
        const t = tables.get(name);
        if (!t || !spec.sideInputs?.includes(name)) {
          throw new Error(`step "${step}" did not declare side input "${name}"`);
        }
        return (sides?.get(name) ?? t.subject) as unknown as Observable<ReadonlyMap<string, V>>;
      },
      keyedState<S>(name: string) {
        const st = stores.get(`${step}/${name}`);
        if (!st) throw new Error(`step "${step}" did not declare state "${name}"`);
        return st as ChangelogState<S>;
      },
    };
  }

  function routeSide(
    step: string,
    item: { tag: string; reason: string; record: StreamItem<unknown> & { kind: "record" } },
  ) {
    inc(stats.sideOutputs, item.tag);
    const rec = item.record;
    if (item.tag === FAILED_TAG) {
      ackTracker.markFailed(rec.ids, `${step}: ${item.reason}`);
      return;
    }
    const route = routeOf(topology, step, item.tag);
    if (route === undefined || route === "absorb") {
      // Unrouted tags cannot pass validation; absorbing is the explicit "acked, counted" route.
      return;
    }
    const token = ackTracker.outputStarted();
    if (route.deferred !== true) {
      writeSide(route.topic, step, item, token);
      return;
    }
    // Off the latency path: in the deferred work, in order with the deferred sinks. The ack token
    // is taken now, so the record's inputs wait for it either way. A value that cannot be encoded
    // fails its record's inputs, as the same failure inside the step would.
    deferred.add(() => {
      try {
        writeSide(route.topic, step, item, token);
      } catch (e) {
        pipelineError ??= e;
        ackTracker.markFailed(rec.ids, pipelineErrorReason(e));
      }
    });
  }

  /** Encode and write a side output routed to `topic` ({@link SideOutputMessage}); `token` is its ack token. */
  function writeSide(
    topic: string,
    step: string,
    item: { tag: string; reason: string; record: StreamItem<unknown> & { kind: "record" } },
    token: OutputToken,
  ): void {
    const rec = item.record;
    const body: SideOutputMessage = {
      tag: item.tag,
      reason: item.reason,
      step,
      key: rec.key,
      eventTime: rec.eventTime,
      ids: rec.ids,
      value: rec.value,
    };
    writer(topic).write({
      data: encodeEvent(body),
      key: rec.key,
      eventId: sideOutputEventId(step, item.tag, rec.ids),
      eventTime: rec.eventTime,
      done: () => ackTracker.outputConfirmed(token),
    });
  }

  /** Merge several inputs: items in arrival order, watermark = min over the inputs. */
  function mergeInputs(streams: Observable<Item>[]): Observable<Item> {
    if (streams.length === 1) return streams[0]!;
    return new Observable<Item>((sub) => {
      const wms = streams.map(() => Number.NEGATIVE_INFINITY);
      let emitted = Number.NEGATIVE_INFINITY;
      const subs = streams.map((s, i) =>
        s.subscribe({
          next(item) {
            if (item.kind !== "watermark") {
              sub.next(item);
              return;
            }
            wms[i] = item.time;
            let min = wms[0]!;
            for (let j = 1; j < wms.length; j++) if (wms[j]! < min) min = wms[j]!;
            if (min > emitted) {
              emitted = min;
              // the input that moved the minimum usually is the minimum: pass its (immutable) item on
              sub.next(item.time === min ? item : { kind: "watermark", time: min });
            }
          },
          error: (e) => sub.error(e),
        }),
      );
      return () => {
        for (const s of subs) s.unsubscribe();
      };
    });
  }

  function buildPipeline(): void {
    for (const s of pipelineSubs) s.unsubscribe();
    const main = wirePipeline();
    pipelineSubs = main.subs;
    sourceSubjects = main.subjects;
    // A rebuilt pipeline (after a pipeline error) starts at the current watermark: its operators
    // must see redelivered records behind it as late, not hold them for a watermark that already
    // passed (the ack rule takes such records as past retention).
    if (watermark > Number.NEGATIVE_INFINITY) {
      const wm: Item = { kind: "watermark", time: watermark };
      for (const s of sourceSubjects) s.next(wm);
    }
    for (const [name, s] of main.bySource) {
      const f = feedByName.get(name);
      if (f) f.subject = s;
    }
    // Lanes start over too (their keys stay in them): the open messages are redelivered.
    lanes.rewireAll();
    retentionMs = main.maxRetention;
    ackTracker.retentionMs = retentionMs;
    for (const [source, bound] of holdBounds(Object.keys(topology.sources), main.holdSteps)) {
      const f = feedByName.get(source);
      if (f) f.holdUntil = bound;
    }
  }

  /**
   * One instance of the topology's steps and sinks, entered through one subject per source; its
   * side inputs are `sides` (a lane's) or the worker's tables.
   */
  function wirePipeline(sides?: SideSubjects) {
    const subs: Subscription[] = [];
    const subjects: Fanout<Item>[] = [];
    const bySource = new Map<string, Fanout<Item>>();
    const streams = new Map<string, Observable<Item>>();
    for (const name of Object.keys(topology.sources).sort()) {
      const s = new Fanout<Item>();
      subjects.push(s);
      bySource.set(name, s);
      streams.set(name, s);
    }
    const pipelineSubs = subs;
    let maxRetention = 0;
    const holdSteps: HoldStep[] = [];
    const onError = (e: unknown) => {
      pipelineError ??= e;
    };
    /**
     * `from`'s stream as a consumer sees it: through the deferred work where a deferred consumer
     * meets an undeferred producer. A record whose deferred delivery raised a pipeline error names
     * its inputs as the culprits (retried, then dead-lettered), as a failing push does.
     */
    const blame = (item: Item, next: () => void) => {
      const before = pipelineError;
      next();
      if (before !== undefined || pipelineError === undefined || item.kind !== "record") return;
      ackTracker.markFailed(item.ids, pipelineErrorReason(pipelineError));
    };
    /**
     * Watermarks on a deferred edge: a sink ignores them, so they are not queued for it; a step
     * with this one input gets each run of them queued in one turn as one, the latest (see
     * `DeferredWork.later`). Between window closes a steady stream sends a watermark nearly every
     * record, and each would otherwise be a queued delivery through the deferred steps.
     */
    const edge = (from: string, consumerDeferred: boolean, consumer: "sink" | "only-input" | "one-of-inputs") => {
      const s = streams.get(from)!;
      if (!consumerDeferred || deferredStepNames.has(from)) return s;
      return deferred.later(
        s,
        blame,
        consumer === "sink" ? { drop: isWatermark } : consumer === "only-input" ? { coalesce: isWatermark } : {},
      );
    };
    for (const name of topology.order) {
      const step = topology.steps[name]!;
      const op = stepOperator(step, stepContext(name, sides));
      maxRetention = Math.max(maxRetention, operatorInfo(op)?.retentionMs ?? 0);
      holdSteps.push({ name, from: fromNames(step.from), info: operatorInfo(op) });
      const froms = fromNames(step.from);
      const input = mergeInputs(
        froms.map((f) => edge(f, deferredStepNames.has(name), froms.length === 1 ? "only-input" : "one-of-inputs")),
      );
      const out = new Fanout<Item>();
      streams.set(name, out);
      pipelineSubs.push(
        input.pipe(op).subscribe({
          next(item: Item) {
            if (item.kind === "side") routeSide(name, item as never);
            else out.next(item);
          },
          error: onError,
        }),
      );
    }
    for (const [name, sink] of Object.entries(topology.sinks)) {
      const schema = eventSchemas[sink.schema];
      const validate = sink.validate !== false;
      const fastValid = jsonFastCheck(schema);
      for (const f of fromNames(sink.from)) {
        pipelineSubs.push(
          edge(f, sink.deferred === true, "sink").subscribe({
            next(item) {
              if (item.kind === "side") {
                routeSide(f, item as never);
                return;
              }
              if (item.kind !== "record") return;
              const v = item.value;
              // Validated at the edge: the compiled fast path decides valid outputs; anything it
              // cannot decide goes to zod (same verdict, zod's messages).
              if (validate && fastValid(v) === UNDECIDED) {
                const r = schema.safeParse(v);
                if (!r.success) {
                  const issue = r.error.issues[0];
                  const fake = { getData: () => encodeEvent(v) } as unknown as MessageLike;
                  const token = ackTracker.outputStarted();
                  inc(stats.deadLettered, "schema-violation");
                  const dl = toDeadLetter({
                    bytes: fake.getData(),
                    sourceTopic: sink.topic,
                    reason: "schema-violation",
                    message: `output of "${f}" for sink "${name}": ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`,
                    eventTime: item.eventTime,
                  });
                  writer(topology.deadLetters.topic).write({
                    data: encodeEvent(dl),
                    key: item.key,
                    eventId: dl.eventId,
                    eventTime: item.eventTime,
                    done: () => ackTracker.outputConfirmed(token),
                  });
                  return;
                }
              }
              const eventId = sink.eventId ? sink.eventId(v as never) : String((v as { eventId?: unknown }).eventId);
              const key = sink.key ? sink.key(v as never) : item.key;
              const token = ackTracker.outputStarted();
              const handOff = windowHandOff;
              sinkWrites++;
              writer(sink.topic).write({
                data: encodeEvent(v),
                key,
                eventId,
                eventTime: item.eventTime,
                done: (written) => {
                  if (written) inc(stats.out, name);
                  else inc(stats.duplicatesDropped, name);
                  if (written && !Number.isNaN(handOff)) windowOutputConfirmed(handOff);
                  ackTracker.outputConfirmed(token);
                },
              });
            },
            error: onError,
          }),
        );
      }
    }
    return { subs, subjects, bySource, maxRetention, holdSteps };
  }

  // ---- merge ---------------------------------------------------------------------------------
  let pumping = false;
  /**
   * Sink writes so far: the merge yields a microtask after a release that wrote to a sink, once at
   * least `YIELD_AFTER` items were released since the last yield (a topology that writes on every
   * record would otherwise pay a microtask per record).
   */
  let sinkWrites = 0;
  let releasedSinceYield = 0;
  const YIELD_AFTER = 16;
  let pumpQueued = false;
  const queuedPump = () => {
    pumpQueued = false;
    pump();
  };

  function emitWatermark(t: number): void {
    if (t <= watermark) return;
    watermark = t;
    stats.watermark = t;
    const wm: Item = { kind: "watermark", time: t };
    for (const tb of tableList) tb.advance(t);
    // Sinks remember ids for lanes still behind, too.
    if (t < MAX_WM)
      for (const w of dedupWriters) w.forgetBefore(lanes.size > 0 ? lanes.lowestWatermark() : t, dedupHorizonMs);
    asOf(t);
    // Sink outputs written until the push ends are window outputs (stats.windowLatency). No
    // try/finally around the push: in this function it cost measurably (topology bench, spread
    // at 1 s, three alternating rounds), and a push does not throw (operators' errors are routed).
    windowHandOff = performance.now();
    for (let i = 0; i < sourceSubjects.length; i++) sourceSubjects[i]!.next(wm);
    if (lanes.size > 0) lanes.mainWatermark(wm);
    if (virtual) {
      // Replay: virtual time follows the watermark; timers of steps due by then fire now.
      virtual.maxFrames = t;
      virtual.flush();
      afterPush(undefined);
    }
    windowHandOff = Number.NaN;
    asOf(Number.POSITIVE_INFINITY);
    afterPush(undefined);
    if (t >= MAX_WM && lanes.size > 0) lanes.end();
    advanceAcks();
  }

  /**
   * Release the acks a watermark allows. Live, in a task of its own: a window's fire allows the
   * acks of all its messages at once, and that burst should not stand between the decisions just
   * written and their consumers (acks only get later, never earlier; a stop flushes it first).
   * Replays ack at once.
   */
  let acksQueued = false;
  const flushAcks = () => {
    acksQueued = false;
    settleDeferred();
    ackTracker.advance(watermark);
    if (lanes.size > 0) lanes.advanceAcks();
  };
  function advanceAcks(): void {
    if (isReplay) flushAcks();
    else if (!acksQueued) {
      acksQueued = true;
      scheduler.schedule(flushAcks, 0);
    }
  }

  // ---- lanes: keys handed over by a stopped worker (lib/runtime/lanes.ts) ----------------------
  /** The latest event time of a side-input update released so far. */
  let lastSideTime = Number.NEGATIVE_INFINITY;
  const lanes = new Lanes(
    {
      tables: new Map([...tables].map(([name, t]) => [name, t.map])),
      ackTracker,
      watermark: () => watermark,
      lastSideTime: () => lastSideTime,
      allIdle: () => feeds.every((f) => f.idle || f.ended),
      isSource: (name) => feedByName.get(name)?.rank === 1,
      before: (a, sa, b, sb) => before(a, feedByName.get(sa)!, b, feedByName.get(sb)!),
      wire: (sides) => wirePipeline(sides),
      asOf: (t) => asOf(t),
      afterPush: () => afterPush(undefined),
      advanceAcks: () => advanceAcks(),
      push: (subject, m) => push(subject, m),
      pushWatermark: (subjects, wm) => pushWatermark(subjects, wm),
      readSideInput: async (name, onUpdate) => {
        const spec = topology.sideInputs[name]!;
        const reader = await withBackoff(
          () => client.createReader({ topic: spec.topic, startMessageId: binding.MessageId.earliest() }),
          scheduler,
          reconnect,
          () => stats.reconnects++,
        );
        try {
          while (reader.hasNext() && !stopping) {
            const u = sideUpdate(spec, (await reader.readNext()).getData());
            if (u !== undefined) onUpdate(u.key, u.eventTime, u.value);
          }
        } finally {
          await reader.close().catch(() => null);
        }
      },
      stopping: () => stopping,
      failed: () => fatalError !== undefined,
      fail: (e) => fail(e),
      pump: () => pump(),
    },
    {
      graceTicks: Math.max(2, Math.ceil((options.laneGraceMs ?? 30_000) / Math.max(1, idleTimeoutMs / 2))),
      sideInputHistoryMs,
      watermarkIntervalMs,
    },
  );

  /** A side-input update's table key and event time. */
  function sideKeyed(
    spec: Topology<C>["sideInputs"][string],
    v: Record<string, unknown>,
  ): { key: string; eventTime: number; value: Record<string, unknown> } {
    const eventTime = spec.eventTime ? spec.eventTime(v as never) : (v.eventTime as number);
    const key = spec.key ? spec.key(v as never) : defaultKey(v, ["portfolioId", "instrumentId", "universeId"]);
    return { key, eventTime, value: v };
  }

  /** A side-input message as an update (undefined: undecodable or invalid, dead-lettered by the feed). */
  function sideUpdate(spec: Topology<C>["sideInputs"][string], data: Buffer) {
    const r = decodeEvent(eventSchemas[spec.schema], data);
    return r.ok ? sideKeyed(spec, r.value as Record<string, unknown>) : undefined;
  }

  function afterPush(culprit: Inbound | undefined): void {
    if (pipelineError === undefined) return;
    const e = pipelineError;
    pipelineError = undefined;
    const reason = pipelineErrorReason(e);
    if (culprit && !culprit.done) {
      culprit.processed = true;
      culprit.failed = reason;
    }
    ackTracker.failAllProcessed(reason, culprit);
    buildPipeline();
  }

  function release(f: Feed, p: Pending): void {
    if (f.rank === 0) {
      if (p.eventTime - 1 > watermark) emitWatermark(p.eventTime - 1);
      if (p.eventTime > lastSideTime) lastSideTime = p.eventTime;
      const t = tables.get(f.name)!;
      t.map.apply(p.key, p.eventTime, p.value);
      inc(stats.sideInputUpdates, f.name);
      t.subject.next(t.map);
      if (lanes.size > 0) lanes.sideUpdate(f.name, p.key, p.eventTime, p.value);
      return;
    }
    const m = p as Inbound;
    if (m.eventTime - 1 > watermark && m.eventTime - 1 - lastRecordWm >= watermarkIntervalMs) {
      lastRecordWm = m.eventTime - 1;
      emitWatermark(m.eventTime - 1);
    }
    if ((m.seq & 7) === 0) m.t0 = process.hrtime.bigint(); // latency of every 8th message
    if (!processedKeys.has(m.key)) {
      const handOver = finishedRecords?.handedOver(m.key);
      if (handOver !== undefined) {
        lanes.open(m.key, handOver);
        stats.lanes = lanes.opened;
      }
      processedKeys.add(m.key);
    }
    if (m.eventTime > front) front = m.eventTime;
    if (finishedRecords !== undefined && finishedRecords.pending > 0 && finishedRecords.take(m.key, m.id)) {
      // A previous owner finished it (state changes in the changelog, outputs on the topics).
      stats.redeliveredDone++;
      m.value = undefined;
      ackTracker.processed(m);
      return;
    }
    if (lanes.has(m.key)) lanes.receive(f.name, m);
    else push(f.subject!, m);
  }

  /** Push a record into a pipeline instance (the main one or a lane's). */
  function push(subject: Fanout<Item>, m: Inbound): void {
    asOf(m.eventTime);
    const value = m.value;
    m.value = undefined;
    subject.next({ kind: "record", value, eventTime: m.eventTime, key: m.key, ids: [m.id] });
    asOf(Number.POSITIVE_INFINITY);
    if (pipelineError !== undefined) afterPush(m);
    if (!m.done) ackTracker.processed(m);
  }

  /** Keyed state and sink de-duplication sets: both follow a key that moves to this worker. */
  const restorable: { catchUp(): Promise<void> }[] = [];
  /**
   * Records received before the last catch-up started (arrival `seq` below this) are covered by
   * it: whatever a previous owner of their key wrote was on the topics before the broker handed
   * the key here (a graceful stop confirms every write before its consumers close).
   */
  let syncedBelowSeq = 0;

  /**
   * Before the first record of a key new to this worker: catch keyed state and sink
   * de-duplication sets up with their topics (to their current end). One catch-up covers every
   * record received so far.
   *
   * A new key whose first record is older than records this worker already released has most
   * likely moved here from another worker (a key that merely starts is not behind the stream; a
   * late first record is held too, which costs a pause, not a different result): the broker
   * redelivers what that worker had not acked topic by topic (each source has its own consumer),
   * so the merge first holds for `idleTimeoutMs` — the allowance a silent source gets —
   * for the key's messages on every source to arrive. Each feed's buffer keeps its order
   * ({@link enqueueInOrder}), so the key's records are then released in the total order, not in
   * the order their topics handed them over. Replays hold nothing (keys never move).
   */
  function syncStores(first: Pending): boolean {
    const settle = !isReplay && !stopping && first.eventTime < front;
    if (!settle && restorable.length === 0) {
      syncedBelowSeq = seq;
      return false;
    }
    syncingStores = true;
    const resume = () => {
      syncingStores = false;
      pump();
    };
    const catchUp = () => {
      syncedBelowSeq = seq;
      void Promise.all(restorable.map((r) => r.catchUp())).then(
        () => {
          // A key a stopped worker listed has moved here for certain, behind the stream or not.
          if (!settle && !isReplay && !stopping && finishedRecords?.wasHandedOver(first.key)) {
            stats.keyMoveHolds++;
            scheduler.schedule(resume, idleTimeoutMs);
          } else resume();
        },
        (e: Error) => fail(e),
      );
    };
    if (settle) {
      stats.keyMoveHolds++;
      scheduler.schedule(catchUp, idleTimeoutMs);
    } else catchUp();
    return true;
  }

  function pump(): void {
    if (pumping || syncingStores) return;
    pumping = true;
    try {
      for (;;) {
        let best: Feed | undefined;
        let bestItem: Pending | undefined;
        let blocked = false;
        for (let i = 0; i < feeds.length; i++) {
          const f = feeds[i]!;
          if (f.head < f.buf.length) {
            const it = f.buf[f.head]!;
            if (!bestItem || before(it, f, bestItem, best!)) {
              best = f;
              bestItem = it;
            }
          } else if (!drainAll && !f.ended && !f.idle && !f.caughtUp()) {
            blocked = true;
            break;
          }
        }
        if (blocked || !best || !bestItem) break;
        if (
          best.rank === 1 &&
          bestItem.seq >= syncedBelowSeq &&
          !processedKeys.has(bestItem.key) &&
          syncStores(bestItem)
        ) {
          break;
        }
        best.head++;
        if (best.head === best.buf.length) {
          // Drained: reuse the buffer (the usual case when the merge keeps up).
          best.buf.length = 0;
          best.head = 0;
        } else if (best.head > 1024 && best.head * 2 > best.buf.length) {
          best.buf.copyWithin(0, best.head);
          best.buf.length -= best.head;
          best.head = 0;
        }
        const writes = sinkWrites;
        release(best, bestItem);
        if (fatalError) break;
        releasedSinceYield++;
        if (sinkWrites !== writes && releasedSinceYield >= YIELD_AFTER && !draining) {
          releasedSinceYield = 0;
          // Outputs just went to the sinks: let their consumers (and the sinks' confirmations) run
          // before releasing more — a microtask, so only latency changes, never the order.
          if (!pumpQueued) {
            pumpQueued = true;
            queueMicrotask(queuedPump);
          }
          break;
        }
      }
    } finally {
      pumping = false;
    }
    wake();
    checkEnd();
  }

  // ---- backpressure --------------------------------------------------------------------------
  function working(): number {
    return ackTracker.open - ackTracker.heldCount;
  }
  function writersFull(): boolean {
    for (let i = 0; i < writerList.length; i++) if (writerList[i]!.full) return true;
    return false;
  }
  function blockedFeed(f: Feed, cap: number): boolean {
    return size(f) >= cap || working() - lanes.buffered >= maxInFlight || writersFull();
  }
  function wake(): void {
    if (isReplay) checkEnd();
    if (resumeWaiters.length === 0) return;
    const w = resumeWaiters;
    resumeWaiters = [];
    for (const r of w) r();
  }
  function waitResume(): Promise<void> {
    return new Promise((r) => resumeWaiters.push(r));
  }

  function reviveFeed(source: string): void {
    const f = feedByName.get(source);
    if (f?.ended && isReplay) {
      f.ended = false;
      void receiveLoop(f, topology.sources[source]!.subscription?.receiverQueueSize ?? 1000);
    }
  }

  // ---- receiving -----------------------------------------------------------------------------
  function onMessage(f: Feed, consumer: ConsumerLike, msg: MessageLike): void {
    const spec = topology.sources[f.name]!;
    inc(stats.in, f.name);
    stats.inFlight++;
    const data = msg.getData();
    // The schema's compiled byte decoder decides the common message; anything it leaves
    // undecided takes decodeEvent's general path (same verdict, zod's messages).
    let v = f.decode!(data) as Record<string, unknown>;
    if ((v as unknown) === UNDECIDED) {
      const r = decodeEvent(f.schema!, data);
      if (!r.ok) {
        deadLetter(
          msg,
          spec.topic,
          r.reason,
          r.message,
          Math.max(0, watermark),
          () => {
            stats.acked++;
            stats.inFlight--;
            ignoreRejection(consumer.acknowledge(msg));
            wake();
          },
          r.issues,
        );
        return;
      }
      v = r.value as Record<string, unknown>;
    }
    const eventTime = spec.eventTime ? spec.eventTime(v as never) : (v.eventTime as number);
    const key = spec.key ? spec.key(v as never) : typeof v.portfolioId === "string" ? v.portfolioId : "";
    const id = String(v.eventId);
    const original = f.held?.originalOf(key, id, eventTime, msg);
    if (original !== undefined) {
      // The first copy's ack or nack stands for this one (and is repeated on its consumer).
      if (original.consumer !== consumer) (original.copies ??= []).push({ msg, consumer });
      stats.inFlight--;
      stats.duplicateDeliveries++;
      return;
    }
    const m = new Inbound(
      msg,
      consumer,
      f.name,
      id,
      key,
      eventTime,
      v,
      f.holdUntil(eventTime),
      msg.getRedeliveryCount(),
      seq++,
    );
    ackTracker.register(m);
    enqueueInOrder(f.buf, f.head, m);
  }

  async function receiveLoop(f: Feed, cap: number): Promise<void> {
    let consumer = consumers.get(f.name)!;
    let failures = 0;
    while (!stopping && !fatalError) {
      const endable = consumer as { hasReachedEndOfTopic?: () => boolean };
      if (endable.hasReachedEndOfTopic?.()) {
        f.ended = true;
        pump();
        return;
      }
      if (blockedFeed(f, cap)) {
        await waitResume();
        continue;
      }
      let msg: MessageLike | undefined;
      let batch: MessageLike[] | undefined;
      try {
        f.receiving = true;
        if (batchReceive && consumer.batchReceive) {
          // An empty batch (timed out) took nothing: ask again at once, still receiving — a feed
          // waiting on the broker is not held back by backpressure and may become idle.
          do batch = await consumer.batchReceive();
          while (batch.length === 0 && !stopping);
        } else msg = await consumer.receive();
        f.receiving = false;
        failures = 0;
      } catch (e) {
        f.receiving = false;
        if (stopping) return;
        if (endable.hasReachedEndOfTopic?.()) continue;
        // Broker error: back off, re-subscribe if the consumer lost its connection.
        stats.reconnects++;
        failures++;
        if (failures >= (reconnect.maxAttempts ?? 20)) {
          fail(new Error(`source ${f.name}: receive failed ${failures} times: ${(e as Error).message}`));
          return;
        }
        await new Promise<void>((r) =>
          scheduler.schedule(
            () => r(),
            Math.min(reconnect.maxDelayMs ?? 5000, (reconnect.initialDelayMs ?? 50) * 2 ** (failures - 1)),
          ),
        );
        if (!consumer.isConnected() && !stopping) {
          try {
            consumer = await subscribe(f.name);
            consumers.set(f.name, consumer);
          } catch (e2) {
            fail(e2 as Error);
            return;
          }
        }
        continue;
      }
      if (stopping) return; // left unacked: the broker redelivers it to the next owner
      // Let timers and I/O run now and then (a prefetched queue resolves receives as microtasks).
      if (f.activity - f.yieldedAt >= 256) {
        f.yieldedAt = f.activity;
        await yieldToEventLoop();
      }
      if (batch) {
        f.activity += batch.length;
        f.idle = false;
        for (let i = 0; i < batch.length; i++) onMessage(f, consumer, batch[i]!);
      } else {
        f.activity++;
        f.idle = false;
        onMessage(f, consumer, msg!);
      }
      pump();
    }
  }

  async function sideLoop(f: Feed, reader: ReaderLike, cap: number): Promise<void> {
    const spec = topology.sideInputs[f.name]!;
    while (!stopping && !fatalError) {
      if (!reader.hasNext()) {
        if ((reader as { hasReachedEndOfTopic?: () => boolean }).hasReachedEndOfTopic?.()) {
          f.ended = true;
          pump();
          return;
        }
      }
      if (size(f) >= cap) {
        await waitResume();
        continue;
      }
      let msg: MessageLike;
      try {
        msg = await reader.readNext();
      } catch (e) {
        if (stopping) return;
        if ((reader as { hasReachedEndOfTopic?: () => boolean }).hasReachedEndOfTopic?.()) continue;
        stats.reconnects++;
        fail(new Error(`side input ${f.name}: ${(e as Error).message}`));
        return;
      }
      f.activity++;
      const r = decodeEvent(eventSchemas[spec.schema], msg.getData());
      if (!r.ok) {
        deadLetter(msg, spec.topic, r.reason, r.message, Math.max(0, watermark), () => undefined, r.issues);
      } else {
        const u = sideKeyed(spec, r.value as Record<string, unknown>);
        enqueueInOrder(f.buf, f.head, { eventTime: u.eventTime, key: u.key, seq: seq++, value: u.value });
      }
      pump();
    }
  }

  function subscribe(name: string): Promise<ConsumerLike> {
    const spec = topology.sources[name]!;
    const sub = spec.subscription ?? {};
    const type: SubscriptionType = sub.type ?? "KeyShared";
    return withBackoff(
      () =>
        client.subscribe({
          topic: spec.topic,
          subscription: sub.name ?? `${topology.name}.${name}`,
          subscriptionType: type,
          subscriptionInitialPosition: sub.initialPosition ?? "Earliest",
          receiverQueueSize: sub.receiverQueueSize ?? 1000,
          ackTimeoutMs: sub.ackTimeoutMs ?? 0,
          nAckRedeliverTimeoutMs: sub.nAckRedeliverTimeoutMs ?? 100,
          ...(batchReceive
            ? {
                batchReceivePolicy: {
                  maxNumMessages: batchReceive.maxNumMessages,
                  maxNumBytes: -1,
                  timeoutMs: batchReceive.timeoutMs,
                },
              }
            : {}),
          // One consumer name per worker on every subscription: Pulsar places KeyShared consumers
          // on its hash ring by name, so equal names make every source topic split the keys the
          // same way and all of a portfolio's inputs reach the same worker.
          consumerName: workerId,
          // Safety net for messages the runtime never decides on (a worker crashing on them):
          // one delivery beyond the runtime's own limit, then the broker dead-letters the raw bytes.
          deadLetterPolicy: {
            deadLetterTopic: topology.deadLetters.topic,
            maxRedeliverCount: (sub.maxRedeliverCount ?? 3) + 1,
          },
        }),
      scheduler,
      reconnect,
      () => stats.reconnects++,
      () => stopping,
    );
  }

  // ---- idle detection (live) -----------------------------------------------------------------
  function idleTick(): void {
    if (finished) return;
    lanes.tick();
    for (const f of feeds) {
      if (f.activity === f.lastSeenActivity && size(f) === 0 && (f.receiving || f.rank === 0)) {
        if (++f.quietTicks >= 2) f.idle = true;
      } else f.quietTicks = 0;
      f.lastSeenActivity = f.activity;
    }
    pump();
    if (
      options.stopWhenIdle &&
      !stopping &&
      feeds.every((f) => f.idle || f.ended) &&
      feeds.every((f) => size(f) === 0) &&
      working() === 0 &&
      lanes.loading === 0 &&
      [...writers.values()].every((w) => w.pending === 0)
    ) {
      endReason = "idle";
      void stopInternal(finalWatermark, false);
      return;
    }
    idleTimer = scheduler.schedule(idleTick, Math.max(1, idleTimeoutMs / 2));
  }

  function checkEnd(): void {
    if (!isReplay || stopping || feeds.length === 0) return;
    if (feeds.every((f) => f.ended && size(f) === 0) && working() === 0) {
      endReason = "end-of-replay";
      void stopInternal(finalWatermark, false);
    }
  }

  // ---- start / stop --------------------------------------------------------------------------
  /** A {@link TopicTail} on `topic` from its earliest message (reopened after the last one read). */
  async function topicTail(topic: string): Promise<TopicTail> {
    const open = (after: MessageIdLike | undefined) =>
      withBackoff(
        () => client.createReader({ topic, startMessageId: after ?? binding.MessageId.earliest() }),
        scheduler,
        reconnect,
        () => stats.reconnects++,
      );
    return new TopicTail(await open(undefined), open);
  }

  /** A writer for a topic the runtime keeps itself (changelogs, finished records): no de-duplication, no capture. */
  async function runtimeWriter(topic: string): Promise<TopicWriter> {
    const producer = await withBackoff(
      () =>
        client.createProducer({
          topic,
          producerName: `${topology.name}.${workerId}.${topic}`,
          blockIfQueueFull: false,
        }),
      scheduler,
      reconnect,
      () => stats.reconnects++,
    );
    const w = new TopicWriter(topic, producer, undefined, {
      maxPending: 1000,
      scheduler,
      reconnect,
      topologyId,
      capture: undefined,
      onRetry: () => stats.reconnects++,
      onFatal: fail,
    });
    writers.set(topic, w);
    writerList.push(w);
    return w;
  }

  async function start(): Promise<void> {
    const topics = new Set<string>([topology.deadLetters.topic]);
    for (const s of Object.values(topology.sinks)) topics.add(s.topic);
    for (const r of Object.values(topology.sideOutputs)) if (r !== "absorb") topics.add(r.topic);
    const dedupTopics = new Set(Object.values(topology.sinks).map((s) => s.topic));
    for (const topic of topics) {
      const producer = await withBackoff(
        () =>
          client.createProducer({
            topic,
            producerName: `${topology.name}.${workerId}.${topic}`,
            blockIfQueueFull: false,
            maxPendingMessages: 10_000,
            sendTimeoutMs: 30_000,
          }),
        scheduler,
        reconnect,
        () => stats.reconnects++,
      );
      const tail = dedupTopics.has(topic) ? await topicTail(topic) : undefined;
      const sinkSpec = Object.values(topology.sinks).find((s) => s.topic === topic);
      const w = new TopicWriter(topic, producer, tail, {
        maxPending: sinkSpec?.maxPendingSends ?? 1000,
        scheduler,
        reconnect,
        topologyId,
        capture,
        onRetry: () => stats.reconnects++,
        onFatal: fail,
      });
      await w.open();
      writers.set(topic, w);
      writerList.push(w);
      if (tail) {
        restorable.push(w);
        dedupWriters.push(w);
      }
    }
    for (const stepName of topology.order) {
      for (const stateName of topology.steps[stepName]!.state ?? []) {
        const topic = changelogTopic(topology, stepName, stateName);
        const w = await runtimeWriter(topic);
        const tail = await topicTail(topic);
        const st = new ChangelogState<unknown>(
          topic,
          w,
          tail,
          processedKeys,
          {
            started: () => ackTracker.outputStarted(),
            confirmed: (token) => ackTracker.outputConfirmed(token),
          },
          workerId,
        );
        await st.catchUp();
        stores.set(`${stepName}/${stateName}`, st);
        restorable.push(st);
      }
    }
    for (const [name, si] of Object.entries(topology.sideInputs).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const reader = await withBackoff(
        () => client.createReader({ topic: si.topic, startMessageId: binding.MessageId.earliest() }),
        scheduler,
        reconnect,
        () => stats.reconnects++,
      );
      readers.push(reader);
      const f = newFeed(name, 0, () => !reader.hasNext());
      feeds.push(f);
      feedByName.set(name, f);
    }
    for (const name of Object.keys(topology.sources).sort()) {
      consumers.set(name, await subscribe(name));
      const f = newFeed(name, 1, () => false, eventSchemas[topology.sources[name]!.schema]);
      feeds.push(f);
      feedByName.set(name, f);
    }
    // After the feeds exist: each source feed holds its pipeline entry.
    buildPipeline();
    // Keyed state or windows: what a stopping worker finished and where it was (see FinishedRecords).
    if ((stores.size > 0 || retentionMs > 0) && !isReplay) {
      const topic = finishedTopic(topology);
      finishedRecords = new FinishedRecords(
        topic,
        await runtimeWriter(topic),
        await topicTail(topic),
        processedKeys,
        options.finishedRecordsKept ?? 65_536,
        workerId,
      );
      await finishedRecords.catchUp();
      restorable.push(finishedRecords);
      for (const f of feeds) if (f.rank === 1) f.held = new HeldCopies(f.name, ackTracker);
    }
    for (const f of feeds) {
      if (f.rank === 0) void sideLoop(f, readers[feeds.indexOf(f)]!, 10_000);
      else void receiveLoop(f, topology.sources[f.name]!.subscription?.receiverQueueSize ?? 1000);
    }
    if (!isReplay) idleTimer = scheduler.schedule(idleTick, Math.max(1, idleTimeoutMs / 2));
  }

  let stopPromise: Promise<RunSummary> | undefined;
  let starting: Promise<void> = Promise.resolve();
  /**
   * Stop: stop receiving, release what the merge can still release, flush sinks, ack, close.
   * `handOver` (a `stop()`, a failure): the topics go on, and another worker takes this one's keys,
   * so the merge keeps its rule — a record is released only while every source has a buffered
   * record (or is idle): a source's later records, not received here, may precede it. What stays
   * buffered is left unacked and handed back to the broker with the consumers (`stats.handedBack`),
   * so the next owner of a key continues it in order. Otherwise (end of a replay, an idle stream)
   * everything received is released.
   */
  function stopInternal(withFinalWatermark: boolean, handOver = true): Promise<RunSummary> {
    stopPromise ??= (async () => {
      stopping = true;
      idleTimer?.unsubscribe();
      wake();
      await starting;
      idleTimer?.unsubscribe();
      wake();
      // Finish in-flight work: release what the merge may (after any state restore; see above).
      while (syncingStores && !fatalError) await yieldToEventLoop();
      draining = true;
      drainAll = !handOver;
      pump();
      if (withFinalWatermark && !fatalError) emitWatermark(MAX_WM);
      for (;;) {
        settleDeferred();
        await Promise.all([...writers.values()].map((w) => w.idle()));
        await yieldToEventLoop();
        if (deferred.size === 0 && [...writers.values()].every((w) => w.pending === 0)) break;
      }
      if (acksQueued) flushAcks();
      await Promise.all([...writers.values()].map((w) => w.idle()));
      // Before the keys move: list what this worker finished, in case acks just sent get lost.
      if (handOver && finishedRecords !== undefined && !fatalError) {
        const openSources = new Map<string, Set<string>>();
        for (const m of ackTracker.openMessages()) {
          let set = openSources.get(m.key);
          if (set === undefined) openSources.set(m.key, (set = new Set()));
          set.add(m.source);
        }
        finishedRecords.write((key) => lanes.watermarkOf(key), processedKeys, openSources);
        await writers.get(finishedRecords.topic)!.idle();
      }
      // What is still open — held for retention, or buffered where the merge could not release
      // it — stays unacked, and closing the consumers hands it back to the broker. All at once:
      // the broker hands each topic's unacked messages over as its consumer closes, and the worker
      // taking a key over holds its merge for them (see syncStores).
      await Promise.all([...consumers.values()].map((c) => c.close().catch(() => null)));
      // Buffered, or released and held for an open window: the broker redelivers them.
      stats.handedBack += ackTracker.open;
      stats.inFlight -= ackTracker.open;
      for (const r of readers) await r.close().catch(() => null);
      for (const st of stores.values()) await st.close();
      await finishedRecords?.close();
      for (const w of writers.values()) await w.close();
      for (const s of pipelineSubs) s.unsubscribe();
      lanes.close();
      if (ownsClient) await client.close().catch(() => null);
      finished = true;
      const summary: RunSummary = {
        stats,
        topologyHash: hash,
        reason: endReason,
        ...(fatalError ? { error: fatalError } : {}),
      };
      resolveDone(summary);
      return summary;
    })();
    return stopPromise;
  }

  starting = start().catch((e: Error) => fail(e));
  return {
    stats,
    topologyHash: hash,
    done,
    get captured() {
      return capture ?? [];
    },
    stop: () => stopInternal(false),
  };
}
