import type { SchedulerLike } from "rxjs";
import type { PulsarBinding } from "../transports/pulsar-client-like.js";

/** One recorded message (the shape of `examples/recordings`' lines, payload as bytes). */
export interface ReplayMessage {
  readonly topic: string;
  readonly data: Uint8Array;
  readonly key: string;
  readonly eventTime: number;
  /** Virtual publish time; default `eventTime`. */
  readonly publishTime?: number;
  readonly properties?: Readonly<Record<string, string>>;
}

/**
 * Feed a recording through the runtime: an in-memory binding whose topics are the recording's
 * messages in order (each topic ends — "reached end of topic" — after its last message), on
 * virtual time, with every sink output captured for byte-identical comparison.
 */
export interface ReplayTransport {
  readonly kind: "replay";
  readonly messages: readonly ReplayMessage[];
}

/** A sink output (or dead letter / side output) as written: topic, key, event id, bytes. */
export interface CapturedOutput {
  readonly topic: string;
  readonly key: string;
  readonly eventId: string;
  readonly eventTime: number;
  readonly data: Buffer;
}

export interface ReconnectOptions {
  /** First retry delay; default 50 ms. Doubles per attempt. */
  readonly initialDelayMs?: number;
  /** Cap of the delay; default 5000 ms. */
  readonly maxDelayMs?: number;
  /** Give up (the run fails) after this many consecutive failures; default 20. */
  readonly maxAttempts?: number;
}

export interface RunOptions {
  /** `"embedded"` (default: a fresh in-process broker), a {@link PulsarBinding}, or a {@link ReplayTransport}. */
  readonly transport?: PulsarBinding | "embedded" | ReplayTransport;
  /**
   * Scheduler for timers (idle detection, reconnect backoff) and for step builders' `ctx.scheduler`.
   * Default: `asyncScheduler` on a live transport, a `VirtualTimeScheduler` on a replay (advanced to
   * each watermark, so step timers fire in event time). The runtime's own timers never decide what
   * an output contains, only when a silent source stops holding back the merge, and backoff.
   */
  readonly scheduler?: SchedulerLike;
  /** Run configuration; parsed with the topology's `config` schema (defaults applied). */
  readonly config?: unknown;
  /** Worker name (consumer names, logs); default `worker-0`. */
  readonly workerId?: string;
  /**
   * Max messages received but not yet processed to the end (merge buffer + outputs awaiting their
   * sinks); receiving pauses at the cap. Messages held only for operator retention do not count.
   * Default 10 000.
   */
  readonly maxInFlight?: number;
  /**
   * Receive sources in batches — `Consumer.batchReceive()` under this policy, where the consumer
   * has it (pulsar-client, the embedded broker; others fall back to `receive()`) — instead of one
   * `receive()` per message: one promise round trip per batch. A batch completes at once when the
   * receiver queue already holds `maxNumMessages`, so a saturated source (a replay, a backlog)
   * pays nothing for it; a source below that rate waits up to `timeoutMs` per batch, which is
   * latency. Default: off. Receiving may overshoot `maxInFlight` / `receiverQueueSize` by one batch.
   */
  readonly batchReceive?: { readonly maxNumMessages: number; readonly timeoutMs: number };
  /** A live source silent this long no longer holds back the merge; default 200 ms (scheduler time). */
  readonly idleTimeoutMs?: number;
  /**
   * Stop by itself once every source has been idle for `idleTimeoutMs` and nothing is in flight
   * (useful for tests and for running over pre-published topics). A replay always stops at its end.
   */
  readonly stopWhenIdle?: boolean;
  /**
   * At a self-stop (end of replay, `stopWhenIdle`): emit a final watermark at +∞ first, so windows
   * flush. Default true. `stop()` called by the user never does this (see {@link RunHandle.stop}).
   */
  readonly finalWatermark?: boolean;
  /**
   * Side tables answer reads as of the event time being processed; they keep this much history
   * behind the watermark for records that arrive late or redelivered. Default 3 600 000 (1 h).
   */
  readonly sideInputHistoryMs?: number;
  /**
   * Sinks remember written event ids this long (event time) behind the watermark; must exceed
   * the longest a message can stay unacked (operator retention + in-flight). Default 86 400 000 (1 day).
   */
  readonly dedupHorizonMs?: number;
  /**
   * Topologies with keyed state: how many of the last acked records a graceful stop lists for the
   * next owners of its keys, so that a redelivery caused by acks lost as the consumers close is
   * recognized instead of being applied to the state twice. Default 65 536.
   */
  readonly finishedRecordsKept?: number;
  /**
   * A key handed over by a stopped worker runs on a lane with its own watermark (see the
   * runtime), because the broker can deliver a moved key's messages long after newer messages of
   * other keys on the same topic (Pulsar's Key_Shared dispatcher replays them apart). The lane
   * takes this worker's watermark once none of its records came behind that watermark for this
   * long, or once every source is idle and its keys were quiet. Default 30 000 ms (scheduler time).
   */
  readonly laneGraceMs?: number;
  readonly reconnect?: ReconnectOptions;
  /** Called with each sampled message's latency (ns, hand-off to ack; every 8th message) — for benchmarks and metrics. */
  readonly onLatency?: (ns: number) => void;
  /**
   * Called with the latency of each window output (ns): from the hand-off of the watermark whose
   * push produced it to the sink's confirmation — see `RuntimeStats.windowLatency`.
   */
  readonly onWindowLatency?: (ns: number) => void;
  /** Keep every sink output, side-output message and dead letter in `handle.captured`. Default: replay only. */
  readonly capture?: boolean;
}

