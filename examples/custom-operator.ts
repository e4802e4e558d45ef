/**
 * Example 2 — the full topology plus a user-written operator.
 *
 * A topology is plain data, so a variant is the bundled one with a step added: here
 * `volatilityTarget` (examples/operators/volatility-target.ts) rescales every signal's strength to
 * a 20 % volatility target, between dedup and the quality filter. Everything else — windows,
 * sizing, gates, conflict resolution, sinks, side-output routing — is the bundled topology's.
 */
import { defineTopology } from "../lib/topology/define-topology.js";
import type { StepContext, TopologySpec } from "../lib/topology/types.js";
import { instrumentsOf } from "../topologies/steps/side-tables.js";
import { portfolioCoordinationTopology as base } from "../topologies/portfolio-coordination.js";
import type { PortfolioCoordinationConfig } from "../topologies/portfolio-coordination.config.js";
import type { NormalizedMarketDataEvent } from "../lib/events/normalized-market-data.js";
import { volatilityTarget } from "./operators/volatility-target.js";

export const TARGET_VOLATILITY = 0.2;

const { order: _order, ...baseSpec } = base;
const spec: TopologySpec<PortfolioCoordinationConfig> = {
  ...baseSpec,
  name: "vol-targeted-coordination",
  version: "1.0.0",
  description: "portfolio-coordination with volatility-targeted signal strength",
  steps: {
    ...base.steps,
    volTarget: {
      from: "dedupSignals",
      sideInputs: ["marketData"],
      inputSchema: "TradingSignalEvent",
      outputSchema: "TradingSignalEvent",
      build: (ctx: StepContext<PortfolioCoordinationConfig>) =>
        volatilityTarget({
          targetVolatility: TARGET_VOLATILITY,
          market$: instrumentsOf(ctx.sideInput<NormalizedMarketDataEvent>("marketData")),
        }),
    },
    // The quality filter now reads the volatility-targeted signals.
    qualitySignals: { ...base.steps.qualitySignals!, from: "volTarget" },
  },
};

export const volTargetedCoordination = defineTopology(spec);
export default volTargetedCoordination;
