import { URGENCY_RANK, type Urgency } from "../lib/events/common.js";
import type { TradingSignalEvent } from "../lib/events/trading-signal.js";
import type { NetSignal } from "../lib/domain/signals.js";
import { type Envelope, record, SideTag } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { streamOperator } from "./internal/operate.js";
import { type WindowAssigner, WindowEngine, type WindowState } from "./internal/window-engine.js";
import {
  type Accumulation,
  checkNonNegative,
  checkPositive,
  collectValues,
  type EmitMode,
  type Firing,
} from "./internal/window-types.js";

/** Which event-time windows a windowed operator groups by. */
export type WindowSpec =
  | { readonly kind: "tumbling"; readonly sizeMs: number; readonly offsetMs?: number }
  | { readonly kind: "hopping"; readonly sizeMs: number; readonly advanceMs: number; readonly offsetMs?: number }
  | { readonly kind: "session"; readonly gapMs: number };

/** How signals are weighted when they are combined. */
export interface SignalWeighting {
  /** Reliability score per source, 0..1. */
  readonly sourceReliability?: Readonly<Record<string, number>>;
  /** Reliability of sources missing from the map. Default 1. */
  readonly defaultReliability?: number;
  /** `|score| <= flatThreshold` gives direction `flat`. Default 0 (only an exact 0 is flat). */
  readonly flatThreshold?: number;
}

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
  const first = signals[0];
  if (first === undefined) throw new RangeError("combineSignals needs at least one signal");
  const rel = weighting.sourceReliability;
  const defaultRel = weighting.defaultReliability ?? 1;
  const flat = weighting.flatThreshold ?? 0;
  let sumQ = 0;
  let sumSigned = 0;
  let sumW = 0;
  let sumWConf = 0;
  let sumWEr = 0;
  let sumWH = 0;
  let sumConf = 0;
  let sumEr = 0;
  let sumH = 0;
  let longW = 0;
  let shortW = 0;
  let longs = 0;
  let shorts = 0;
  let urgency: Urgency = "low";
  let urgencyRank = URGENCY_RANK.low;
  // ids in strictly increasing order (the usual case: time-ordered ids) are already sorted and
  // distinct; the Set and the sort are only needed otherwise
  const idList: string[] = [];
  let increasing = true;
  const sources = new Set<string>();
  for (const s of signals) {
    const r = rel?.[s.source] ?? defaultRel;
    const q = s.confidence * r;
    const w = q * s.strength;
    const d = s.direction === "long" ? 1 : s.direction === "short" ? -1 : 0;
    sumQ += q;
    sumSigned += w * d;
    sumW += w;
    sumWConf += w * s.confidence;
    sumWEr += w * s.expectedReturn;
    sumWH += w * s.horizonMs;
    sumConf += s.confidence;
    sumEr += s.expectedReturn;
    sumH += s.horizonMs;
    if (d > 0) {
      longW += w;
      longs++;
    } else if (d < 0) {
      shortW += w;
      shorts++;
    }
    const rank = URGENCY_RANK[s.urgency];
    if (rank > urgencyRank) {
      urgency = s.urgency;
      urgencyRank = rank;
    }
    if (increasing && idList.length > 0 && !(s.eventId > idList[idList.length - 1]!)) increasing = false;
    idList.push(s.eventId);
    sources.add(s.source);
  }
  const n = signals.length;
  const score = sumQ > 0 ? clamp(sumSigned / sumQ) : 0;
  const directional = longW + shortW;
  const agreement = directional > 0 ? Math.abs(longW - shortW) / directional : 1;
  const meanConf = sumW > 0 ? sumWConf / sumW : sumConf / n;
  const conflict = longs > 0 && shorts > 0;
  let conflictingSources: string[] = [];
  if (conflict) {
    const minority = new Set<string>();
    for (const s of signals) {
      if ((s.direction === "long" && longW <= shortW) || (s.direction === "short" && shortW <= longW)) {
        minority.add(s.source);
      }
    }
    conflictingSources = [...minority].sort();
  }
  return {
    portfolioId: first.portfolioId,
    instrumentId: first.instrumentId,
    windowStart: window.start,
    windowEnd: window.end,
    direction: score > flat ? "long" : score < -flat ? "short" : "flat",
    score,
    strength: Math.abs(score),
    confidence: meanConf * agreement,
    expectedReturn: sumW > 0 ? sumWEr / sumW : sumEr / n,
    horizonMs: Math.round(sumW > 0 ? sumWH / sumW : sumH / n),
    urgency,
    contributingSignalIds: increasing ? idList : [...new Set(idList)].sort(),
    sources: [...sources].sort(),
    conflict,
    conflictingSources,
  };
}

function clamp(x: number): number {
  return Math.min(1, Math.max(-1, x));
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

function signalKey(v: TradingSignalEvent): string {
  return `${v.portfolioId}\u0001${v.instrumentId}`;
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
  const aggregate = collectValues<TradingSignalEvent>();
  const weighting: SignalWeighting = options;
  const project = (st: WindowState<TradingSignalEvent[]>, firing: Firing, ids: string[]): Envelope<NetSignal> => {
    // the NetSignal with `firing` appended (same keys, same order as `{ ...net, firing }`)
    const net = combineSignals(st.acc, st, weighting) as NetSignal & { firing: Firing };
    net.firing = firing;
    return record(net, st.end - 1, net.portfolioId, ids);
  };
  const op = streamOperator<TradingSignalEvent, NetSignal>(
    (out) =>
      new WindowEngine(out, {
        assigner,
        keyOf: signalKey,
        aggregate,
        emit: options.emit ?? "final",
        lateness,
        accumulation: options.accumulation ?? "accumulating",
        project,
      }),
  );
  return describeOperator(op, {
    operatorName: "aggregateSignals",
    sideOutputs: [SideTag.late],
    retentionMs: windowSpanMs(options.window) + lateness,
  });
}
