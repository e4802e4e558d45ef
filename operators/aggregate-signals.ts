import type { TradingSignalEvent } from "../lib/events/trading-signal.js";
import type { NetSignal } from "../lib/domain/signals.js";
import { type Envelope, SideTag } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { windowHold } from "./internal/window-retention.js";
import { streamOperator } from "./internal/operate.js";
import { type WindowAssigner, WindowEngine, type WindowState } from "./internal/window-engine.js";
import {
  type Accumulation,
  checkNonNegative,
  checkPositive,
  type EmitMode,
  type Firing,
  type MergingWindowAggregator,
} from "./internal/window-types.js";
import { PairKeys } from "./internal/pair-key.js";
import { NetSignalAccumulator, type SignalWeighting } from "./internal/net-signal-accumulator.js";

export type { SignalWeighting } from "./internal/net-signal-accumulator.js";

/** Which event-time windows a windowed operator groups by. */
export type WindowSpec =
  | { readonly kind: "tumbling"; readonly sizeMs: number; readonly offsetMs?: number }
  | { readonly kind: "hopping"; readonly sizeMs: number; readonly advanceMs: number; readonly offsetMs?: number }
  | { readonly kind: "session"; readonly gapMs: number };

export interface AggregateSignalsOptions extends SignalWeighting {
  readonly window: WindowSpec;
  /** Default `"final"`. */
  readonly emit?: EmitMode;
  /** Default 0. */
  readonly allowedLatenessMs?: number;
  /** Default `"accumulating"`. */
  readonly accumulation?: Accumulation;
}

/**
 * The net view of a set of signals for one (portfolio, instrument), from first principles:
 *
 * - quality `q_i = confidence_i × reliability(source_i)`, direction `d_i` = +1 long, −1 short,
 *   0 flat, weight `w_i = q_i × strength_i`;
 * - `score = Σ w_i d_i / Σ q_i` — the quality-weighted mean signed strength, in [−1, 1]
 *   (0 when `Σ q_i = 0`); `strength = |score|`; direction by the sign of `score` beyond
 *   `flatThreshold`;
 * - `confidence = (Σ w_i confidence_i / Σ w_i) × agreement`, `agreement = |W_long − W_short| /
 *   (W_long + W_short)` (1 without directional signals), so disagreement lowers confidence;
 * - `expectedReturn`, `horizonMs`: `w`-weighted means (plain means when `Σ w_i = 0`); a signal's
 *   `expectedReturn` is read as the instrument's signed expected return;
 * - `conflict` when there are long and short signals; `conflictingSources` are the distinct
 *   sources of the side with the smaller total weight (both sides on a tie);
 * - `urgency` the highest; `contributingSignalIds`, `sources` sorted and distinct.
 */
export function combineSignals(
  signals: readonly TradingSignalEvent[],
  window: { readonly start: number; readonly end: number },
  weighting: SignalWeighting = {},
): NetSignal {
  const acc = new NetSignalAccumulator(weighting);
  for (const s of signals) acc.add(s);
  return acc.result(window);
}

/** The window assigner for a {@link WindowSpec} (validated). */
export function windowAssigner(spec: WindowSpec): WindowAssigner {
  if (spec.kind === "session") {
    checkPositive("gapMs", spec.gapMs);
    return { kind: "session", gap: spec.gapMs };
  }
  checkPositive("sizeMs", spec.sizeMs);
  checkNonNegative("offsetMs", spec.offsetMs);
  const advance = spec.kind === "hopping" ? spec.advanceMs : spec.sizeMs;
  checkPositive("advanceMs", advance);
  if (advance > spec.sizeMs) throw new RangeError("advanceMs must be <= sizeMs");
  return { kind: "fixed", size: spec.sizeMs, advance, offset: spec.offsetMs ?? 0 };
}

/** Event-time span of a window spec (the retention a window adds). */
export function windowSpanMs(spec: WindowSpec): number {
  return spec.kind === "session" ? spec.gapMs : spec.sizeMs;
}

/**
 * Combines the trading signals of each (portfolio, instrument) per event-time window into one
 * {@link NetSignal} (see {@link combineSignals} for the formulae), flagging opposite directions as a
 * conflict with the minority sources. Output records: value NetSignal (with `firing`), key =
 * portfolioId, event time = window end − 1, ids = union of the window's input ids. Windows, emit
 * modes, allowed lateness and the `late` side output as {@link tumblingWindow}; firings of one
 * watermark in the order (window end, portfolio, instrument, window start).
 *
 * ```
 * window: tumbling 10
 * input:  -L(p1,AAPL,long)@1--S(p1,AAPL,short)@3--W9--|
 * output: --------------------------------------(n W9)|
 *   n = { portfolioId: p1, instrumentId: AAPL, windowStart: 0, windowEnd: 10, conflict: true, ... }
 * ```
 */
export function aggregateSignals(options: AggregateSignalsOptions): DescribedOperator<TradingSignalEvent, NetSignal> {
  const assigner = windowAssigner(options.window);
  const lateness = options.allowedLatenessMs ?? 0;
  checkNonNegative("allowedLatenessMs", lateness);
  const weighting: SignalWeighting = options;
  const aggregate: MergingWindowAggregator<TradingSignalEvent, NetSignalAccumulator, NetSignalAccumulator> = {
    create: () => new NetSignalAccumulator(weighting),
    add: (acc, value, rec) => acc.add(value, rec.ids),
    merge: (a, b) => a.merge(b),
    result: (acc) => acc,
  };
  const project = (st: WindowState<NetSignalAccumulator>, firing: Firing, ids: string[]): Envelope<NetSignal> => {
    // the NetSignal with `firing` appended (same keys, same order as `{ ...net, firing }`)
    const net = st.acc.result(st, ids) as NetSignal & { firing: Firing };
    net.firing = firing;
    return { kind: "record", value: net, eventTime: st.end - 1, key: net.portfolioId, ids };
  };
  const op = streamOperator<TradingSignalEvent, NetSignal>((out) => {
    // window key (portfolio, instrument): one string object per pair (see PairKeys)
    const keys = new PairKeys("\u0001");
    return new WindowEngine(out, {
      assigner,
      keyOf: (v) => keys.key(v.portfolioId, v.instrumentId),
      aggregate,
      emit: options.emit ?? "final",
      lateness,
      accumulation: options.accumulation ?? "accumulating",
      // net signals are merged downstream (a portfolio batch is the union of its instruments')
      orderKeys: true,
      project,
    });
  });
  return describeOperator(op, {
    operatorName: "aggregateSignals",
    sideOutputs: [SideTag.late],
    retentionMs: windowSpanMs(options.window) + lateness,
    hold: windowHold(assigner, lateness),
  });
}
