/**
 * Stream operators (operators/): throughput of each operator on pre-decoded events (envelopes built
 * in setup; watermarks in-band every 1 000 records, as `withWatermarks` would emit them with
 * `minAdvanceMs`), against a plain RxJS `map` pipeline over the same input, measured in the same
 * run. Every case drives the operator synchronously from an array and counts what comes out (and
 * checks it: a case throws if its output count is implausible).
 *
 * Goals (one core): ≥ 5M events/s for dedup and keyed tumbling windows (10k keys), ≥ 2M for session
 * windows and priority merge (the suite goal is the lower one; each case prints its own goal).
 * Memory: heap and array-buffer growth for 1M distinct dedup keys, after GC (extra column).
 *
 * Isolation: a case's own input is built once (untimed) and released when the next case sets up,
 * followed by a full GC, so only the shared 1M-record input and the current case's input are
 * retained while a case is timed — otherwise every major GC a windowed case triggers would also
 * trace the inputs of all earlier cases, and the figures would depend on the case order.
 */
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { map, Observable, Subject } from "rxjs";
import type { TradingSignalEvent } from "../lib/events/trading-signal.js";
import { record, type StreamItem, watermark } from "../lib/stream/item.js";
import type { StreamOperator } from "../lib/stream/operator.js";
import { aggregateSignals } from "../operators/aggregate-signals.js";
import { batchByPortfolio, type BatchInput } from "../operators/batch-by-portfolio.js";
import { createDedupMetrics, dedup } from "../operators/dedup.js";
import { hoppingWindow } from "../operators/hopping-window.js";
import { priorityMerge } from "../operators/priority-merge.js";
import { qualityFilter } from "../operators/quality-filter.js";
import { sessionWindow } from "../operators/session-window.js";
import { slidingWindow } from "../operators/sliding-window.js";
import { tumblingWindow } from "../operators/tumbling-window.js";
import { countRecords } from "../operators/window-aggregators.js";
import { withWatermarks } from "../operators/with-watermarks.js";
import type { BenchCase, BenchSuite } from "./harness/types.js";

const N = 1_000_000;
const KEYS = 10_000;
const WM_EVERY = 1_000;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Deterministic pseudo-random numbers (xorshift32), so every run sees the same input. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

interface Tick {
  readonly eventId: string;
  readonly price: number;
  readonly confidence: number;
  readonly source: string;
  readonly strength: number;
  readonly urgency: number;
}

const keyNames = Array.from({ length: KEYS }, (_, i) => `k${i}`);
const sources = ["momentum-engine", "mean-reversion", "macro-desk", "nlp-news"];

/**
 * `n` records with keys uniform over `keys`, event time rising by ~`stepMs` per record with up to
 * `jitterMs` disorder, a watermark (max − jitter − 1) every `wmEvery` (default WM_EVERY) records;
 * `dupEvery` > 0 repeats an earlier event id every `dupEvery` records.
 */
function ticks(
  n: number,
  o: { keys?: number; stepMs?: number; jitterMs?: number; dupEvery?: number; seed?: number; wmEvery?: number } = {},
) {
  const rand = rng(o.seed ?? 42);
  const keys = o.keys ?? KEYS;
  const step = o.stepMs ?? 0.1;
  const jitter = o.jitterMs ?? 5;
  const wmEvery = o.wmEvery ?? WM_EVERY;
  const items: StreamItem<Tick>[] = [];
  let max = 0;
  for (let i = 0; i < n; i++) {
    const t = Math.floor(i * step + rand() * jitter);
    if (t > max) max = t;
    const dup = o.dupEvery !== undefined && o.dupEvery > 0 && i % o.dupEvery === o.dupEvery - 1;
    const id = dup ? `ev-${i - 1 - Math.floor(rand() * 50)}` : `ev-${i}`;
    const v: Tick = {
      eventId: id,
      price: 100 + rand(),
      confidence: rand(),
      source: sources[i & 3]!,
      strength: rand(),
      urgency: i & 3,
    };
    items.push(record(v, t, keyNames[Math.floor(rand() * keys)]!, [id]));
    if (i % wmEvery === wmEvery - 1) items.push(watermark(max - jitter - 1));
  }
  return items;
}

