/**
 * Example 1 — a momentum-only desk with a tighter risk gate.
 *
 * Composed in code from the bundled operators: only `momentum-12-1` signals are kept (a
 * `filterRecords` step; the others go to the `rejected` side output with reason
 * `not-momentum`), they are windowed per trading day instead of per hour, and the risk limits are
 * tightened (8 % annualized volatility, 1 % one-day 99 % VaR) through the configuration schema,
 * whose every other default is the full topology's.
 */
import { z } from "zod";
import type { RiskLimits } from "../lib/domain/risk-limits.js";
import { RiskLimits as RiskLimitsSchema } from "../lib/domain/risk-limits.js";
import type { TradingSignalEvent } from "../lib/events/trading-signal.js";
import { SideTag } from "../lib/stream/item.js";
import { defineTopology } from "../lib/topology/define-topology.js";
import { filterRecords } from "../lib/topology/filter-records.js";
import type { StepContext } from "../lib/topology/types.js";
import { aggregateSignals } from "../operators/aggregate-signals.js";
import { batchByPortfolio } from "../operators/batch-by-portfolio.js";
import { coordinate, NO_DECISION } from "../operators/coordinate.js";
import { dedup } from "../operators/dedup.js";
import { portfolioStage } from "../topologies/portfolio-coordination.js";
import { PortfolioCoordinationConfig } from "../topologies/portfolio-coordination.config.js";
import { coordinationTopics as topics } from "../topologies/topics.js";

const DAY = 24 * 3_600_000;

/** The desk's risk limits: tighter than the default mandate. */
export const momentumDeskLimits: RiskLimits = {
  limitsId: "momentum-desk",
  confidence: 0.99,
  horizonDays: 1,
  tradingDaysPerYear: 252,
  volatility: { max: 0.08, action: "clip" },
  valueAtRisk: { max: 0.01, action: "clip", method: "parametric" },
};

/** The full topology's configuration with the desk's defaults: daily windows, tight limits. */
export const MomentumDeskConfig = PortfolioCoordinationConfig.extend({
  window: PortfolioCoordinationConfig.shape.window.unwrap().prefault({ sizeMs: DAY }),
  riskLimits: z.record(z.string(), RiskLimitsSchema).default({ "*": momentumDeskLimits }),
});
export type MomentumDeskConfig = z.infer<typeof MomentumDeskConfig>;

type Ctx = StepContext<MomentumDeskConfig>;
const defaults = MomentumDeskConfig.parse({});
const cfg = (ctx: Ctx) => ctx.config ?? defaults;

export const MOMENTUM_STRATEGY = "momentum-12-1";

export const momentumDesk = defineTopology<MomentumDeskConfig>({
  name: "momentum-desk",
  version: "1.0.0",
  description: "momentum-12-1 signals only, daily windows, tight risk limits",
  config: MomentumDeskConfig,
  sources: { signals: { topic: topics.signals, schema: "TradingSignalEvent" } },
  sideInputs: {
    marketData: { topic: topics.marketData, schema: "NormalizedMarketDataEvent" },
    correlations: { topic: topics.correlations, schema: "CorrelationMatrixUpdatedEvent" },
  },
  steps: {
    unique: { from: "signals", build: (ctx: Ctx) => dedup({ ttlMs: cfg(ctx).dedup.ttlMs }) },
    momentum: {
      from: "unique",
      use: filterRecords((s: TradingSignalEvent) => s.strategy === MOMENTUM_STRATEGY, "not-momentum"),
    },
    net: {
      from: "momentum",
      build: (ctx: Ctx) =>
        aggregateSignals({
          window: { kind: "tumbling", sizeMs: cfg(ctx).window.sizeMs },
          sourceReliability: cfg(ctx).quality.sourceReliability,
        }),
    },
    batches: { from: "net", build: (ctx: Ctx) => batchByPortfolio({ by: "window", sizeMs: cfg(ctx).window.sizeMs }) },
    portfolio: {
      from: "batches",
      sideInputs: ["marketData", "correlations"],
      state: ["book"],
      build: (ctx: Ctx) => portfolioStage(ctx),
    },
    decide: { from: "portfolio", build: (ctx: Ctx) => coordinate({ topology: ctx.topology }) },
  },
  sinks: { decisions: { from: "decide", topic: topics.decisions, schema: "CoordinatedTradingDecisionEvent" } },
  sideOutputs: {
    [SideTag.duplicate]: { topic: topics.duplicates },
    [SideTag.rejected]: { topic: topics.rejected },
    [SideTag.late]: { topic: topics.late },
    [NO_DECISION]: { topic: topics.noDecision },
  },
  deadLetters: { topic: topics.deadLetters },
});

export default momentumDesk;
