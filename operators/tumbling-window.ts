import type { DescribedOperator } from "../lib/stream/operator.js";
import { makeWindowOperator } from "./internal/window-operator.js";
import { checkNonNegative, checkPositive, type WindowOptions, type WindowResult } from "./internal/window-types.js";

export interface TumblingWindowOptions<T, A, R> extends WindowOptions<T, A, R> {
  /** Window length in event-time ms; windows are `[k·size + offset, (k+1)·size + offset)`. */
  readonly sizeMs: number;
  /** Alignment offset, default 0 (windows aligned to the epoch). */
  readonly offsetMs?: number;
}

/**
 * Event-time tumbling windows: every record falls into exactly one window of `sizeMs`, keyed by the
 * envelope key (or `key`), aggregated incrementally, emitted when the watermark passes the window's
 * last millisecond (`end - 1`). Watermarks must be in the stream (see {@link withWatermarks}).
 *
 * Output: one record per firing, value {@link WindowResult}, event time `end - 1`, key = window key,
 * ids = sorted union of the window's input ids. Firings triggered by one watermark are emitted in
 * the order (window end, key, window start), then the watermark is forwarded. A record whose window
 * closed more than `allowedLatenessMs` ago goes to the `late` side output; within the allowed
 * lateness it re-fires its window with firing `late`. On completion every open window fires.
 *
 * ```
 * sizeMs: 10, key a for all records, collectValues()
 * input:  -a@1--b@4--W9--c@12--W19--|
 * output: ----------(r W9)--------(s W19)|
 *   r = { windowStart: 0, windowEnd: 10, firing: "final", result: [a, b] }
 *   s = { windowStart: 10, windowEnd: 20, firing: "final", result: [c] }
 * ```
 */
export function tumblingWindow<T, A = T[], R = readonly T[]>(
  options: TumblingWindowOptions<T, A, R>,
): DescribedOperator<T, WindowResult<R>> {
  checkPositive("sizeMs", options.sizeMs);
  checkNonNegative("offsetMs", options.offsetMs);
  return makeWindowOperator(
    "tumblingWindow",
    { kind: "fixed", size: options.sizeMs, advance: options.sizeMs, offset: options.offsetMs ?? 0 },
    options,
    options.sizeMs,
  );
}
