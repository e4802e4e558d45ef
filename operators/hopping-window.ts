import type { DescribedOperator } from "../lib/stream/operator.js";
import { makeWindowOperator } from "./internal/window-operator.js";
import { checkNonNegative, checkPositive, type WindowOptions, type WindowResult } from "./internal/window-types.js";

export interface HoppingWindowOptions<T, A, R> extends WindowOptions<T, A, R> {
  /** Window length, event-time ms. */
  readonly sizeMs: number;
  /** Distance between window starts; `advanceMs <= sizeMs`. */
  readonly advanceMs: number;
  /** Alignment offset, default 0. */
  readonly offsetMs?: number;
}

/**
 * Event-time hopping windows (Flink's sliding windows): windows of `sizeMs` starting every
 * `advanceMs`, so each record falls into `ceil(sizeMs / advanceMs)` windows (exactly
 * `sizeMs / advanceMs` when it divides). Everything else — keys, emit modes, allowed lateness, the
 * `late` side output, firing order (window end, key, start) — as {@link tumblingWindow}. A record is
 * sent to `late` only if every window it belongs to is beyond the allowed lateness.
 *
 * ```
 * sizeMs: 10, advanceMs: 5
 * input:  -a@7--W9--------W14--|
 * output: ----(p W9)---(q W14)|
 *   p = { windowStart: 0, windowEnd: 10, result: [a] }
 *   q = { windowStart: 5, windowEnd: 15, result: [a] }
 * ```
 */
export function hoppingWindow<T, A = T[], R = readonly T[]>(
  options: HoppingWindowOptions<T, A, R>,
): DescribedOperator<T, WindowResult<R>> {
  checkPositive("sizeMs", options.sizeMs);
  checkPositive("advanceMs", options.advanceMs);
  checkNonNegative("offsetMs", options.offsetMs);
  if (options.advanceMs > options.sizeMs) throw new RangeError("advanceMs must be <= sizeMs");
  return makeWindowOperator(
    "hoppingWindow",
    { kind: "fixed", size: options.sizeMs, advance: options.advanceMs, offset: options.offsetMs ?? 0 },
    options,
    options.sizeMs,
  );
}
