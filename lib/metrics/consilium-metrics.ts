import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { BoundedCounter } from "./bounded-counter.js";
import { FastHistogram } from "./fast-histogram.js";
import { type MetricsServer, type ServeMetricsOptions, serveMetrics } from "./metrics-server.js";
import type { RuntimeObserver } from "./runtime-observer.js";
import { type RuntimeStatsLike, StatsTracker } from "./stats-tracker.js";

/** Latency buckets, seconds: 50 µs .. 1 s, roughly 1-2.5-5 per decade, and 2 ms (the window-output latency goal). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

export interface ConsiliumMetricsOptions {
  /** Metric name prefix; default `consilium_`. */
  readonly prefix?: string;
  /** Distinct values per label (topic, reason, tag) before folding into `_overflow`; default 64. */
  readonly maxLabelValues?: number;
  /** Labels stamped on every series, e.g. `{ worker: "2" }`. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /** Also export prom-client's process metrics (CPU, memory, event-loop lag); default false. */
  readonly processMetrics?: boolean;
  readonly latencyBuckets?: readonly number[];
}

/**
 * consilium's Prometheus metrics, in a registry of their own (never prom-client's global one),
 * and a {@link RuntimeObserver} the runtime can report to. Alternatively (or as well),
 * {@link ConsiliumMetrics.trackStats} reads a run's live stats object at every scrape.
 *
 * Hot-path cost: counters and gauges are plain-number updates (a Map lookup for labelled ones)
 * flushed into prom-client at collection time, and `onLatency` is a binary search over the
 * buckets into a typed array ({@link FastHistogram}). Nothing here reads a clock: latencies and
 * lags are passed in.
 *
 * Series (with the default prefix): `consilium_events_in_total{topic}`,
 * `consilium_events_out_total{topic}`, `consilium_dead_letters_total{reason}`,
 * `consilium_side_outputs_total{tag}`, `consilium_acks_total`, `consilium_nacks_total`,
 * `consilium_redeliveries_total`, `consilium_in_flight`, `consilium_watermark_lag_ms`,
 * `consilium_end_to_end_latency_seconds` (histogram), `consilium_window_output_latency_seconds`
 * (histogram), `consilium_metric_label_overflow_total{metric}` and
 * `consilium_topology_info{name,version,hash}`.
 */
export class ConsiliumMetrics implements Required<RuntimeObserver> {
  readonly registry: Registry;
  readonly prefix: string;
  private readonly eventsIn: BoundedCounter;
  private readonly eventsOut: BoundedCounter;
  private readonly deadLetters: BoundedCounter;
  private readonly sideOutputs: BoundedCounter;
  private acks = 0;
  private nacks = 0;
  private redeliveries = 0;
  private inFlight = 0;
  private watermarkLagMs = 0;
  private readonly latency: FastHistogram;
  private readonly windowLatency: FastHistogram;
  private readonly topologyInfo: Gauge<"name" | "version" | "hash">;
  private readonly trackers = new Set<StatsTracker>();

