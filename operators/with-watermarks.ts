import { type StreamItem, watermark } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { streamOperator } from "./internal/operate.js";
import { checkNonNegative } from "./internal/window-types.js";

export interface WithWatermarksOptions {
  /**
   * Bounded out-of-orderness, event-time ms: a record at most this much older than the newest
   * record seen so far is never late. The watermark is `maxEventTime - outOfOrdernessMs - 1`
   * (a watermark `w` promises no more records with `eventTime <= w`).
   */
  readonly outOfOrdernessMs: number;
  /**
   * Emit a derived watermark only once it has advanced at least this much past the last emitted
   * one (event-time ms). Default 0: every advance is emitted. Larger values trade window-close
   * latency for fewer watermark items. Heartbeats are always forwarded when they advance.
   */
  readonly minAdvanceMs?: number;
}

/**
 * Assigns event-time watermarks: after each record that raises the highest event time seen, emits
 * `watermark(max - outOfOrdernessMs - 1)` if that advances the watermark. Watermark items already in
 * the input are heartbeats (an idle source saying "my time is past `w`"): they are forwarded when
 * they advance the watermark, so idle inputs still close windows, deterministically. Watermarks
 * never go backwards; records (late or not) and side outputs pass through unchanged — lateness is
 * decided by the windowing operator downstream.
 *
 * ```
 * outOfOrdernessMs: 2
 * input:  -a@10--b@8--c@14--W20(heartbeat)--|
 * output: -(a W7)--b--(c W11)--W20-----------|
 * ```
 */
export function withWatermarks<T>(options: WithWatermarksOptions): DescribedOperator<T, T> {
  const ooo = options.outOfOrdernessMs;
  checkNonNegative("outOfOrdernessMs", ooo);
  const minAdvance = options.minAdvanceMs ?? 0;
  checkNonNegative("minAdvanceMs", minAdvance);
  const op = streamOperator<T, T>((out) => {
    let maxTime = Number.NEGATIVE_INFINITY;
    let current = Number.NEGATIVE_INFINITY;
    return {
      next(item: StreamItem<T>) {
        if (item.kind === "record") {
          out.next(item);
          const t = item.eventTime;
          if (t > maxTime) {
            maxTime = t;
            const w = t - ooo - 1;
            if (w > current && (minAdvance === 0 || w - current >= minAdvance)) {
              current = w;
              out.next(watermark(w));
            }
          }
        } else if (item.kind === "watermark") {
          if (item.time > current) {
            current = item.time;
            out.next(item);
          }
        } else {
          out.next(item);
        }
      },
      complete() {},
    };
  });
  return describeOperator(op, { operatorName: "withWatermarks", sideOutputs: [], retentionMs: 0 });
}