let holder: (() => void) | undefined;
/** Release the inputs of the case set up before (if another one), then collect the garbage. */
function hold(release: () => void): void {
  if (holder === release) return;
  holder?.();
  holder = release;
  gc();
}

function fromArray<T>(items: readonly StreamItem<T>[]): Observable<StreamItem<T>> {
  return new Observable<StreamItem<T>>((sub) => {
    for (let i = 0; i < items.length; i++) sub.next(items[i]!);
    sub.complete();
  });
}

/** Subscribe, count records out, return the count. */
function drain<T>(obs: Observable<StreamItem<T>>): { records: number; sides: number } {
  const out = { records: 0, sides: 0 };
  let failure: unknown;
  obs.subscribe({
    next(item) {
      if (item.kind === "record") out.records++;
      else if (item.kind === "side") out.sides++;
    },
    error(e) {
      failure = e;
    },
  });
  if (failure !== undefined) throw failure;
  return out;
}

function check(name: string, ok: boolean, detail: string): void {
  if (!ok) throw new Error(`${name}: implausible output (${detail})`);
}

function operatorCase<T, O>(
  name: string,
  goal: number | undefined,
  input: () => StreamItem<T>[],
  op: () => StreamOperator<T, O>,
  plausible: (out: { records: number; sides: number }, n: number) => boolean,
): BenchCase {
  let items: StreamItem<T>[] = [];
  let n = 0;
  const release = () => {
    items = [];
  };
  return {
    name,
    get events() {
      return n || N;
    },
    setup() {
      hold(release);
      if (items.length === 0) {
        items = input();
        n = items.filter((i) => i.kind === "record").length;
      }
    },
    run() {
      const out = drain(fromArray(items).pipe(op()));
      check(name, plausible(out, n), JSON.stringify(out));
    },
    extra: () => (goal === undefined ? {} : { "goal events/s": goal }),
  };
}

let shared: StreamItem<Tick>[] | undefined;
const sharedTicks = () => (shared ??= ticks(N));

const signalValue = (i: number, rand: () => number): TradingSignalEvent => ({
  eventType: "TradingSignal",
  eventId: `sig-${i}`,
  eventTime: 0,
  schemaVersion: 1,
  portfolioId: `pf-${i % 100}`,
  instrumentId: `I${Math.floor(rand() * 100)}`,
  source: sources[i & 3]!,
  strategy: "m",
  direction: rand() < 0.5 ? "long" : "short",
  strength: rand(),
  confidence: rand(),
  horizonMs: 86_400_000,
  expectedReturn: 0.01,
  urgency: "normal",
});

function signals(n: number): StreamItem<TradingSignalEvent>[] {
  const rand = rng(7);
  const out: StreamItem<TradingSignalEvent>[] = [];
  for (let i = 0; i < n; i++) {
    const v = signalValue(i, rand);
    const t = Math.floor(i * 0.1);
    out.push(record({ ...v, eventTime: t }, t, v.portfolioId, [v.eventId]));
    if (i % WM_EVERY === WM_EVERY - 1) out.push(watermark(t - 1));
  }
  return out;
}

