import type { ProposalBatch, TradeProposal } from "../lib/domain/portfolio.js";
import { SCHEMA_VERSION, type Urgency } from "../lib/events/common.js";
import type { CoordinatedTradingDecisionEvent, RiskSnapshot } from "../lib/events/coordinated-trading-decision.js";
import { type Envelope, record, type StreamItem, sideOutput } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator, type StreamOperator } from "../lib/stream/operator.js";
import {
  batchDecisionIds,
  batchEventId,
  type DecisionSelection,
  isDecision,
  type TopologyRef,
} from "./portfolio-internal/decisions.js";
import { tradeWeight } from "./portfolio-internal/proposal.js";
import { inputsDigest } from "../lib/events/lineage.js";
import { Observable } from "rxjs";

export type { DecisionSelection, TopologyRef } from "./portfolio-internal/decisions.js";
export { decisionEventId } from "./portfolio-internal/decisions.js";

/** Side-output tag for a batch that produced no decision (every proposal trivial). */
export const NO_DECISION = "no-decision";

export interface CoordinateOptions extends DecisionSelection {
  /** Topology identity for the lineage and the deterministic decision ids. */
  readonly topology: TopologyRef;
  /** Execution window per urgency, ms after the decision's event time (capped by the signal horizon). */
  readonly executionWindowMs?: Partial<Readonly<Record<Urgency, number>>>;
}

const DEFAULT_WINDOW: Readonly<Record<Urgency, number>> = {
  critical: 5 * 60_000,
  high: 60 * 60_000,
  normal: 6.5 * 60 * 60_000,
  low: 5 * 24 * 60 * 60_000,
};
const STYLE: Readonly<Record<Urgency, CoordinatedTradingDecisionEvent["timing"]["style"]>> = {
  critical: "immediate",
  high: "twap",
  normal: "vwap",
  low: "opportunistic",
};
const BASE_PRIORITY: Readonly<Record<Urgency, number>> = { critical: 1, high: 3, normal: 5, low: 7 };

/** Decision confidence: the signals' confidence × source agreement (1 − conflicting / all sources), in [0, 1]. */
export function decisionConfidence(p: TradeProposal): number {
  const agreement = p.sources.length > 0 ? 1 - p.conflictingSources.length / p.sources.length : 1;
  return Math.min(1, Math.max(0, p.confidence * agreement));
}

/**
 * Execution priority 1 (first) .. 10: by urgency (critical 1, high 3, normal 5, low 7), one step
 * earlier for a trade of at least 1 % of NAV, one later when confidence < 0.5, two later when the
 * sources conflict; `hold` decisions are 10.
 */
export function executionPriority(p: TradeProposal, confidence: number): number {
  if (p.rejected || p.tradeQuantity === 0) return 10;
  let prio = BASE_PRIORITY[p.urgency];
  if (Math.abs(tradeWeight(p)) >= 0.01) prio -= 1;
  if (confidence < 0.5) prio += 1;
  if (p.conflict) prio += 2;
  return Math.min(10, Math.max(1, prio));
}

const NOT_ASSESSED: RiskSnapshot = { volatility: 0, valueAtRisk: 0, expectedShortfall: 0 };

/**
 * Turns each resolved proposal batch into `CoordinatedTradingDecisionEvent`s, one per non-trivial
 * proposal (a trade with notional > `minNotional`) and, unless `emitRejected: false`, one `hold`
 * decision per rejected proposal so that its checks reach the audit trail.
 *
 * ```
 * in:   ---b1--------b2-----b3---|--wm--
 *       coordinate({ topology })
 * out:  ---(d1 d2)---d3-----x----|--wm--   (x = side output `no-decision` / `no-trade` when a
 *                                          batch yields nothing; 1:N otherwise)
 * ```
 *
 * Each decision carries: side and quantity from the trade (buy/sell, `hold` for rejected), target
 * and current weights, {@link decisionConfidence}, {@link executionPriority}, urgency, timing
 * (notBefore = the batch's event time; notAfter = + the urgency's execution window, capped by the
 * signal horizon; style immediate / twap / vwap / opportunistic by urgency), the contributing
 * signal ids, every policy and risk check, the batch's riskBefore / riskAfter (zeros and reason
 * `risk-not-assessed` when no risk gate ran), the batch's conflict resolution, reason codes, and
 * lineage: the batch by reference — batchId = the id `portfolioStateUpdates` gives the batch's
 * state update (which lists the record's ids as `inputIds`), inputCount and inputsDigest of the
 * record's ids — the topology {name, version, hash} and the window. The
 * `eventId` is {@link decisionEventId}, so a redelivered input never yields a new id. Every
 * decision envelope carries the batch record's ids (for acks). Decisions are in proposal order.
 */
