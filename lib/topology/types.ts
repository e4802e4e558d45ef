/**
 * The topology DSL: a topology is plain typed data — sources, side inputs, steps, sinks and the
 * routing of side outputs — that can be validated, printed ({@link describe}), hashed and run
 * ({@link run} in `lib/runtime`).
 *
 * ```ts
 * const t = defineTopology({
 *   name: "echo", version: "1",
 *   sources: { signals: { topic: "signals", schema: "TradingSignalEvent" } },
 *   sideInputs: { prices: { topic: "md", schema: "NormalizedMarketDataEvent", key: (m) => m.instrumentId } },
 *   steps: {
 *     strong: { from: "signals", use: filterRecords((s: TradingSignalEvent) => s.strength > 0.5, "weak") },
 *     priced: { from: "strong", sideInputs: ["prices"], build: (ctx) => withPrices(ctx.sideInput("prices")) },
 *   },
 *   sinks: { out: { from: "priced", topic: "decisions", schema: "CoordinatedTradingDecisionEvent" } },
 *   sideOutputs: { rejected: { topic: "rejected" }, duplicate: "absorb" },
 *   deadLetters: { topic: "dead-letters" },
 * });
 * ```
 *
 * Names: sources, side inputs, steps and sinks share one namespace; a step's `from` names a source
 * or another step (several names = their streams merged, records in arrival order, watermark = the
 * minimum over the inputs). Steps form a DAG.
 *
 * @module
 */
import type { Observable, SchedulerLike } from "rxjs";
import type { z } from "zod";
import type { EventName, EventOf } from "../events/registry.js";
import type { StreamOperator } from "../stream/operator.js";
import type { InitialPosition, SubscriptionType } from "../transports/pulsar-client-like.js";

/** Subscription settings of a source (pulsar-client's consumer options, the ones the runtime uses). */
export interface SubscriptionSpec {
  /** Subscription name; default `<topology name>.<source name>`. */
  readonly name?: string;
  /** Default `KeyShared` (keyed by the source's key, i.e. portfolioId) so N workers split the keys. */
  readonly type?: SubscriptionType;
  /** Default `Earliest`. */
  readonly initialPosition?: InitialPosition;
  /** Consumer prefetch; default 1000. The runtime caps its own in-flight work separately. */
  readonly receiverQueueSize?: number;
  /** Deliveries before a message that keeps failing an operator is dead-lettered; default 3. */
  readonly maxRedeliverCount?: number;
  /** Redelivery delay after a negative ack; default 100 ms (the broker's timer, not the runtime's). */
  readonly nAckRedeliverTimeoutMs?: number;
  /** Ack timeout; default 0 (off: the runtime holds acks on purpose until outputs are confirmed). */
  readonly ackTimeoutMs?: number;
}

/**
 * A topic consumed as a stream. Values are decoded (bytes → JSON → the named schema); bad messages
 * become `DeadLetterEvent`s. Methods are written as methods so a spec for one event type is
 * assignable to the general one.
 */
export interface SourceSpec<N extends EventName = EventName> {
  readonly topic: string;
  /** Event schema name from `eventSchemas`. */
  readonly schema: N;
  readonly subscription?: SubscriptionSpec;
  /** Record key; default `value.portfolioId` (validation requires `key` when the schema has none). */
  key?(value: EventOf<N>): string;
  /** Event time (epoch ms); default `value.eventTime`. */
  eventTime?(value: EventOf<N>): number;
  readonly description?: string;
}

/**
 * A latest-by-key table fed from a topic. Every worker reads the whole topic with a Reader from
 * earliest; updates are applied in event-time order, before any record with an event time at or
 * after theirs. Steps see it through {@link StepContext.sideInput}.
 */
export interface SideInputSpec<N extends EventName = EventName> {
  readonly topic: string;
  readonly schema: N;
  /** Table key; default `portfolioId`, else `instrumentId`, else `universeId` of the value. */
  key?(value: EventOf<N>): string;
  /** Event time (epoch ms); default `value.eventTime`. */
  eventTime?(value: EventOf<N>): number;
  readonly description?: string;
}

/** What a step builder receives. */
export interface StepContext<C = unknown> {
  readonly topology: { readonly name: string; readonly version: string; readonly hash: string };
  /** The validated run configuration (the topology's `config` schema applied to `run`'s `config`). */
  readonly config: C;
  /** Injected scheduler (virtual time in replays). */
  readonly scheduler: SchedulerLike;
  readonly workerId: string;
  /**
   * The live table of a side input declared in the step's `sideInputs`. It emits the table on
   * subscription and after every update; the map object is the live table (read it at use time —
   * it only changes between items, in event-time order). Unknown or undeclared names throw.
   */
  sideInput<V = unknown>(name: string): Observable<ReadonlyMap<string, V>>;
  /**
   * A per-key state table declared in the step's `state`, persisted in a changelog topic
   * (`<changelogPrefix><step>-<name>`) and restored from it with a Reader: at start, and before
   * the first record of a key this worker has not processed yet (a key that moved here from a
   * stopped worker). Values must be JSON-serializable. Call `set` while handling a record: the
   * write joins that record's lineage, so its input is acked only after the change is persisted.
   */
  keyedState<S>(name: string): KeyedState<S>;
}

/** Per-key state of a step (see {@link StepContext.keyedState}). */
export interface KeyedState<S> {
  get(key: string): S | undefined;
  set(key: string, value: S): void;
}

