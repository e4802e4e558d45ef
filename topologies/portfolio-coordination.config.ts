/**
 * Configuration of the `portfolio-coordination` topology: every parameter of the workflow (event
 * time, windows, quality thresholds and source reliabilities, sizing, costs, risk aversion λ,
 * investment policies, risk limits, initial portfolios), validated with zod. Every field has a
 * default, so `PortfolioCoordinationConfig.parse({})` is a complete, sensible configuration for the
 * bundled recording; a partial object overrides only what it names.
 *
 * ```ts
 * const config = PortfolioCoordinationConfig.parse({ window: { sizeMs: 30 * 60_000 } });
 * ```
 */
import { z } from "zod";
import { InvestmentPolicy } from "../lib/domain/policy.js";
import { RiskLimits } from "../lib/domain/risk-limits.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const Ms = z.number().int().nonnegative();
const Fraction = z.number().finite().nonnegative();

/** Event time: watermarks with bounded out-of-orderness, lateness tolerated after a window closes. */
export const TimeConfig = z
  .object({
    /** How far behind the highest event time seen a record may still arrive in order. */
    maxOutOfOrdernessMs: Ms.default(10_000),
    /** How long after a window's end a late record is still accepted (then it goes to `late`). */
    allowedLatenessMs: Ms.default(0),
  })
  .prefault({});

/** How long dedup remembers an event id (event time). */
export const DedupConfig = z.object({ retentionMs: Ms.default(24 * HOUR) }).prefault({});

/** Signal windows per (portfolio, instrument). */
export const WindowConfig = z
  .object({
    kind: z.enum(["tumbling", "hopping", "sliding", "session"]).default("tumbling"),
    /** Window length (tumbling, hopping, sliding). */
    sizeMs: z.number().int().positive().default(HOUR),
    /** Advance between windows (hopping). */
    slideMs: z.number().int().positive().optional(),
    /** Inactivity gap that closes a session (session). */
    gapMs: z.number().int().positive().optional(),
  })
  .prefault({});

/** Which signals are good enough to act on, and how much each source is trusted. */
export const QualityConfig = z
  .object({
    minConfidence: Fraction.max(1).default(0.35),
    minStrength: Fraction.max(1).default(0.05),
    /** Reliability 0..1 per source; it weighs the source's signals in aggregation. */
    sourceReliability: z.record(z.string(), Fraction.max(1)).default({
      "quant-research": 0.9,
      "stat-arb": 0.8,
      "alt-data-vendor": 0.4,
    }),
    /** Reliability of a source not listed. */
    defaultReliability: Fraction.max(1).default(0.5),
    /** Minimum quality (confidence × strength × reliability) a signal needs. */
    minQuality: Fraction.max(1).default(0.02),
  })
  .prefault({});

/** Transaction costs: half-spread and commission in basis points, square-root market impact. */
export const CostConfig = z
  .object({
    halfSpreadBps: Fraction.default(2),
    commissionBps: Fraction.default(0.5),
    /** Impact coefficient of the square-root law: cost fraction = k · σ_daily · sqrt(qty / ADV). */
    impactCoefficient: Fraction.default(0.1),
  })
  .prefault({});

/** Sizing of net signals into target weights. */
export const SizingConfig = z
  .object({
    /** Target |weight| of a net signal of score 1, before gates. */
    maxSignalWeight: Fraction.max(1).default(0.04),
    /** Trades smaller than this notional are dropped as noise. */
    minTradeNotional: Fraction.default(10_000),
    /** Max fraction of an instrument's average daily volume one decision may trade. */
    maxAdvParticipation: Fraction.max(1).default(0.05),
  })
  .prefault({});

/** Conflict resolution: mean-variance-cost objective α·w − λ/2·wᵀΣw − cost(w − w₀). */
export const ConflictConfig = z
  .object({
    /** Risk aversion λ. */
    riskAversion: Fraction.default(4),
  })
  .prefault({});

export const defaultPolicy: InvestmentPolicy = {
  policyId: "default-mandate",
  singleName: { maxWeight: 0.08, action: "clip" },
  sector: { maxWeight: 0.35, action: "clip" },
  country: { maxWeight: 1, action: "clip" },
  turnover: { maxTurnover: 0.25, action: "clip" },
  restrictedList: { instruments: [], action: "reject" },
};

export const defaultRiskLimits: RiskLimits = {
  limitsId: "default-limits",
  confidence: 0.99,
  horizonDays: 1,
  tradingDaysPerYear: 252,
  volatility: { max: 0.25, action: "clip" },
  valueAtRisk: { max: 0.04, action: "clip", method: "parametric" },
  expectedShortfall: { max: 0.05, action: "clip", method: "parametric" },
};

/** A portfolio's starting book (all cash unless positions are given). */
export const InitialPortfolio = z.object({
  nav: z.number().positive(),
  cash: z.number().optional(),
  /** Shares per instrument. */
  positions: z.record(z.string(), z.number()).default({}),
  benchmarkWeights: z.record(z.string(), z.number()).optional(),
});
export type InitialPortfolio = z.infer<typeof InitialPortfolio>;

/** The portfolios of the bundled recording, $100M each, starting in cash. */
export const defaultPortfolios: Record<string, InitialPortfolio> = Object.fromEntries(
  ["global-core", "tech-growth", "value-income", "defensive", "cyclicals"].map((id) => [
    id,
    { nav: 100_000_000, positions: {} },
  ]),
);

export const PortfolioCoordinationConfig = z.object({
  time: TimeConfig,
  dedup: DedupConfig,
  window: WindowConfig,
  quality: QualityConfig,
  sizing: SizingConfig,
  costs: CostConfig,
  conflicts: ConflictConfig,
  /** Investment policies by portfolioId; `"*"` applies to portfolios without their own. */
  policies: z.record(z.string(), InvestmentPolicy).default({ "*": defaultPolicy }),
  /** Risk limits by portfolioId; `"*"` applies to portfolios without their own. */
  riskLimits: z.record(z.string(), RiskLimits).default({ "*": defaultRiskLimits }),
  /** Starting books by portfolioId. */
  portfolios: z.record(z.string(), InitialPortfolio).default(defaultPortfolios),
  /** Universe id of the correlation matrices the risk model uses. */
  universeId: z.string().min(1).default("sp500-sample-48"),
});
export type PortfolioCoordinationConfig = z.infer<typeof PortfolioCoordinationConfig>;
/** What a user may pass: any part of the configuration. */
export type PortfolioCoordinationConfigInput = z.input<typeof PortfolioCoordinationConfig>;
