import { PriorityQueue } from "@datastructures-js/priority-queue";
import type { Subscriber } from "rxjs";
import type { NetSignal, PortfolioBatch, TargetIntent } from "../lib/domain/signals.js";
import { type Envelope, record, type StreamItem, SideTag } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { unionIds } from "./internal/lineage.js";
import { type ItemHandler, streamOperator } from "./internal/operate.js";
import { type WindowAssigner, WindowEngine, type WindowState } from "./internal/window-engine.js";
import { windowHold } from "./internal/window-retention.js";
import { checkNonNegative, checkPositive, type MergingWindowAggregator } from "./internal/window-types.js";

/** What a portfolio batch is made of: net signals and target intents. */
export type BatchInput = NetSignal | TargetIntent;

/** True for a {@link TargetIntent} (it has `kind` and `targetWeight`; a NetSignal has neither). */
export function isTargetIntent(v: BatchInput): v is TargetIntent {
  return (v as TargetIntent).targetWeight !== undefined && (v as TargetIntent).kind !== undefined;
}

export type BatchByPortfolioOptions =
  | {
      /** One batch per portfolio per tumbling event-time window. */
      readonly by: "window";
      readonly sizeMs: number;
      readonly offsetMs?: number;
      /**
       * A late input within this re-fires the window as a batch of only the late inputs
       * (discarding accumulation: every input is batched once). Default 0.
       */
      readonly allowedLatenessMs?: number;
    }
  | {
      /** A batch per portfolio as soon as `count` inputs have arrived... */
      readonly by: "count";
      readonly count: number;
      /** ...or once the watermark passes the first input's event time + `maxDelayMs` (bounds state). */
      readonly maxDelayMs: number;
    };

interface BatchAcc {
  portfolioId: string;
  /**
   * Every NetSignal in arrival order; a later one for the same (instrument, window) supersedes an
   * earlier one (update firings) — resolved when the batch is built, see {@link toBatch}.
   */
  readonly signals: NetSignal[];
  readonly targets: TargetIntent[];
}

function newAcc(): BatchAcc {
  return { portfolioId: "", signals: [], targets: [] };
}

function addToAcc(acc: BatchAcc, v: BatchInput): BatchAcc {
  acc.portfolioId = v.portfolioId;
  if (isTargetIntent(v)) acc.targets.push(v);
  else acc.signals.push(v);
  return acc;
}

function compareSignals(a: NetSignal, b: NetSignal): number {
  if (a.instrumentId !== b.instrumentId) return a.instrumentId < b.instrumentId ? -1 : 1;
  if (a.windowStart !== b.windowStart) return a.windowStart - b.windowStart;
  return a.windowEnd - b.windowEnd;
}

/**
 * The last signal per (instrument, window start, window end), sorted by that triple. Sorting
 * everything stably and keeping the last of each run of equal triples gives the same list as
 * keeping the last per key in a map (in first-insertion order) and sorting that — except when a
 * window bound is NaN (the comparator is then inconsistent and the order depends on the input
 * order), for which the map is built as before.
 */
function latestSignalsSorted(all: readonly NetSignal[]): NetSignal[] {
  const n = all.length;
  if (n <= 1) return all.slice();
  for (let i = 0; i < n; i++) {
    const s = all[i]!;
    if (Number.isNaN(s.windowStart) || Number.isNaN(s.windowEnd)) {
      const latest = new Map<string, NetSignal>();
      for (const x of all) latest.set(`${x.instrumentId}\u0001${x.windowStart}\u0001${x.windowEnd}`, x);
      return [...latest.values()].sort(compareSignals);
    }
  }
  const sorted = all.slice().sort(compareSignals);
  let w = 0;
  for (let r = 0; r < n; r++) {
    const s = sorted[r]!;
    if (w > 0 && compareSignals(sorted[w - 1]!, s) === 0) sorted[w - 1] = s;
    else sorted[w++] = s;
  }
  sorted.length = w;
  return sorted;
}

function toBatch(acc: BatchAcc, windowStart: number, windowEnd: number): PortfolioBatch {
  return {
    portfolioId: acc.portfolioId,
    windowStart,
    windowEnd,
    signals: latestSignalsSorted(acc.signals),
    targets: acc.targets.slice(),
  };
}

const batchAggregator: MergingWindowAggregator<BatchInput, BatchAcc, BatchAcc> = {
  create: newAcc,
  add: addToAcc,
  merge(a, b) {
    for (const s of b.signals) a.signals.push(s);
    for (const t of b.targets) a.targets.push(t);
    return a;
  },
  result: (acc) => acc,
};

function portfolioOf(v: BatchInput): string {
  return v.portfolioId;
}

interface CountBatch {
  readonly portfolioId: string;
  readonly acc: BatchAcc;
  readonly ids: (readonly string[])[];
  readonly firstTime: number;
  minTime: number;
  maxTime: number;
  count: number;
  done: boolean;
}