  constructor(options: ConsiliumMetricsOptions = {}) {
    const prefix = options.prefix ?? "consilium_";
    const maxValues = Math.max(1, Math.floor(options.maxLabelValues ?? 64));
    const registry = new Registry();
    if (options.defaultLabels) registry.setDefaultLabels({ ...options.defaultLabels });
    this.registry = registry;
    this.prefix = prefix;
    const self = this;

    const overflow = new Counter({
      name: `${prefix}metric_label_overflow_total`,
      help: "Increments whose label value was folded into _overflow because the metric hit its cardinality cap",
      labelNames: ["metric"],
      registers: [registry],
    });
    const bounded = (name: string, label: string, help: string): BoundedCounter => {
      let cell: BoundedCounter | undefined;
      const counter = new Counter({
        name: `${prefix}${name}`,
        help,
        labelNames: [label],
        registers: [registry],
        collect: () => {
          self.pullStats();
          cell?.flush();
        },
      });
      const overflowChild = overflow.labels(`${prefix}${name}`);
      cell = new BoundedCounter(counter, maxValues, (n) => overflowChild.inc(n));
      return cell;
    };
    this.eventsIn = bounded("events_in_total", "topic", "Messages received from source topics");
    this.eventsOut = bounded("events_out_total", "topic", "Events sent to sink topics and confirmed");
    this.deadLetters = bounded("dead_letters_total", "reason", "Messages dead-lettered, by reason");
    this.sideOutputs = bounded("side_outputs_total", "tag", "Records routed to a side output, by tag");

    const plainCounter = (name: string, help: string, take: () => number) =>
      new Counter({
        name: `${prefix}${name}`,
        help,
        registers: [registry],
        collect() {
          self.pullStats();
          const n = take();
          if (n > 0) this.inc(n);
        },
      });
    plainCounter("acks_total", "Input messages acknowledged", () => this.takeAcks());
    plainCounter("nacks_total", "Input messages negatively acknowledged", () => this.takeNacks());
    plainCounter("redeliveries_total", "Messages received with a redelivery count above zero", () =>
      this.takeRedeliveries(),
    );

    new Gauge({
      name: `${prefix}in_flight`,
      help: "Messages received and not yet acknowledged or negatively acknowledged",
      registers: [registry],
      collect() {
        self.pullStats();
        this.set(self.inFlight);
      },
    });
    new Gauge({
      name: `${prefix}watermark_lag_ms`,
      help: "Event-time lag of the watermark behind the newest event time seen, milliseconds",
      registers: [registry],
      collect() {
        this.set(self.watermarkLagMs);
      },
    });
    this.latency = new FastHistogram({
      name: `${prefix}end_to_end_latency_seconds`,
      help: "Latency from receiving an input to the sink confirming its outputs, seconds",
      buckets: options.latencyBuckets ?? LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    });
    this.windowLatency = new FastHistogram({
      name: `${prefix}window_output_latency_seconds`,
      help: "Latency from the hand-off of the watermark that closed a window to the sink confirming an output it released (excludes the time the window waited for its end), seconds",
      buckets: options.latencyBuckets ?? LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    });
    this.topologyInfo = new Gauge({
      name: `${prefix}topology_info`,
      help: "The topology this process runs (value 1)",
      labelNames: ["name", "version", "hash"],
      registers: [registry],
    });
    if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix });
  }

  /**
   * Feed these metrics from a runtime's live stats object (`RunHandle.stats`) instead of, or beside,
   * observer calls: at every collection the growth since the previous one is reported. Latency and
   * watermark lag are not in the stats; they still come through `onLatency` / `onWatermarkLag`.
   * Returns a function that stops tracking.
   */
  trackStats(stats: RuntimeStatsLike): () => void {
    const tracker = new StatsTracker(stats, this);
    this.trackers.add(tracker);
    return () => {
      tracker.pull();
      this.trackers.delete(tracker);
    };
  }

  private pullStats(): void {
    for (const tracker of this.trackers) tracker.pull();
  }

  private takeAcks(): number {
    const n = this.acks;
    this.acks = 0;
    return n;
  }

  private takeNacks(): number {
    const n = this.nacks;
    this.nacks = 0;
    return n;
  }

  private takeRedeliveries(): number {
    const n = this.redeliveries;
    this.redeliveries = 0;
    return n;
  }

  onIn(topic: string, n: number): void {
    this.eventsIn.add(topic, n);
  }

  onOut(topic: string, n: number): void {
    this.eventsOut.add(topic, n);
  }

  onDeadLetter(reason: string, n = 1): void {
    this.deadLetters.add(reason, n);
  }

  onSide(tag: string, n = 1): void {
    this.sideOutputs.add(tag, n);
  }

  onAck(n: number): void {
    if (n > 0 && n !== Number.POSITIVE_INFINITY) this.acks += n;
  }

  onNack(n: number): void {
    if (n > 0 && n !== Number.POSITIVE_INFINITY) this.nacks += n;
  }

  onRedelivery(n: number): void {
    if (n > 0 && n !== Number.POSITIVE_INFINITY) this.redeliveries += n;
  }

  onInFlight(n: number): void {
    if (Number.isFinite(n)) this.inFlight = n;
  }

  onWatermarkLag(ms: number): void {
    if (Number.isFinite(ms)) this.watermarkLagMs = ms;
  }

  /** One latency sample in seconds; negative samples count as 0, non-finite ones are ignored. */
  onLatency(seconds: number): void {
    if (Number.isFinite(seconds)) this.latency.record(Math.max(seconds, 0));
  }

  /** One window-output latency sample in seconds (see `RuntimeStats.windowLatency`); as `onLatency`. */
  onWindowLatency(seconds: number): void {
    if (Number.isFinite(seconds)) this.windowLatency.record(Math.max(seconds, 0));
  }

  /** Several latency samples at once. */
  observeLatencies(seconds: ArrayLike<number>): void {
    for (let i = 0; i < seconds.length; i++) this.onLatency(seconds[i]!);
  }

  /** Publish which topology runs here (replaces any previous one). */
  setTopology(topology: { readonly name: string; readonly version: string; readonly hash: string }): void {
    this.topologyInfo.reset();
    this.topologyInfo.set({ name: topology.name, version: topology.version, hash: topology.hash }, 1);
  }

  /** The Prometheus text exposition of every metric in this registry. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content type of {@link metricsText}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Serve `/metrics` over HTTP; host defaults to 127.0.0.1, port 0 picks a free port. */
  serveMetrics(options: ServeMetricsOptions): Promise<MetricsServer> {
    return serveMetrics(this.registry, options);
  }
}
