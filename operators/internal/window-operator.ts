import { type Envelope, SideTag } from "../../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../../lib/stream/operator.js";
import { streamOperator } from "./operate.js";
import { type WindowAssigner, WindowEngine, type WindowState } from "./window-engine.js";
import { windowHold } from "./window-retention.js";
import {
  checkNonNegative,
  collectValues,
  type Firing,
  resolveKeySelector,
  type WindowAggregator,
  type WindowOptions,
  type WindowResult,
} from "./window-types.js";

/** Shared construction of the generic window operators (tumbling, hopping, session). */
export function makeWindowOperator<T, A, R>(
  operatorName: string,
  assigner: WindowAssigner,
  options: WindowOptions<T, A, R>,
  retentionBaseMs: number,
): DescribedOperator<T, WindowResult<R>> {
  const lateness = options.allowedLatenessMs ?? 0;
  checkNonNegative("allowedLatenessMs", lateness);
  const aggregate = (options.aggregate ?? collectValues<T>()) as WindowAggregator<T, A, R>;
  if (assigner.kind === "session" && typeof aggregate.merge !== "function") {
    throw new TypeError(`${operatorName}: session windows need an aggregator with merge()`);
  }
  const keyOf = resolveKeySelector(options.key);
  const emit = options.emit ?? "final";
  const accumulation = options.accumulation ?? "accumulating";
  // The envelope is a literal of its own rather than `record()` (see there why): window results are
  // consumed at once. Session windows, 10k keys, bench: 0.82M → 3.2–3.5M records per CPU-second.
  const project = (st: WindowState<A>, firing: Firing, ids: string[]): Envelope<WindowResult<R>> => ({
    kind: "record",
    value: {
      key: st.key,
      windowStart: st.start,
      windowEnd: st.end,
      firing,
      count: st.count,
      // the bounds only, as slidingWindow passes them (the state's other fields are internal)
      result: aggregate.result(st.acc, { key: st.key, start: st.start, end: st.end }),
    },
    eventTime: st.end - 1,
    key: st.key,
    ids,
  });
  const op = streamOperator<T, WindowResult<R>>(
    (out) => new WindowEngine(out, { assigner, keyOf, aggregate, emit, lateness, accumulation, project }),
  );
  return describeOperator(op, {
    operatorName,
    sideOutputs: [SideTag.late],
    retentionMs: retentionBaseMs + lateness,
    hold: windowHold(assigner, lateness),
  });
}
