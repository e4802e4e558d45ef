import { map } from "rxjs";
import type { ProposalBatch } from "../lib/domain/portfolio.js";
import { SCHEMA_VERSION } from "../lib/events/common.js";
import type { PortfolioStateUpdateEvent } from "../lib/events/portfolio-state-update.js";
import { record, type StreamItem } from "../lib/stream/item.js";
import { sortedUnion } from "./portfolio-internal/sorted.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import {
  batchDecisionIds,
  batchEventId,
  type DecisionSelection,
  isDecision,
  type TopologyRef,
} from "./portfolio-internal/decisions.js";
import { sortedIds } from "../lib/events/lineage.js";

export interface PortfolioStateUpdatesOptions extends DecisionSelection {
  /** Same topology (and selection) as the `coordinate` step, so that decisionIds match its eventIds. */
  readonly topology: TopologyRef;
}

/**
 * The portfolio as a resolved batch's decisions leave it: one `PortfolioStateUpdateEvent` per batch.
 *
 * ```
 * in:   ---b1------b2---|--wm--
 *       portfolioStateUpdates({ topology })
 * out:  ---s1------s2---|--wm--   (1:1; watermarks and side outputs forwarded)
 * ```
 *
 * Positions = holdings with each proposal's target quantity applied (zero positions dropped,
 * sorted by instrumentId), weights on the batch NAV (trades at the proposals' prices leave NAV
 * unchanged), cash = cash − Σ tradeQuantity·price, gross = Σ|w|, net = Σw, decisionIds = the ids
 * `coordinate` gives this batch's decisions (with the same options), inputIds = the record's ids
 * (sorted): the lineage each decision names by reference (its `lineage.batchId` is this event's
 * id). eventId = sha256 of the
 * topology hash, portfolio, window and the digest of the input ids (deterministic).
 */
export function portfolioStateUpdates(
  options: PortfolioStateUpdatesOptions,
): DescribedOperator<ProposalBatch, PortfolioStateUpdateEvent> {
  const op = map((item: StreamItem<ProposalBatch>): StreamItem<PortfolioStateUpdateEvent> => {
    if (item.kind !== "record") return item;
    const b = item.value;
    const idOf = batchDecisionIds(options.topology.hash, b, item.ids);
    const qty = new Map<string, { quantity: number; price: number }>();
    const held: string[] = [];
    for (const h of b.holdings ?? []) {
      qty.set(h.instrumentId, { quantity: h.quantity, price: h.price });
      held.push(h.instrumentId);
    }
    let cash = b.cash ?? 0;
    const proposed: string[] = [];
    const decisionIds: string[] = [];
    for (const p of b.proposals) {
      qty.set(p.instrumentId, { quantity: p.targetQuantity, price: p.price });
      proposed.push(p.instrumentId);
      cash -= p.tradeQuantity * p.price;
      if (isDecision(p, options)) decisionIds.push(idOf(p.instrumentId));
    }
    // Holdings and proposals are sorted by contract: merged in O(n) (sorted otherwise).
    const positions: PortfolioStateUpdateEvent["positions"] = [];
    for (const instrumentId of sortedUnion(held, proposed)) {
      const v = qty.get(instrumentId)!;
      if (v.quantity === 0) continue;
      positions.push({ instrumentId, quantity: v.quantity, price: v.price, weight: (v.quantity * v.price) / b.nav });
    }
    const event: PortfolioStateUpdateEvent = {
      eventType: "PortfolioStateUpdate",
      eventId: batchEventId(options.topology.hash, "state", b, item.ids),
      eventTime: item.eventTime,
      schemaVersion: SCHEMA_VERSION,
      portfolioId: b.portfolioId,
      nav: b.nav,
      cash,
      positions,
      grossExposure: positions.reduce((s, p) => s + Math.abs(p.weight), 0),
      netExposure: positions.reduce((s, p) => s + p.weight, 0),
      decisionIds,
      inputIds: sortedIds(item.ids) as string[],
    };
    return record(event, item.eventTime, item.key, item.ids);
  });
  return describeOperator(op, { operatorName: "portfolioStateUpdates" });
}