export function coordinate(
  options: CoordinateOptions,
): DescribedOperator<ProposalBatch, CoordinatedTradingDecisionEvent> {
  const windows = { ...DEFAULT_WINDOW, ...options.executionWindowMs };
  const op: StreamOperator<ProposalBatch, CoordinatedTradingDecisionEvent> = (source) =>
    new Observable<StreamItem<CoordinatedTradingDecisionEvent>>((subscriber) =>
      source.subscribe({
        next: (item) => {
          if (item.kind !== "record") {
            subscriber.next(item);
            return;
          }
          let out: Envelope<CoordinatedTradingDecisionEvent>[];
          try {
            out = decide(item, options, windows);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (out.length === 0) subscriber.next(sideOutput(NO_DECISION, "no-trade", item));
          for (const d of out) subscriber.next(d);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
  return describeOperator(op, { operatorName: "coordinate", sideOutputs: [NO_DECISION] });
}

function decide(
  rec: Envelope<ProposalBatch>,
  options: CoordinateOptions,
  windows: Readonly<Record<Urgency, number>>,
): Envelope<CoordinatedTradingDecisionEvent>[] {
  const b = rec.value;
  const out: Envelope<CoordinatedTradingDecisionEvent>[] = [];
  const idOf = batchDecisionIds(options.topology.hash, b, rec.ids);
  let batch: CoordinatedTradingDecisionEvent["lineage"] | undefined;
  const t = rec.eventTime;
  for (const p of b.proposals) {
    if (!isDecision(p, options)) continue;
    const hold = p.rejected || p.tradeQuantity === 0;
    const confidence = decisionConfidence(p);
    const window = p.horizonMs > 0 ? Math.min(windows[p.urgency], p.horizonMs) : windows[p.urgency];
    const reasonCodes = p.reasonCodes.slice();
    if (b.riskBefore === undefined || b.riskAfter === undefined) reasonCodes.push("risk-not-assessed");
    const decision: CoordinatedTradingDecisionEvent = {
      eventType: "CoordinatedTradingDecision",
      eventId: idOf(p.instrumentId),
      eventTime: t,
      schemaVersion: SCHEMA_VERSION,
      portfolioId: b.portfolioId,
      instrumentId: p.instrumentId,
      side: hold ? "hold" : p.tradeQuantity > 0 ? "buy" : "sell",
      quantity: hold ? 0 : Math.abs(p.tradeQuantity),
      notional: hold ? 0 : p.notional,
      currentWeight: p.currentWeight,
      targetWeight: p.targetWeight,
      confidence,
      executionPriority: executionPriority(p, confidence),
      urgency: p.urgency,
      timing: { notBefore: t, notAfter: t + Math.round(window), style: STYLE[p.urgency] },
      contributingSignalIds: p.contributingSignalIds.slice(),
      checks: p.checks.slice(),
      riskBefore: b.riskBefore ?? NOT_ASSESSED,
      riskAfter: b.riskAfter ?? NOT_ASSESSED,
      ...(b.conflictResolution ? { conflictResolution: b.conflictResolution } : {}),
      reasonCodes,
      lineage: (batch ??= {
        batchId: batchEventId(options.topology.hash, "state", b, rec.ids),
        inputCount: rec.ids.length,
        inputsDigest: inputsDigest(rec.ids),
        topology: { name: options.topology.name, version: options.topology.version, hash: options.topology.hash },
        windowStart: b.windowStart,
        windowEnd: b.windowEnd,
      }),
    };
    out.push(record(decision, t, b.portfolioId, rec.ids));
  }
  return out;
}
