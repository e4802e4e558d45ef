/**
 * Investment policy: the mandate rules `policyGate` enforces on every proposal batch.
 *
 * Each rule is optional and carries its own action:
 * - `reject`: a failing proposal is rejected (its trade set to zero, `rejected = true`, the check kept);
 * - `clip`: a failing proposal is cut back to the limit. For exposure limits that means the largest
 *   part of the trade that keeps the limit; for eligibility rules (allowed instruments / asset classes,
 *   restricted list, ESG) it means the trade may only reduce the existing position toward zero.
 *
 * Exposure limits are on post-trade weights (fraction of NAV) over the whole portfolio (holdings
 * plus proposals), measured gross (sum of |weight|). A limit already breached by the holdings alone
 * is never made worse: trades that increase it are clipped or rejected, trades that reduce it pass.
 */
import { z } from "zod";

export const RuleAction = z.enum(["clip", "reject"]);
export type RuleAction = z.infer<typeof RuleAction>;

const Fraction = z.number().finite().nonnegative();

export const InvestmentPolicy = z.object({
  policyId: z.string().min(1),
  /** Whitelist of tradable instruments; instruments not on it fail `allowed-instrument`. */
  allowedInstruments: z.object({ instruments: z.array(z.string().min(1)), action: RuleAction }).optional(),
  /** Whitelist of asset classes (InstrumentInfo.assetClass); unknown asset class fails. */
  allowedAssetClasses: z.object({ assetClasses: z.array(z.string().min(1)), action: RuleAction }).optional(),
  /** Restricted list: no new exposure on these names. */
  restrictedList: z.object({ instruments: z.array(z.string().min(1)), action: RuleAction }).optional(),
  /** ESG: excluded names and a minimum score (InstrumentInfo.esgScore, 0..100). */
  esg: z
    .object({
      excluded: z.array(z.string().min(1)),
      minScore: z.number().min(0).max(100).optional(),
      /** Whether an instrument without a score passes the minimum-score rule. */
      missingScore: z.enum(["pass", "fail"]),
      action: RuleAction,
    })
    .optional(),
  /** |post-trade weight| of one instrument <= maxWeight. */
  singleName: z.object({ maxWeight: Fraction, action: RuleAction }).optional(),
  /** Gross post-trade weight of one sector <= maxWeight (or its override); unknown sector is not grouped. */
  sector: z
    .object({ maxWeight: Fraction, overrides: z.record(z.string(), Fraction).optional(), action: RuleAction })
    .optional(),
  /** Gross post-trade weight of one country <= maxWeight (or its override); unknown country is not grouped. */
  country: z
    .object({ maxWeight: Fraction, overrides: z.record(z.string(), Fraction).optional(), action: RuleAction })
    .optional(),
  /** Sum of |trade notional| / NAV of the batch <= maxTurnover. */
  turnover: z.object({ maxTurnover: Fraction, action: RuleAction }).optional(),
});
export type InvestmentPolicy = z.infer<typeof InvestmentPolicy>;

/** Policies by portfolioId; the key `"*"` is the default for portfolios without their own. */
export type PolicyTable = ReadonlyMap<string, InvestmentPolicy>;
