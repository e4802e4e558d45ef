/**
 * Example 3 — five portfolios with their own mandates, over three workers.
 *
 * The bundled topology, renamed, with a configuration composed in code: each portfolio gets its
 * NAV, its investment policy and its risk limits (`"*"` is the house default). Run it with
 * `workers: 3` and the workers' KeyShared subscriptions split the portfolios between them; the
 * decisions are byte-identical to a single worker's.
 *
 * ```ts
 * await runRecording(multiPortfolio, messages, { transport: "embedded", workers: 3, config: mandates });
 * ```
 */
import type { InvestmentPolicy } from "../lib/domain/policy.js";
import type { RiskLimits } from "../lib/domain/risk-limits.js";
import { portfolioCoordination } from "../topologies/portfolio-coordination.js";
import {
  defaultPolicy,
  defaultRiskLimits,
  type PortfolioCoordinationConfigInput,
} from "../topologies/portfolio-coordination.config.js";

const policy = (policyId: string, changes: Partial<InvestmentPolicy>): InvestmentPolicy => ({
  ...defaultPolicy,
  policyId,
  ...changes,
});
const limits = (limitsId: string, changes: Partial<RiskLimits>): RiskLimits => ({
  ...defaultRiskLimits,
  limitsId,
  ...changes,
});

/** Per-portfolio mandates: NAV, policy and risk limits. */
export const mandates = {
  portfolios: {
    "global-core": { nav: 500_000_000 },
    "tech-growth": { nav: 150_000_000 },
    "value-income": { nav: 200_000_000 },
    defensive: { nav: 100_000_000 },
    cyclicals: { nav: 120_000_000 },
  },
  policies: {
    "*": defaultPolicy,
    // A concentrated growth book: bigger single names, sectors up to 60 %.
    "tech-growth": policy("tech-growth", {
      singleName: { maxWeight: 0.12, action: "clip" },
      sector: { maxWeight: 0.6, action: "clip" },
    }),
    // A defensive book: small positions, low turnover, no tobacco.
    defensive: policy("defensive", {
      singleName: { maxWeight: 0.04, action: "clip" },
      turnover: { maxTurnover: 0.1, action: "clip" },
      restrictedList: { instruments: ["MO", "PM"], action: "reject" },
    }),
  },
  riskLimits: {
    "*": defaultRiskLimits,
    defensive: limits("defensive", { volatility: { max: 0.1, action: "clip" } }),
  },
} satisfies PortfolioCoordinationConfigInput;

export const multiPortfolio = portfolioCoordination({ name: "multi-portfolio", version: "1.0.0" });
export default multiPortfolio;
