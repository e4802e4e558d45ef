import { z } from "zod";
import { EpochMs, eventBase, InstrumentId, PortfolioId, Probability, Side, Urgency } from "./common.js";

/** One policy or risk check evaluated for a decision, with the number it saw and its limit. */
export const DecisionCheck = z.object({
  kind: z.enum(["policy", "risk"]),
  rule: z.string().min(1),
  value: z.number(),
  limit: z.number(),
  passed: z.boolean(),
  /** What the gate did: let it pass, clip the trade to the limit, or reject it. */
  action: z.enum(["pass", "clip", "reject"]),
  detail: z.string().optional(),
});
export type DecisionCheck = z.infer<typeof DecisionCheck>;

/** Portfolio risk figures (annualized volatility, 1-day VaR/ES as fractions of NAV, tracking error). */
export const RiskSnapshot = z.object({
  volatility: z.number().nonnegative(),
  valueAtRisk: z.number(),
  expectedShortfall: z.number(),
  trackingError: z.number().nonnegative().optional(),
  worstStressLoss: z.number().optional(),
});
export type RiskSnapshot = z.infer<typeof RiskSnapshot>;

export const ConflictResolution = z.object({
  conflictType: z.enum(["opposing-directions", "constraint-breach", "none"]),
  competingSources: z.array(z.string()),
  objective: z.object({
    alpha: z.number(),
    risk: z.number(),
    transactionCost: z.number(),
    total: z.number(),
  }),
  riskAversion: z.number().nonnegative(),
  solverStatus: z.string(),
});
export type ConflictResolution = z.infer<typeof ConflictResolution>;

/** The coordinated decision for one instrument of one portfolio; consilium never executes it. */
export const CoordinatedTradingDecisionEvent = z.object({
  eventType: z.literal("CoordinatedTradingDecision"),
  ...eventBase,
  portfolioId: PortfolioId,
  instrumentId: InstrumentId,
  side: Side,
  /** Shares to trade (non-negative; the side gives the sign). */
  quantity: z.number().nonnegative(),
  /** Absolute traded value in portfolio currency. */
  notional: z.number().nonnegative(),
  currentWeight: z.number(),
  targetWeight: z.number(),
  confidence: Probability,
  /** 1 (highest) .. 10 (lowest). */
  executionPriority: z.number().int().min(1).max(10),
  urgency: Urgency,
  timing: z.object({
    notBefore: EpochMs,
    notAfter: EpochMs,
    style: z.enum(["immediate", "twap", "vwap", "opportunistic"]),
  }),
  contributingSignalIds: z.array(z.string()),
  checks: z.array(DecisionCheck),
  riskBefore: RiskSnapshot,
  riskAfter: RiskSnapshot,
  conflictResolution: ConflictResolution.optional(),
  reasonCodes: z.array(z.string()),
  /**
   * What the decision derives from. Its own inputs are `contributingSignalIds`; all its inputs
   * (for a batch, every input of the portfolio window: conflict resolution couples its
   * instruments) are either listed here (`inputIds`) or named by reference (`batchId`): the
   * `portfolio-coordination` topology lists a batch's ids once, in the `PortfolioStateUpdateEvent`
   * whose event id is `batchId` (its `inputIds`), since a busy window has thousands of inputs and
   * listing them in each of its decisions made every decision tens of kilobytes. `inputCount` and
   * `inputsDigest` identify the set either way.
   */
  lineage: z.object({
    /** Ids of every input, when listed inline (sorted). */
    inputIds: z.array(z.string()).optional(),
    /** Else the event id of the batch's `PortfolioStateUpdateEvent`, which lists them. */
    batchId: z.string().min(1).optional(),
    /** How many input messages the decision derives from. */
    inputCount: z.number().int().nonnegative(),
    /** sha256 (hex) of the input ids, sorted and joined by U+001F (`inputsDigest` in lib/events/lineage.ts). */
    inputsDigest: z.string().length(64),
    topology: z.object({ name: z.string(), version: z.string(), hash: z.string() }),
    windowStart: EpochMs.optional(),
    windowEnd: EpochMs.optional(),
  }),
});
export type CoordinatedTradingDecisionEvent = z.infer<typeof CoordinatedTradingDecisionEvent>;
