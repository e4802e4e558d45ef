import type { DescribedOperator } from "../lib/stream/operator.js";
import { makeWindowOperator } from "./internal/window-operator.js";
import {
  checkPositive,
  type MergingWindowAggregator,
  type WindowOptions,
  type WindowResult,
} from "./internal/window-types.js";

export interface SessionWindowOptions<T, A, R> extends WindowOptions<T, A, R> {
  /** Inactivity gap, event-time ms: records less than `gapMs` apart belong to the same session. */
  readonly gapMs: number;
  /** Session windows merge, so the aggregator must implement `merge` (the default one does). */
  readonly aggregate?: MergingWindowAggregator<T, A, R>;
}

/**
 * Event-time session windows per key: a record at `t` opens the window `[t, t + gapMs)`; windows of
 * the same key that overlap are merged (so a session ends `gapMs` after its last record, and a
 * record arriving out of order can bridge two sessions). A session fires when the watermark passes
 * `end - 1`. Keys, emit modes, allowed lateness, `late` side output and firing order as
 * {@link tumblingWindow}. Merging an already fired session keeps the lowest-start state; if the
 * merged session ends after the watermark it is open again and fires `final` once more later.
 *
 * ```
 * gapMs: 5
 * input:  -a@1-b@4---W8----c@20--W30--|
 * output: ---------(s W8)-------(u W30)|
 *   s = { windowStart: 1, windowEnd: 9, result: [a, b] }
 *   u = { windowStart: 20, windowEnd: 25, result: [c] }
 * ```
 */
export function sessionWindow<T, A = T[], R = readonly T[]>(
  options: SessionWindowOptions<T, A, R>,
): DescribedOperator<T, WindowResult<R>> {
  checkPositive("gapMs", options.gapMs);
  return makeWindowOperator("sessionWindow", { kind: "session", gap: options.gapMs }, options, options.gapMs);
}