/** Live counters of a run (the object is updated in place). */
export interface RuntimeStats {
  /** Messages received, by source name (side-input reads are in `sideInputUpdates`). */
  readonly in: Record<string, number>;
  /** Records written, by sink name (after de-duplication). */
  readonly out: Record<string, number>;
  /** Outputs dropped by a sink because their event id was already written. */
  readonly duplicatesDropped: Record<string, number>;
  /** Dead letters written, by reason. */
  readonly deadLettered: Record<string, number>;
  /** Side outputs, by tag (routed or absorbed). */
  readonly sideOutputs: Record<string, number>;
  readonly sideInputUpdates: Record<string, number>;
  acked: number;
  nacked: number;
  /** Received, not yet acked or nacked (includes messages held for retention). */
  inFlight: number;
  reconnects: number;
  /**
   * Times the merge held for a key that moved here from a stopped worker (its first record was
   * behind the records already released), waiting for the key's messages on every source.
   */
  keyMoveHolds: number;
  /**
   * Lanes opened for keys handed over from behind this worker's watermark (their own pipeline
   * instance and watermark until they catch up; see the runtime's lanes).
   */
  lanes: number;
  /**
   * Redelivered records a previous owner of their key had finished (its acks were lost as its
   * consumers closed; it listed them when it stopped): acked here without being processed again.
   */
  redeliveredDone: number;
  /**
   * Messages the broker delivered again while this worker still held them (received, not acked or
   * negatively acked yet): dropped, the first copy's ack or nack stands for both. Pulsar delivers at
   * least once, and a real broker's Key_Shared dispatcher was seen sending a run of messages twice.
   */
  duplicateDeliveries: number;
  /**
   * Messages still open when `stop()` ended the run — received but not released (a source's later
   * records, not received here, could precede them), or released and held for a window that has
   * not fired: left unacked, the broker redelivers them to the next owner.
   */
  handedBack: number;
  /** Current watermark. */
  watermark: number;
  /**
   * Processing latency, ns, from the moment a message was handed to the pipeline to its ack (every
   * output confirmed), sampled on every 8th message (wall clock via `process.hrtime`, statistics
   * only — never on the decision path).
   */
  readonly latency: LatencyStats;
  /**
   * Latency of window outputs, ns: from the moment the runtime handed a watermark to the pipeline
   * to the broker's confirmation of each sink output written while that watermark was pushed —
   * what closing a window takes end to end, without the time the window waited for its end
   * (firing, the steps after it, encoding, the broker's confirmation). Counted: every such output
   * written to a sink that is not `deferred`. Not counted: a deferred sink's outputs (written after
   * the push, in a task of its own), outputs dropped as duplicates, and outputs of record pushes
   * (not window outputs). Wall clock (`performance.now()`), statistics only — never on the
   * decision path.
   */
  readonly windowLatency: LatencyStats;
}

/** Latency statistics of a run, ns: samples so far and percentiles over them. */
export interface LatencyStats {
  count: number;
  p50: () => number;
  p99: () => number;
  max: () => number;
}

export interface RunSummary {
  readonly stats: RuntimeStats;
  /** The topology hash used in lineage (`topologyHash(topology, config)`). */
  readonly topologyHash: string;
  /** Why the run ended. */
  readonly reason: "stopped" | "end-of-replay" | "idle" | "failed";
  readonly error?: Error;
}

export interface RunHandle {
  readonly stats: RuntimeStats;
  readonly topologyHash: string;
  /** Resolves when the run has ended (after drain and close); rejects never — see `reason`. */
  readonly done: Promise<RunSummary>;
  /** Outputs captured so far (when capture is on), in write order. */
  readonly captured: readonly CapturedOutput[];
  /**
   * Graceful drain: stop receiving, process what the merge may still release (a record only while
   * every source has one buffered: another source's later records could precede it), flush the
   * sinks, ack what may be acked, close consumers, producers, readers (and the embedded broker if
   * the run created it). Messages still held for operator retention (open windows) and received
   * records the merge could not release (`stats.handedBack`) stay unacked, so the broker hands them
   * to the next owner of their key, which continues it in order. Resolves with the summary.
   */
  stop(): Promise<RunSummary>;
}

/** Re-exported for convenience: the JSON of a side output routed to a topic. */
export type { SideOutputMessage } from "../topology/types.js";
