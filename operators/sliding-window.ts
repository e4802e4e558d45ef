import { record, SideTag } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { streamOperator } from "./internal/operate.js";
import { SlidingEngine } from "./internal/sliding-engine.js";
import {
  checkNonNegative,
  checkPositive,
  collectValues,
  resolveKeySelector,
  type WindowAggregator,
  type WindowOptions,
  type WindowResult,
} from "./internal/window-types.js";

export interface SlidingWindowOptions<T, A, R> extends Omit<WindowOptions<T, A, R>, "accumulation"> {
  /** Look-back of each window, event-time ms: the window at record time `t` covers `(t - sizeMs, t]`. */
  readonly sizeMs: number;
}

/**
 * Event-time sliding windows (Kafka Streams' `SlidingWindows`): per key, one window for every
 * distinct record time `t`, covering the records of that key with event time in `(t - sizeMs, t]`
 * (`windowStart = t - sizeMs + 1`, `windowEnd = t + 1`) — a rolling aggregate evaluated at each
 * event. It fires when the watermark reaches `t`. A late record re-fires (`late`) every already
 * closed window it falls into that is within the allowed lateness; if none of its windows is alive
 * any more it goes to the `late` side output. Firing order on a watermark: (window end, key).
 *
 * ```
 * sizeMs: 10
 * input:  -a@1--b@8--W8---c@15--W20--|
 * output: ----------(pq W8)----(r W20)|
 *   p = { windowStart: -8, windowEnd: 2, result: [a] }
 *   q = { windowStart: -1, windowEnd: 9, result: [a, b] }
 *   r = { windowStart: 6, windowEnd: 16, result: [b, c] }
 * ```
 */
export function slidingWindow<T, A = T[], R = readonly T[]>(
  options: SlidingWindowOptions<T, A, R>,
): DescribedOperator<T, WindowResult<R>> {
  checkPositive("sizeMs", options.sizeMs);
  const lateness = options.allowedLatenessMs ?? 0;
  checkNonNegative("allowedLatenessMs", lateness);
  const aggregate = (options.aggregate ?? collectValues<T>()) as WindowAggregator<T, A, R>;
  const keyOf = resolveKeySelector(options.key);
  const emit = options.emit ?? "final";
  const op = streamOperator<T, WindowResult<R>>(
    (out) =>
      new SlidingEngine<T, A, WindowResult<R>>(out, {
        size: options.sizeMs,
        lateness,
        emit,
        keyOf,
        aggregate,
        project: (key, start, end, acc, count, firing, ids) =>
          record(
            {
              key,
              windowStart: start,
              windowEnd: end,
              firing,
              count,
              result: aggregate.result(acc, { key, start, end }),
            },
            end - 1,
            key,
            ids,
          ),
      }),
  );
  return describeOperator(op, {
    operatorName: "slidingWindow",
    sideOutputs: [SideTag.late],
    retentionMs: options.sizeMs + lateness,
  });
}