const dedupMemory = (() => {
  let items: StreamItem<Tick>[] = [];
  let mb = 0;
  const release = () => {
    items = [];
  };
  return {
    name: "dedup memory: 1M distinct keys held (ttl ∞)",
    events: N,
    setup() {
      hold(release);
      if (items.length === 0) items = ticks(N, { jitterMs: 0 });
    },
    async run() {
      const metrics = createDedupMetrics();
      const op = dedup<Tick>({ ttlMs: Number.MAX_SAFE_INTEGER, metrics });
      let feed: ((item: StreamItem<Tick>) => void) | undefined;
      let end: (() => void) | undefined;
      const src = new Observable<StreamItem<Tick>>((sub) => {
        feed = (i) => sub.next(i);
        end = () => sub.complete();
      });
      const out = drain(src.pipe(op));
      // typed-array backing stores live outside the JS heap: count them too (those of the previous
      // run are freed by a task after the GC, hence the pause)
      const used = async () => {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
        const m = process.memoryUsage();
        return m.heapUsed + m.arrayBuffers;
      };
      const before = await used();
      for (let i = 0; i < items.length; i++) feed!(items[i]!);
      mb = ((await used()) - before) / 1048576;
      check("dedup memory", metrics.keys === N, `keys ${metrics.keys}`);
      end!();
      check("dedup memory", out.records === N, `records ${out.records}`);
    },
    extra: () => ({
      "heap+buffers MB (1M keys)": Math.round(mb * 10) / 10,
      "bytes/key": Math.round((mb * 1048576) / N),
    }),
  } satisfies BenchCase;
})();

function mergeCase(): BenchCase {
  let a: StreamItem<Tick>[] = [];
  let b: StreamItem<Tick>[] = [];
  const release = () => {
    a = [];
    b = [];
  };
  return {
    name: "priorityMerge (2 inputs, urgency priority)",
    events: N,
    setup() {
      hold(release);
      if (a.length === 0) {
        a = ticks(N / 2, { seed: 1, stepMs: 0.2 });
        b = ticks(N / 2, { seed: 2, stepMs: 0.2 });
      }
    },
    run() {
      // the two inputs interleave record by record, as two live consumers would
      const s0 = new Subject<StreamItem<Tick>>();
      const s1 = new Subject<StreamItem<Tick>>();
      const out = drain(priorityMerge([s0, s1], { priority: (v: Tick) => v.urgency }));
      for (let i = 0; i < a.length || i < b.length; i++) {
        if (i < a.length) s0.next(a[i]!);
        if (i < b.length) s1.next(b[i]!);
      }
      s0.complete();
      s1.complete();
      check("priorityMerge", out.records === N, JSON.stringify(out));
    },
    extra: () => ({ "goal events/s": 2_000_000 }),
  };
}

