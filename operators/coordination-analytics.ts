import { map } from "rxjs";
import type { ProposalBatch } from "../lib/domain/portfolio.js";
import { SCHEMA_VERSION } from "../lib/events/common.js";
import type { CoordinationAnalyticsEvent } from "../lib/events/coordination-analytics.js";
import { record, type StreamItem } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { batchEventId, type DecisionSelection, isDecision, type TopologyRef } from "./portfolio-internal/decisions.js";
import { tradeWeight } from "./portfolio-internal/proposal.js";
import { proposalAlpha } from "./resolve-conflicts.js";

export interface CoordinationAnalyticsOptions extends DecisionSelection {
  readonly topology: TopologyRef;
}

/**
 * Per-portfolio, per-window counters of what coordination did: one `CoordinationAnalyticsEvent`
 * per resolved batch.
 *
 * ```
 * in:   ---b1------b2---|--wm--
 *       coordinationAnalytics({ topology })
 * out:  ---a1------a2---|--wm--   (1:1; watermarks and side outputs forwarded)
 * ```
 *
 * signalsIn = distinct contributing signal / intent ids; decisionsOut = decisions `coordinate`
 * emits for the batch (same selection options); conflicts = proposals flagged as conflicting;
 * clipped = live proposals with at least one `clip` check; rejected = rejected proposals;
 * turnover = Σ notional / NAV; expectedAlpha = the conflict resolution's alpha term (else
 * Σ annualized alpha × trade weight); riskAfter = annualized volatility after the trades (0 when
 * no risk gate ran). eventId = sha256 of the topology hash, portfolio, window and the digest of the input ids.
 */
export function coordinationAnalytics(
  options: CoordinationAnalyticsOptions,
): DescribedOperator<ProposalBatch, CoordinationAnalyticsEvent> {
  const op = map((item: StreamItem<ProposalBatch>): StreamItem<CoordinationAnalyticsEvent> => {
    if (item.kind !== "record") return item;
    const b = item.value;
    const event: CoordinationAnalyticsEvent = {
      eventType: "CoordinationAnalytics",
      eventId: batchEventId(options.topology.hash, "analytics", b, item.ids),
      eventTime: item.eventTime,
      schemaVersion: SCHEMA_VERSION,
      portfolioId: b.portfolioId,
      windowStart: b.windowStart,
      windowEnd: b.windowEnd,
      signalsIn: distinctCount(b.proposals),
      decisionsOut: b.proposals.filter((p) => isDecision(p, options)).length,
      conflicts: b.proposals.filter((p) => p.conflict).length,
      clipped: b.proposals.filter((p) => !p.rejected && p.checks.some((c) => c.action === "clip")).length,
      rejected: b.proposals.filter((p) => p.rejected).length,
      turnover: b.nav > 0 ? b.proposals.reduce((s, p) => s + p.notional, 0) / b.nav : 0,
      expectedAlpha:
        b.conflictResolution?.objective.alpha ?? b.proposals.reduce((s, p) => s + proposalAlpha(p) * tradeWeight(p), 0),
      riskAfter: b.riskAfter?.volatility ?? 0,
    };
    return record(event, item.eventTime, item.key, item.ids);
  });
  return describeOperator(op, { operatorName: "coordinationAnalytics" });
}

/** Distinct contributing ids over a batch's proposals (a count: no sorted union is needed). */
function distinctCount(proposals: ProposalBatch["proposals"]): number {
  const seen = new Set<string>();
  for (const p of proposals) for (const id of p.contributingSignalIds) seen.add(id);
  return seen.size;
}