function compareDeadline(a: CountBatch, b: CountBatch): number {
  if (a.firstTime !== b.firstTime) return a.firstTime - b.firstTime;
  return a.portfolioId < b.portfolioId ? -1 : a.portfolioId > b.portfolioId ? 1 : 0;
}

class CountBatcher implements ItemHandler<BatchInput> {
  private readonly open = new Map<string, CountBatch>();
  private readonly deadlines = new PriorityQueue<CountBatch>(compareDeadline);

  constructor(
    private readonly out: Subscriber<StreamItem<PortfolioBatch>>,
    private readonly count: number,
    private readonly maxDelay: number,
  ) {}

  next(item: StreamItem<BatchInput>): void {
    if (item.kind === "record") {
      const p = item.value.portfolioId;
      let b = this.open.get(p);
      if (b === undefined) {
        b = {
          portfolioId: p,
          acc: newAcc(),
          ids: [],
          firstTime: item.eventTime,
          minTime: item.eventTime,
          maxTime: item.eventTime,
          count: 0,
          done: false,
        };
        this.open.set(p, b);
        this.deadlines.enqueue(b);
      }
      addToAcc(b.acc, item.value);
      b.ids.push(item.ids);
      b.count++;
      if (item.eventTime < b.minTime) b.minTime = item.eventTime;
      if (item.eventTime > b.maxTime) b.maxTime = item.eventTime;
      if (b.count >= this.count) this.emit(b);
    } else if (item.kind === "watermark") {
      this.flushUntil(item.time - this.maxDelay);
      this.out.next(item);
    } else {
      this.out.next(item);
    }
  }

  complete(): void {
    this.flushUntil(Number.POSITIVE_INFINITY);
  }

  /** Emit open batches whose first input is at or before `firstTime`, in (first time, portfolio) order. */
  private flushUntil(firstTime: number): void {
    const q = this.deadlines;
    while (!q.isEmpty() && q.front()!.firstTime <= firstTime) {
      const b = q.dequeue()!;
      if (!b.done) this.emit(b);
    }
  }

  private emit(b: CountBatch): void {
    b.done = true;
    this.open.delete(b.portfolioId);
    this.out.next(record(toBatch(b.acc, b.minTime, b.maxTime + 1), b.maxTime, b.portfolioId, unionIds(b.ids)));
  }
}

/**
 * Groups net signals and target intents per portfolio into {@link PortfolioBatch}es for the
 * portfolio operators: by tumbling event-time window (`by: "window"`, a batch when the watermark
 * passes the window end, `late` side output past the allowed lateness), or by count (`by: "count"`,
 * a batch after `count` inputs or once the watermark passes first input + `maxDelayMs`; never late).
 * In a batch, signals are sorted by (instrument, window start, window end) with a later NetSignal
 * for the same instrument window superseding an earlier one (update firings); targets keep arrival
 * order. Output key = portfolioId, ids = union of the batched inputs' ids. Event time only.
 *
 * ```
 * by: "window", sizeMs: 10
 * input:  -s(p1)@1--t(p1)@2--u(p2)@5--W9--|
 * output: --------------------------(ab W9)|   a = p1 [s | t], b = p2 [u]
 * ```
 */
export function batchByPortfolio(options: BatchByPortfolioOptions): DescribedOperator<BatchInput, PortfolioBatch> {
  if (options.by === "count") {
    checkPositive("count", options.count);
    checkNonNegative("maxDelayMs", options.maxDelayMs);
    const op = streamOperator<BatchInput, PortfolioBatch>(
      (out) => new CountBatcher(out, options.count, options.maxDelayMs),
    );
    return describeOperator(op, { operatorName: "batchByPortfolio", sideOutputs: [], retentionMs: options.maxDelayMs });
  }
  checkPositive("sizeMs", options.sizeMs);
  checkNonNegative("offsetMs", options.offsetMs);
  const lateness = options.allowedLatenessMs ?? 0;
  checkNonNegative("allowedLatenessMs", lateness);
  const project = (st: WindowState<BatchAcc>, _firing: unknown, ids: string[]): Envelope<PortfolioBatch> =>
    record(toBatch(st.acc, st.start, st.end), st.end - 1, st.key, ids);
  const assigner: WindowAssigner = {
    kind: "fixed",
    size: options.sizeMs,
    advance: options.sizeMs,
    offset: options.offsetMs ?? 0,
  };
  const op = streamOperator<BatchInput, PortfolioBatch>(
    (out) =>
      new WindowEngine(out, {
        assigner,
        keyOf: portfolioOf,
        aggregate: batchAggregator,
        emit: "final",
        lateness,
        accumulation: "discarding",
        lineage: "lists", // net signals carry their window's sorted ids
        project,
      }),
  );
  return describeOperator(op, {
    operatorName: "batchByPortfolio",
    sideOutputs: [SideTag.late],
    retentionMs: options.sizeMs + lateness,
    hold: windowHold(assigner, lateness),
  });
}
