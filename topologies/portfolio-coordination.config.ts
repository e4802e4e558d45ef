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

const HOUR = 3_600_000;
const Ms = z.number().int().nonnegative();
const Fraction = z.number().finite().nonnegative();

/** Event time: the runtime's watermark cadence and lateness tolerated after a window closes. */
export const TimeConfig = z
  .object({
    /** How long after a window's end a late record still re-fires it (then it goes to `late`). */
    allowedLatenessMs: Ms.default(0),
  })
  .prefault({});

/** How long dedup remembers an event id (event time past the first copy). */
export const DedupConfig = z
  .object({
    ttlMs: z
      .number()
      .int()
      .positive()
      .default(24 * HOUR),
  })
  .prefault({});

/** Signal windows per (portfolio, instrument), then batches per portfolio. */
export const WindowConfig = z
  .object({
    kind: z.enum(["tumbling", "hopping", "session"]).default("tumbling"),
    /** Window length (tumbling, hopping); also the length of the per-portfolio batches. */
    sizeMs: z.number().int().positive().default(HOUR),
    /** Advance between windows (hopping; default half the size). */
    advanceMs: z.number().int().positive().optional(),
    /** Inactivity gap that closes a session (session; default 15 minutes). */
    gapMs: z.number().int().positive().optional(),
  })
  .prefault({});

/** Which signals are good enough to act on, and how much each source is trusted. */
export const QualityConfig = z
  .object({
    minConfidence: Fraction.max(1).default(0.35),
    minStrength: Fraction.max(1).default(0.05),
    /** Signals older than this behind the watermark are rejected as stale. */
    maxStalenessMs: Ms.default(6 * HOUR),
    /** Reliability 0..1 per source; it weighs the source's signals in aggregation. */
    sourceReliability: z.record(z.string(), Fraction.max(1)).default({
      "quant-research": 0.9,
      "stat-arb": 0.8,
      "alt-data-vendor": 0.4,
    }),
    /** Reliability of a source not listed. */
    defaultReliability: Fraction.max(1).default(0.5),
    minReliability: Fraction.max(1).default(0.2),
    /** Minimum quality (confidence × reliability) a signal needs. */
    minQuality: Fraction.max(1).default(0.2),
    /** |net score| below which an aggregated signal is flat. */
    flatThreshold: Fraction.max(1).default(0.05),
  })
  .prefault({});

/** Sizing of net signals and targets into trade proposals (fractional multi-asset Kelly). */
export const SizingConfig = z
  .object({
    /** Fraction of full Kelly, (0, 1]. */
    kellyFraction: z.number().gt(0).max(1).default(0.25),
    /** Per-name cap on |target weight|. */
    maxWeight: Fraction.max(1).default(0.06),
    /** Annualized volatility budget of the target portfolio. */
    maxVolatility: Fraction.default(0.2),
    /** Cap on gross leverage Σ|w|. */
    maxGrossLeverage: Fraction.default(1),
    allowShort: z.boolean().default(true),
    /** Max |trade| as a fraction of the instrument's average daily volume. */
    maxParticipation: Fraction.max(1).default(0.05),
  })
  .prefault({});

/** Transaction costs used by conflict resolution. */
export const CostConfig = z
  .object({
    /** Half spread + commission, as a fraction of traded value. */
    linearCost: Fraction.default(0.0005),
    /** Square-root-law impact coefficient k. */
    impactCoefficient: Fraction.default(0.1),
  })
  .prefault({});

/** Conflict resolution: maximize α'x − λ·(w+x)'Σ(w+x) − costs. */
export const ConflictConfig = z
  .object({
    /** Risk aversion λ. */
    riskAversion: Fraction.default(2),
    /** HiGHS iteration limit (deterministic). */
    iterationLimit: z.number().int().positive().default(10_000),
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
  /** The runtime emits a watermark whenever record event time advances this much. */
  watermarkIntervalMs: z.number().int().positive().default(1000),
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
