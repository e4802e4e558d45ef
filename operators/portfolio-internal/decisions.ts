/**
 * Shared by `coordinate`, `portfolioStateUpdates` and `coordinationAnalytics`: which proposals
 * become decisions, and deterministic event ids (sha256 of the topology hash and the decision's
 * identity, so a redelivered input never yields a new id).
 */
import { inputsDigest, sha256Hex } from "../../lib/events/lineage.js";
import type { TradeProposal } from "../../lib/domain/portfolio.js";

/** Topology identity carried in every decision's lineage. */
export interface TopologyRef {
  readonly name: string;
  readonly version: string;
  readonly hash: string;
}

/** Which proposals of a batch become `CoordinatedTradingDecisionEvent`s. */
export interface DecisionSelection {
  /** Trades with a notional below this are trivial (no decision). Default 0: any non-zero trade. */
  readonly minNotional?: number;
  /** Rejected proposals become `hold` decisions carrying their checks. Default true. */
  readonly emitRejected?: boolean;
}

export function isDecision(p: TradeProposal, sel: DecisionSelection = {}): boolean {
  if (p.rejected) return sel.emitRejected ?? true;
  return p.tradeQuantity !== 0 && p.notional > (sel.minNotional ?? 0);
}

/** sha256 hex (first 32 chars) of the parts joined by a unit separator. */
export function stableId(parts: readonly (string | number)[]): string {
  return sha256Hex(parts.join("\u001f")).slice(0, 32);
}

/** The decision id: topology hash + portfolio + instrument + window + digest of the input ids. */
export function decisionEventId(
  topologyHash: string,
  portfolioId: string,
  instrumentId: string,
  windowStart: number,
  windowEnd: number,
  inputIds: readonly string[],
): string {
  return stableId([
    topologyHash,
    "decision",
    portfolioId,
    instrumentId,
    windowStart,
    windowEnd,
    inputsDigest(inputIds),
  ]);
}

/** The id of a batch-level event (`kind`: "state", "analytics") of a portfolio window. */
export function batchEventId(
  topologyHash: string,
  kind: string,
  batch: { readonly portfolioId: string; readonly windowStart: number; readonly windowEnd: number },
  inputIds: readonly string[],
): string {
  return stableId([topologyHash, kind, batch.portfolioId, batch.windowStart, batch.windowEnd, inputsDigest(inputIds)]);
}

/**
 * {@link decisionEventId} for the proposals of one batch record, hashing the input ids once
 * ({@link inputsDigest}). Same ids as {@link decisionEventId}.
 */
export function batchDecisionIds(
  topologyHash: string,
  batch: { readonly portfolioId: string; readonly windowStart: number; readonly windowEnd: number },
  inputIds: readonly string[],
): (instrumentId: string) => string {
  return (instrumentId) =>
    decisionEventId(topologyHash, batch.portfolioId, instrumentId, batch.windowStart, batch.windowEnd, inputIds);
}