const suite: BenchSuite = {
  name: "operators",
  description: "stream operators on 1M pre-decoded events (10k keys), watermarks every 1k records, vs RxJS map",
  goals: { "events/s": 2_000_000 },
  warmups: 1,
  repetitions: 3,
  baseline: operatorCase(
    "baseline: RxJS map (identity on records)",
    undefined,
    sharedTicks,
    () => map((i: StreamItem<Tick>) => i),
    (o, n) => o.records === n,
  ),
  cases: [
    operatorCase(
      "withWatermarks (out-of-orderness 5 ms)",
      undefined,
      sharedTicks,
      () => withWatermarks<Tick>({ outOfOrdernessMs: 5, minAdvanceMs: 100 }),
      (o, n) => o.records === n,
    ),
    operatorCase(
      "dedup (10 % duplicates, ttl 10 s)",
      5_000_000,
      () => ticks(N, { dupEvery: 10 }),
      () => dedup<Tick>({ ttlMs: 10_000 }),
      (o, n) => o.records + o.sides === n && o.sides > 0,
    ),
    operatorCase(
      // the topology's shape: sparse event time, so a watermark after almost every record, and a
      // ttl short enough that keys expire all the time (~10k live): eviction must be O(1) per
      // watermark that expires little
      "dedup (watermark every record, ttl 1 s, 10 % duplicates)",
      undefined,
      () => ticks(N, { dupEvery: 10, wmEvery: 1 }),
      () => dedup<Tick>({ ttlMs: 1_000 }),
      (o, n) => o.records + o.sides === n && o.sides > 0,
    ),
    operatorCase(
      "tumblingWindow keyed 10k keys, 10 s, count",
      5_000_000,
      sharedTicks,
      () => tumblingWindow<Tick, { n: number }, number>({ sizeMs: 10_000, aggregate: countRecords() }),
      (o, n) => o.records > 0 && o.records < n,
    ),
    operatorCase(
      "tumblingWindow keyed 1k keys, 10 s, count (~100 records per window)",
      undefined,
      () => ticks(N, { keys: 1_000, seed: 5 }),
      () => tumblingWindow<Tick, { n: number }, number>({ sizeMs: 10_000, aggregate: countRecords() }),
      (o, n) => o.records > 0 && o.records < n,
    ),
    operatorCase(
      "hoppingWindow keyed 10k keys, 10 s / 5 s, count",
      undefined,
      sharedTicks,
      () => hoppingWindow<Tick, { n: number }, number>({ sizeMs: 10_000, advanceMs: 5_000, aggregate: countRecords() }),
      (o, n) => o.records > 0 && o.records < 2 * n,
    ),
    operatorCase(
      "sessionWindow keyed 10k keys, gap 500 ms, count",
      2_000_000,
      sharedTicks,
      () => sessionWindow<Tick, { n: number }, number>({ gapMs: 500, aggregate: countRecords() }),
      (o, n) => o.records > 0 && o.records < n,
    ),
    operatorCase(
      "sessionWindow keyed 1k keys, gap 500 ms, count (~50 records per session)",
      undefined,
      () => ticks(N, { keys: 1_000, seed: 5 }),
      () => sessionWindow<Tick, { n: number }, number>({ gapMs: 500, aggregate: countRecords() }),
      (o, n) => o.records > 0 && o.records < n,
    ),
    operatorCase(
      "slidingWindow keyed 10k keys, 1 s, count",
      undefined,
      sharedTicks,
      () => slidingWindow<Tick, { n: number }, number>({ sizeMs: 1_000, aggregate: countRecords() }),
      (o, n) => o.records > 0 && o.records <= n,
    ),
    operatorCase(
      "qualityFilter (confidence, reliability)",
      undefined,
      sharedTicks,
      () => qualityFilter<Tick>({ minConfidence: 0.2, sourceReliability: { "nlp-news": 0.3 }, minReliability: 0.5 }),
      (o, n) => o.records + o.sides === n,
    ),
    mergeCase(),
    operatorCase(
      "aggregateSignals (100 portfolios × 100 instruments, 10 s)",
      undefined,
      () => signals(N),
      () => aggregateSignals({ window: { kind: "tumbling", sizeMs: 10_000 } }),
      (o, n) => o.records > 0 && o.records < n,
    ),
    operatorCase(
      "batchByPortfolio (window 10 s, 100 portfolios)",
      undefined,
      () => {
        const rand = rng(3);
        const out: StreamItem<BatchInput>[] = [];
        for (let i = 0; i < N; i++) {
          const s = signalValue(i, rand);
          const t = Math.floor(i * 0.1);
          const v: BatchInput = {
            portfolioId: s.portfolioId,
            instrumentId: s.instrumentId,
            windowStart: t - (t % 1000),
            windowEnd: t - (t % 1000) + 1000,
            direction: "long",
            score: 0.5,
            strength: 0.5,
            confidence: 0.5,
            expectedReturn: 0.01,
            horizonMs: 1,
            urgency: "normal",
            contributingSignalIds: [s.eventId],
            sources: [s.source],
            conflict: false,
            conflictingSources: [],
          };
          out.push(record(v, t, v.portfolioId, [s.eventId]));
          if (i % WM_EVERY === WM_EVERY - 1) out.push(watermark(t - 1));
        }
        return out;
      },
      () => batchByPortfolio({ by: "window", sizeMs: 10_000 }),
      (o) => o.records > 0,
    ),
    dedupMemory,
  ],
};

export default suite;
