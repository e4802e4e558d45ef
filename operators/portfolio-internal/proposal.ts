/**
 * Weight <-> quantity conversions for trade proposals. Weights are fractions of NAV; a proposal's
 * weights and quantities are kept consistent: targetWeight = currentWeight + tradeWeight,
 * tradeQuantity = tradeWeight * nav / price, notional = |tradeQuantity| * price.
 */
import type { ProposalBatch, TradeProposal } from "../../lib/domain/portfolio.js";
import type { ConflictResolution, DecisionCheck, RiskSnapshot } from "../../lib/events/coordinated-trading-decision.js";

/** Trade as a fraction of NAV (target - current weight). */
export function tradeWeight(p: TradeProposal): number {
  return p.targetWeight - p.currentWeight;
}

/**
 * A copy of `p` with the trade, checks, reason codes and rejection replaced, built as one object
 * literal in {@link TradeProposal}'s field order. Every proposal the operators create therefore
 * shares one hidden class (object spread over proposals of many shapes fell back to V8's slow
 * generic clone: ~1 µs per copy, the largest self time of a small batch). Copies carry exactly
 * the TradeProposal fields.
 */
function copyProposal(
  p: TradeProposal,
  targetWeight: number,
  targetQuantity: number,
  tradeQuantity: number,
  notional: number,
  checks: readonly DecisionCheck[],
  reasonCodes: readonly string[],
  rejected: boolean,
): TradeProposal {
  return {
    portfolioId: p.portfolioId,
    instrumentId: p.instrumentId,
    price: p.price,
    currentQuantity: p.currentQuantity,
    currentWeight: p.currentWeight,
    targetWeight,
    targetQuantity,
    tradeQuantity,
    notional,
    expectedReturn: p.expectedReturn,
    confidence: p.confidence,
    urgency: p.urgency,
    horizonMs: p.horizonMs,
    contributingSignalIds: p.contributingSignalIds,
    sources: p.sources,
    conflict: p.conflict,
    conflictingSources: p.conflictingSources,
    checks,
    reasonCodes,
    rejected,
  };
}

/** A copy of `p` whose target weight is `targetWeight` (quantities and notional recomputed). */
export function withTargetWeight(p: TradeProposal, targetWeight: number, nav: number): TradeProposal {
  const dw = targetWeight - p.currentWeight;
  if (dw === 0) return copyProposal(p, p.currentWeight, p.currentQuantity, 0, 0, p.checks, p.reasonCodes, p.rejected);
  const tradeQuantity = p.price > 0 ? (dw * nav) / p.price : 0;
  return copyProposal(
    p,
    targetWeight,
    p.currentQuantity + tradeQuantity,
    tradeQuantity,
    Math.abs(tradeQuantity) * p.price,
    p.checks,
    p.reasonCodes,
    p.rejected,
  );
}

/** {@link scaleTrade} then {@link annotate}, as one copy. */
export function scaleAndAnnotate(
  p: TradeProposal,
  factor: number,
  nav: number,
  checks: readonly DecisionCheck[],
  reasonCodes: readonly string[],
): TradeProposal {
  if (factor === 1) return annotate(p, checks, reasonCodes);
  const dw = p.currentWeight + factor * tradeWeight(p) - p.currentWeight;
  const allChecks = checks.length === 0 ? p.checks : p.checks.length === 0 ? checks : p.checks.concat(checks);
  const codes =
    reasonCodes.length === 0
      ? p.reasonCodes
      : p.reasonCodes.length === 0
        ? reasonCodes
        : p.reasonCodes.concat(reasonCodes);
  if (dw === 0) return copyProposal(p, p.currentWeight, p.currentQuantity, 0, 0, allChecks, codes, p.rejected);
  const tradeQuantity = p.price > 0 ? (dw * nav) / p.price : 0;
  return copyProposal(
    p,
    p.currentWeight + factor * tradeWeight(p),
    p.currentQuantity + tradeQuantity,
    tradeQuantity,
    Math.abs(tradeQuantity) * p.price,
    allChecks,
    codes,
    p.rejected,
  );
}

/** A copy of `p` with its trade scaled by `factor` (0 = no trade, 1 = unchanged). */
export function scaleTrade(p: TradeProposal, factor: number, nav: number): TradeProposal {
  if (factor === 1) return p;
  return withTargetWeight(p, p.currentWeight + factor * tradeWeight(p), nav);
}

/** Appends checks and reason codes. */
export function annotate(
  p: TradeProposal,
  checks: readonly DecisionCheck[],
  reasonCodes: readonly string[] = [],
): TradeProposal {
  if (checks.length === 0 && reasonCodes.length === 0) return p;
  // concat, not spread: no iterator protocol per element (this runs for every proposal at every gate).
  return copyProposal(
    p,
    p.targetWeight,
    p.targetQuantity,
    p.tradeQuantity,
    p.notional,
    // Check and code lists are immutable values, so an empty list is replaced by the given one.
    p.checks.length === 0 ? checks : p.checks.concat(checks),
    p.reasonCodes.length === 0 ? reasonCodes : p.reasonCodes.concat(reasonCodes),
    p.rejected,
  );
}

/** Rejects a proposal: no trade, `rejected = true`, a `rejected:<rule>` reason code. */
export function reject(p: TradeProposal, rule: string, _nav?: number): TradeProposal {
  const code = `rejected:${rule}`;
  return copyProposal(
    p,
    p.currentWeight,
    p.currentQuantity,
    0,
    0,
    p.checks,
    p.reasonCodes.includes(code) ? p.reasonCodes : p.reasonCodes.concat(code),
    true,
  );
}

/** True when |target| > |current| or the position changes sign (the trade adds exposure somewhere). */
export function increasesExposure(p: TradeProposal): boolean {
  const c = p.currentWeight;
  const t = p.targetWeight;
  return Math.abs(t) > Math.abs(c) || (c !== 0 && t !== 0 && Math.sign(c) !== Math.sign(t));
}

/**
 * A copy of a batch with new proposals (and, when given, risk snapshots / conflict resolution),
 * built as one literal in {@link ProposalBatch}'s field order; absent optional fields stay absent.
 */
export function withProposals(
  b: ProposalBatch,
  proposals: readonly TradeProposal[],
  extra: {
    readonly riskBefore?: RiskSnapshot;
    readonly riskAfter?: RiskSnapshot;
    readonly conflictResolution?: ConflictResolution;
  } = {},
): ProposalBatch {
  const out: {
    -readonly [K in keyof ProposalBatch]: ProposalBatch[K];
  } = {
    portfolioId: b.portfolioId,
    windowStart: b.windowStart,
    windowEnd: b.windowEnd,
    nav: b.nav,
    proposals,
  };
  if (b.holdings !== undefined) out.holdings = b.holdings;
  if (b.cash !== undefined) out.cash = b.cash;
  if (b.benchmarkWeights !== undefined) out.benchmarkWeights = b.benchmarkWeights;
  const riskBefore = extra.riskBefore ?? b.riskBefore;
  const riskAfter = extra.riskAfter ?? b.riskAfter;
  const conflictResolution = extra.conflictResolution ?? b.conflictResolution;
  if (riskBefore !== undefined) out.riskBefore = riskBefore;
  if (riskAfter !== undefined) out.riskAfter = riskAfter;
  if (conflictResolution !== undefined) out.conflictResolution = conflictResolution;
  return out;
}
