/**
 * Pre-trade risk limits that `riskGate` enforces on the portfolio with a batch's trades applied.
 *
 * Units: volatility and tracking error annualized; VaR, expected shortfall and stress losses as
 * fractions of NAV (VaR/ES over `horizonDays`, at `confidence`). Each limit has an action:
 * `clip` scales all trades of the batch by the largest common factor in [0, 1] that satisfies the
 * limit (a breach already present before the trades is never made worse); `reject` rejects every
 * trade of the batch. Limits arrive as a runtime side input and may change at any time.
 */
import { z } from "zod";
import { RuleAction } from "./policy.js";

const Positive = z.number().finite().positive();

export const StressScenario = z.object({
  name: z.string().min(1),
  /** Return shock per instrument (e.g. -0.2 = -20 %); instruments not listed are not shocked. */
  shocks: z.record(z.string(), z.number().finite()),
});
export type StressScenario = z.infer<typeof StressScenario>;

export const RiskLimits = z.object({
  limitsId: z.string().min(1),
  /** Confidence level of VaR and ES, e.g. 0.99. */
  confidence: z.number().gt(0.5).lt(1),
  horizonDays: Positive,
  tradingDaysPerYear: Positive,
  /** Annualized portfolio volatility. */
  volatility: z.object({ max: Positive, action: RuleAction }).optional(),
  /** VaR over the horizon as a fraction of NAV; `historical` needs a returns history side input. */
  valueAtRisk: z.object({ max: Positive, action: RuleAction, method: z.enum(["parametric", "historical"]) }).optional(),
  /** Expected shortfall over the horizon as a fraction of NAV. */
  expectedShortfall: z
    .object({ max: Positive, action: RuleAction, method: z.enum(["parametric", "historical"]) })
    .optional(),
  /** Annualized tracking error against the portfolio's benchmark weights. */
  trackingError: z.object({ max: Positive, action: RuleAction }).optional(),
  /** Worst loss (fraction of NAV) over the scenarios. */
  stress: z.object({ maxLoss: Positive, action: RuleAction, scenarios: z.array(StressScenario).min(1) }).optional(),
});
export type RiskLimits = z.infer<typeof RiskLimits>;

/** Risk limits by portfolioId; the key `"*"` is the default for portfolios without their own. */
export type RiskLimitsTable = ReadonlyMap<string, RiskLimits>;

/** Daily simple returns, T x N (rows = days oldest first), for historical VaR / ES. */
export interface ReturnHistory {
  readonly instrumentIds: readonly string[];
  readonly returns: readonly (readonly number[])[];
}
