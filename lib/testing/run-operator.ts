import { Observable, type OperatorFunction, type SchedulerLike, VirtualTimeScheduler } from "rxjs";
import type { Envelope, SideOutput, StreamItem } from "../stream/item.js";

/** What an operator produced for a given input. */
export interface OperatorRun<Out> {
  /** The whole output sequence, in order. */
  readonly items: readonly StreamItem<Out>[];
  /** Main-output records, in order. */
  readonly main: readonly Envelope<Out>[];
  /** Side outputs by tag, each in order. */
  readonly sides: Readonly<Record<string, readonly SideOutput[]>>;
  /** Times of the forwarded watermarks, in order. */
  readonly watermarks: readonly number[];
  readonly completed: boolean;
  /** The error the output ended with, if any. */
  readonly error?: unknown;
}

export interface RunOptions {
  /**
   * Scheduler the input is replayed on; default a fresh `VirtualTimeScheduler`. If it has a
   * `flush()` (VirtualTimeScheduler, TestScheduler), it is flushed, so the run finishes on return.
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Virtual time between consecutive input items (ms), default 0. For {@link runMerge}: the delay of
   * item `i` of input `k` is `delay(k, i)` when given as a function.
   */
  readonly spacingMs?: number;
}

export interface MergeRunOptions extends Omit<RunOptions, "spacingMs"> {
  /** Virtual delay of item `itemIndex` of input `inputIndex`; default `itemIndex` (round-robin). */
  readonly delay?: (inputIndex: number, itemIndex: number) => number;
}

/** Replay `items` on `scheduler`, item `i` at virtual time `delay(i)`, then complete after the last. */
export function replay<T>(
  items: readonly StreamItem<T>[],
  scheduler: SchedulerLike,
  delay: (i: number) => number,
): Observable<StreamItem<T>> {
  return new Observable<StreamItem<T>>((subscriber) => {
    if (items.every((_, i) => delay(i) === 0)) {
      // everything at virtual time 0: one scheduled action (cheap enough for 1000-run properties)
      subscriber.add(
        scheduler.schedule(() => {
          for (let i = 0; i < items.length && !subscriber.closed; i++) subscriber.next(items[i]!);
          subscriber.complete();
        }, 0),
      );
      return;
    }
    let last = 0;
    for (let i = 0; i < items.length; i++) {
      const d = delay(i);
      if (d > last) last = d;
      const item = items[i]!;
      subscriber.add(scheduler.schedule(() => subscriber.next(item), d));
    }
    subscriber.add(scheduler.schedule(() => subscriber.complete(), last));
  });
}

/**
 * Run a stream operator over `input` on virtual time and collect main output, side outputs and
 * watermarks. Same input and same scheduler give the same result (operators must not read the wall
 * clock).
 */
export function runOperator<In, Out>(
  op: OperatorFunction<StreamItem<In>, StreamItem<Out>>,
  input: readonly StreamItem<In>[],
  options: RunOptions = {},
): OperatorRun<Out> {
  const scheduler = options.scheduler ?? new VirtualTimeScheduler();
  const spacing = options.spacingMs ?? 0;
  return collect(op(replay(input, scheduler, (i) => i * spacing)), scheduler);
}

/**
 * Run a multi-input operator (e.g. `(sources) => priorityMerge(sources, options)`) with each input
 * replayed on the same virtual-time scheduler, interleaved by `delay`.
 */
export function runMerge<In, Out>(
  merge: (sources: readonly Observable<StreamItem<In>>[]) => Observable<StreamItem<Out>>,
  inputs: readonly (readonly StreamItem<In>[])[],
  options: MergeRunOptions = {},
): OperatorRun<Out> {
  const scheduler = options.scheduler ?? new VirtualTimeScheduler();
  const delay = options.delay ?? ((_k: number, i: number) => i);
  const sources = inputs.map((items, k) => replay(items, scheduler, (i) => delay(k, i)));
  return collect(merge(sources), scheduler);
}

function collect<Out>(output: Observable<StreamItem<Out>>, scheduler: SchedulerLike): OperatorRun<Out> {
  const items: StreamItem<Out>[] = [];
  let completed = false;
  let error: unknown;
  let failed = false;
  const sub = output.subscribe({
    next: (item) => items.push(item),
    error: (e) => {
      failed = true;
      error = e;
    },
    complete: () => {
      completed = true;
    },
  });
  const flushable = scheduler as SchedulerLike & { flush?: () => void };
  if (typeof flushable.flush === "function") flushable.flush();
  sub.unsubscribe();
  return { ...splitOutput(items), completed, ...(failed ? { error } : {}) };
}

/** Split an output sequence into main records, side outputs by tag and watermark times. */
export function splitOutput<Out>(items: readonly StreamItem<Out>[]): {
  items: readonly StreamItem<Out>[];
  main: Envelope<Out>[];
  sides: Record<string, SideOutput[]>;
  watermarks: number[];
} {
  const main: Envelope<Out>[] = [];
  const sides: Record<string, SideOutput[]> = {};
  const watermarks: number[] = [];
  for (const item of items) {
    if (item.kind === "record") main.push(item);
    else if (item.kind === "watermark") watermarks.push(item.time);
    else (sides[item.tag] ??= []).push(item);
  }
  return { items, main, sides, watermarks };
}
