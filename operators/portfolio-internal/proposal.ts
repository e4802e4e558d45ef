/**
 * Weight <-> quantity conversions for trade proposals. Weights are fractions of NAV; a proposal's
 * weights and quantities are kept consistent: targetWeight = currentWeight + tradeWeight,
 * tradeQuantity = tradeWeight * nav / price, notional = |tradeQuantity| * price.
 */
import type { DecisionCheck } from "../../lib/events/coordinated-trading-decision.js";
import type { TradeProposal } from "../../lib/domain/portfolio.js";

/** Trade as a fraction of NAV (target - current weight). */
export function tradeWeight(p: TradeProposal): number {
  return p.targetWeight - p.currentWeight;
}

/** A copy of `p` whose target weight is `targetWeight` (quantities and notional recomputed). */
export function withTargetWeight(p: TradeProposal, targetWeight: number, nav: number): TradeProposal {
  const dw = targetWeight - p.currentWeight;
  if (dw === 0) {
    return { ...p, targetWeight: p.currentWeight, targetQuantity: p.currentQuantity, tradeQuantity: 0, notional: 0 };
  }
  const tradeQuantity = p.price > 0 ? (dw * nav) / p.price : 0;
  return {
    ...p,
    targetWeight,
    targetQuantity: p.currentQuantity + tradeQuantity,
    tradeQuantity,
    notional: Math.abs(tradeQuantity) * p.price,
  };
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
  return { ...p, checks: p.checks.concat(checks), reasonCodes: p.reasonCodes.concat(reasonCodes) };
}

/** Rejects a proposal: no trade, `rejected = true`, a `rejected:<rule>` reason code. */
export function reject(p: TradeProposal, rule: string, nav: number): TradeProposal {
  const flat = withTargetWeight(p, p.currentWeight, nav);
  const code = `rejected:${rule}`;
  return {
    ...flat,
    rejected: true,
    reasonCodes: p.reasonCodes.includes(code) ? p.reasonCodes : [...p.reasonCodes, code],
  };
}

/** True when |target| > |current| or the position changes sign (the trade adds exposure somewhere). */
export function increasesExposure(p: TradeProposal): boolean {
  const c = p.currentWeight;
  const t = p.targetWeight;
  return Math.abs(t) > Math.abs(c) || (c !== 0 && t !== 0 && Math.sign(c) !== Math.sign(t));
}