// biome-ignore lint/suspicious/noExplicitAny: steps are heterogeneous; schemas are checked by name.
export type AnyStreamOperator = StreamOperator<any, any>;

interface StepCommon {
  /** Source or step name(s) this step consumes. */
  readonly from: string | readonly string[];
  /** Side inputs the builder may read (validated; {@link StepContext.sideInput} refuses others). */
  readonly sideInputs?: readonly string[];
  /** Schema of the values this step consumes, when it is an event (checked against its inputs). */
  readonly inputSchema?: EventName;
  /** Schema of the values this step emits, when it is an event (checked against its consumers). */
  readonly outputSchema?: EventName;
  /** Names of the per-key state tables the builder uses ({@link StepContext.keyedState}). */
  readonly state?: readonly string[];
  /** Side-output tags emitted beyond the operator's `describeOperator` metadata. */
  readonly sideOutputs?: readonly string[];
  readonly description?: string;
}

/** A step using a ready operator (a bundled one, or any `OperatorFunction` over `StreamItem`). */
export interface OperatorStep extends StepCommon {
  readonly use: AnyStreamOperator;
}

/** A step whose operator is built per run from the context (side inputs, config, scheduler). */
export interface BuilderStep<C = unknown> extends StepCommon {
  build(ctx: StepContext<C>): AnyStreamOperator;
}

export type StepSpec<C = unknown> = OperatorStep | BuilderStep<C>;

/**
 * A topic the records of one or more steps are written to. Every record's value is validated
 * against the schema (unless `validate: false`) and sent with its event id; the sink drops an
 * output whose event id it has already written (effectively-once under redelivery).
 */
export interface SinkSpec<N extends EventName = EventName> {
  readonly from: string | readonly string[];
  readonly topic: string;
  readonly schema: N;
  /** Partition key of the produced message; default the record's key. */
  key?(value: EventOf<N>): string;
  /** Event id used for de-duplication; default `value.eventId`. */
  eventId?(value: EventOf<N>): string;
  /** Validate values against the schema before sending; default true. */
  readonly validate?: boolean;
  /** Max sends in flight per sink (the runtime never uses `blockIfQueueFull`); default 1000. */
  readonly maxPendingSends?: number;
  /**
   * Off the latency path: written in a task right after the turn that produced it, after the
   * outputs that are not deferred (audit and analytics sinks). Steps that feed only deferred sinks
   * and read no side input or keyed state run then too. Outputs are the same; acks still wait for
   * them. Default false. See `DeferredWork` in lib/runtime/deferred.ts.
   */
  readonly deferred?: boolean;
  readonly description?: string;
}

/**
 * Where a side output goes: a topic (JSON {@link SideOutputMessage}), or absorbed (acked, counted).
 * `deferred: true` writes it off the latency path, like a deferred sink (`SinkSpec.deferred`): in a
 * task right after the turn that set it aside, after the outputs that are not deferred, in the
 * order the side outputs were set aside. What is written is the same; acks still wait for it.
 * Default false: written at once, by the step that sets it aside.
 */
export type SideOutputRoute = { readonly topic: string; readonly deferred?: boolean } | "absorb";

/** The JSON written for a side output routed to a topic. */
export interface SideOutputMessage {
  readonly tag: string;
  readonly reason: string;
  readonly step: string;
  readonly key: string;
  readonly eventTime: number;
  readonly ids: readonly string[];
  readonly value: unknown;
}

/**
 * Reserved side-output tag for a record an operator failed on (the record-level helpers
 * {@link mapRecords} / {@link filterRecords} emit it when the user function throws). The runtime
 * handles it itself: negative ack of the record's input messages, and after `maxRedeliverCount`
 * a `DeadLetterEvent` (reason `operator-failure`). It needs no route.
 */
export const FAILED_TAG = "failed";

export interface TopologySpec<C = unknown> {
  readonly name: string;
  /** Part of the topology hash and of every decision's lineage. */
  readonly version: string;
  readonly description?: string;
  readonly sources: Readonly<Record<string, SourceSpec>>;
  readonly sideInputs?: Readonly<Record<string, SideInputSpec>>;
  readonly steps: Readonly<Record<string, StepSpec<C>>>;
  readonly sinks: Readonly<Record<string, SinkSpec>>;
  /**
   * Routing of side outputs, by tag (`"late"`) or by step and tag (`"dedup.late"`, which wins).
   * Every tag a step can emit (operator metadata + the step's `sideOutputs`) must be routed.
   */
  readonly sideOutputs?: Readonly<Record<string, SideOutputRoute>>;
  /** Prefix of changelog topics of keyed state; default `<name>-changelog-`. */
  readonly changelogPrefix?: string;
  /** Topic for `DeadLetterEvent`s (bad bytes, invalid values, operator failures). */
  readonly deadLetters: { readonly topic: string };
  /** Schema of the run configuration (defaults included); `run` parses `options.config` with it. */
  readonly config?: z.ZodType<C>;
}

/** A validated topology (returned by {@link defineTopology}); still plain data. */
export interface Topology<C = unknown> extends TopologySpec<C> {
  readonly sideInputs: Readonly<Record<string, SideInputSpec>>;
  readonly sideOutputs: Readonly<Record<string, SideOutputRoute>>;
  /** Steps in a deterministic topological order (ties by name). */
  readonly order: readonly string[];
}

/** One problem found by validation. */
export interface TopologyIssue {
  /** Where: `sources.signals`, `steps.gate.from`, ... */
  readonly path: string;
  readonly message: string;
}
