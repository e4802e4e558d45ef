/**
 * The shape of a benchmark suite. Each `bench/<name>.bench.ts` default-exports a {@link BenchSuite};
 * `npm run bench [name]` runs it, measures throughput by wall clock, latency from the samples the
 * case records into an HDR histogram, prints a table with the ratio to the suite's baseline
 * (measured in the same run), and writes `bench/results/<name>.json`.
 */

export interface BenchContext {
  /** Record one latency sample, in nanoseconds. */
  recordLatencyNs(ns: number): void;
  /** Monotonic clock in nanoseconds (bench code only — never used by operators or the runtime). */
  nowNs(): bigint;
  /**
   * The same monotonic clock as a double in nanoseconds (sub-microsecond precision): cheaper
   * than {@link BenchContext.nowNs} in hot loops (no bigint allocation).
   */
  monotonicNs(): number;
}

export interface BenchCase {
  readonly name: string;
  /** How many events one `run` processes; throughput = events / elapsed seconds. */
  readonly events: number;
  /** Untimed preparation (build inputs, warm caches). */
  setup?(): void | Promise<void>;
  /** The timed work. */
  run(ctx: BenchContext): void | Promise<void>;
  /** Untimed cleanup. */
  teardown?(): void | Promise<void>;
  /** Extra figures to print and store (e.g. memory in MB). */
  extra?(): Record<string, number | string>;
}

export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  /** Measured in the same run; every case's ratio is its throughput over the baseline's. */
  readonly baseline: BenchCase;
  readonly cases: readonly BenchCase[];
  /** Optional goals printed beside the figures, e.g. { "events/s": 1_000_000 }. */
  readonly goals?: Readonly<Record<string, number>>;
  /** Untimed runs of every case before measuring (default 2). */
  readonly warmups?: number;
  /** Timed runs of every case; throughput is their median (default 5). */
  readonly repetitions?: number;
  /**
   * Run the baseline and each case in a Node process of its own (forked, with the parent's Node
   * flags), one after the other, as JMH forks a JVM per benchmark: what a case measures is then
   * not shaped by the JIT feedback, optimized code and heap the cases before it left in the
   * process. Default false (all in the runner's process).
   */
  readonly isolateCases?: boolean;
}
