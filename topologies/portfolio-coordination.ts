/**
 * `portfolio-coordination`: the full coordination workflow as a declarative topology.
 *
 * ```
 * signals ─▶ dedupSignals ─▶ qualitySignals ─▶ netSignals ──┐
 *                                   (windows + aggregation)  ├─▶ prioritized ─▶ batches ─▶ portfolio ─┬─▶ coordinate ─▶ decisions
 * rebalanceRequests ─┐                                       │   (priority      (per        (size ▸   ├─▶ stateUpdate ─▶ stateUpdates
 * optimizations ─────┴─▶ dedupTargets ─▶ targets ────────────┘    merge)       portfolio)   policy ▸  └─▶ analyze ─▶ analytics
 *                                                                                           risk ▸
 * side inputs: marketData (by instrument), correlations (by universe)                       resolve ▸ book)
 * ```
 *
 * Every parameter comes from {@link PortfolioCoordinationConfig} (defaults for everything).
 * Side outputs: `duplicate` → duplicates topic, `late` → late topic, `rejected` → rejected topic,
 * `no-decision` (a batch that yields no trade) → no-decision topic; undecodable / invalid messages → dead letters.
 * State updates, analytics and the `no-decision` side outputs are deferred (`SinkSpec.deferred`,
 * `SideOutputRoute`'s `deferred`): a window's decisions are written first, the rest right after,
 * in a task of its own.
 */
import { type Observable, of, pipe } from "rxjs";
import type { PolicyTable } from "../lib/domain/policy.js";
import type { CovarianceModel, InstrumentInfo, PortfolioState } from "../lib/domain/portfolio.js";
import type { RiskLimitsTable } from "../lib/domain/risk-limits.js";
import type { CorrelationMatrixUpdatedEvent } from "../lib/events/correlation-matrix-updated.js";
import type { NormalizedMarketDataEvent } from "../lib/events/normalized-market-data.js";
import { SideTag } from "../lib/stream/item.js";
import { describeOperator } from "../lib/stream/operator.js";
import { defineTopology } from "../lib/topology/define-topology.js";
import type { StepContext, Topology } from "../lib/topology/types.js";
import { aggregateSignals, type WindowSpec } from "../operators/aggregate-signals.js";
import { batchByPortfolio } from "../operators/batch-by-portfolio.js";
import { coordinate, NO_DECISION } from "../operators/coordinate.js";
import { coordinationAnalytics } from "../operators/coordination-analytics.js";
import { dedup } from "../operators/dedup.js";
import { policyGate } from "../operators/policy-gate.js";
import { portfolioStateUpdates } from "../operators/portfolio-state-updates.js";
import { qualityFilter } from "../operators/quality-filter.js";
import { resolveConflicts } from "../operators/resolve-conflicts.js";
import { riskGate } from "../operators/risk-gate.js";
import { sizePositions } from "../operators/size-positions.js";
import { PortfolioCoordinationConfig } from "./portfolio-coordination.config.js";
import { applyToBook, BookView } from "./steps/portfolio-book.js";
import { prioritizeTargets } from "./steps/prioritize-targets.js";
import { covarianceOf, instrumentsOf } from "./steps/side-tables.js";
import { toTargetIntents } from "./steps/target-intents.js";
import { type CoordinationTopic, coordinationTopics } from "./topics.js";

type Ctx = StepContext<PortfolioCoordinationConfig>;

const defaults = PortfolioCoordinationConfig.parse({});
/** The run's configuration (the defaults when a step is built outside a run, e.g. by `describe`). */
const cfg = (ctx: Ctx): PortfolioCoordinationConfig => ctx.config ?? defaults;

/** Topic names of the topology; override any of them to run on your own topics. */
export type CoordinationTopics = { readonly [K in keyof typeof coordinationTopics]: string };

export interface PortfolioCoordinationOptions {
  readonly name?: string;
  readonly version?: string;
  readonly topics?: Partial<CoordinationTopics>;
}

/** The window of the signal aggregation, from the configuration. */
export function windowSpec(config: PortfolioCoordinationConfig): WindowSpec {
  const w = config.window;
  if (w.kind === "hopping") return { kind: "hopping", sizeMs: w.sizeMs, advanceMs: w.advanceMs ?? w.sizeMs / 2 };
  if (w.kind === "session") return { kind: "session", gapMs: w.gapMs ?? 15 * 60_000 };
  return { kind: "tumbling", sizeMs: w.sizeMs };
}

/** Side inputs of the portfolio stage, as the portfolio operators read them. */
export interface PortfolioInputs {
  readonly covariance$: Observable<CovarianceModel>;
  readonly market$: Observable<ReadonlyMap<string, InstrumentInfo>>;
  readonly policy$: Observable<PolicyTable>;
  readonly limits$: Observable<RiskLimitsTable>;
}

/** The portfolio stage's side inputs, from the run's side tables and configuration. */
export function portfolioInputs(ctx: Ctx): PortfolioInputs {
  const c = cfg(ctx);
  return {
    covariance$: covarianceOf(ctx.sideInput<CorrelationMatrixUpdatedEvent>("correlations"), c.universeId),
    market$: instrumentsOf(ctx.sideInput<NormalizedMarketDataEvent>("marketData")),
    policy$: of(new Map(Object.entries(c.policies))),
    limits$: of(new Map(Object.entries(c.riskLimits))),
  };
}

/**
 * size → policy gate → risk gate → resolve conflicts, every parameter from `c`: the portfolio stage
 * up to the book, over side inputs and books given as observables (what `npm run bench portfolio`
 * measures, fed from plain values).
 */
export function sizeCheckResolve(
  c: PortfolioCoordinationConfig,
  inputs: PortfolioInputs & { readonly portfolio$: Observable<ReadonlyMap<string, PortfolioState>> },
) {
  const { covariance$, market$, policy$, limits$, portfolio$ } = inputs;
  return pipe(
    sizePositions({
      covariance$,
      market$,
      portfolio$,
      kellyFraction: c.sizing.kellyFraction,
      maxWeight: c.sizing.maxWeight,
      maxVolatility: c.sizing.maxVolatility,
      maxGrossLeverage: c.sizing.maxGrossLeverage,
      allowShort: c.sizing.allowShort,
      maxParticipation: c.sizing.maxParticipation,
    }),
    policyGate({ policy$, market$ }),
    riskGate({ limits$, covariance$, market$ }),
    resolveConflicts({
      covariance$,
      market$,
      policy$,
      limits$,
      riskAversion: c.conflicts.riskAversion,
      linearCost: c.costs.linearCost,
      impactCoefficient: c.costs.impactCoefficient,
      maxGrossLeverage: c.sizing.maxGrossLeverage,
      iterationLimit: c.conflicts.iterationLimit,
    }),
  );
}

/**
 * The portfolio stage of one run: size → policy gate → risk gate → resolve conflicts → book.
 * One step, because the book (keyed state) is read by sizing and written after resolution.
 */
export function portfolioStage(ctx: Ctx) {
  const c = cfg(ctx);
  const inputs = portfolioInputs(ctx);
  const state = ctx.keyedState<PortfolioState>("book");
  const book = new BookView(state, c.portfolios);
  const stage = pipe(
    sizeCheckResolve(c, { ...inputs, portfolio$: of(book) }),
    applyToBook(book, state, inputs.market$),
  );
  return describeOperator(stage, {
    operatorName: "sizePositions ▸ policyGate ▸ riskGate ▸ resolveConflicts ▸ applyToBook",
    sideOutputs: [SideTag.rejected],
  });
}

/** Build the topology (validated; throws `TopologyValidationError` listing every problem). */
export function portfolioCoordination(
  options: PortfolioCoordinationOptions = {},
): Topology<PortfolioCoordinationConfig> {
  const t: CoordinationTopics = { ...coordinationTopics, ...options.topics };
  return defineTopology<PortfolioCoordinationConfig>({
    name: options.name ?? "portfolio-coordination",
    version: options.version ?? "1.2.0",
    description: "Signals, rebalance requests and optimizer results → coordinated, policy- and risk-checked decisions",
    config: PortfolioCoordinationConfig,
    sources: {
      signals: { topic: t.signals, schema: "TradingSignalEvent" },
      rebalanceRequests: { topic: t.rebalanceRequests, schema: "RebalanceRequestEvent" },
      optimizations: { topic: t.optimizations, schema: "PortfolioOptimizationEvent" },
    },
    sideInputs: {
      marketData: {
        topic: t.marketData,
        schema: "NormalizedMarketDataEvent",
        description: "latest market data by instrumentId",
      },
      correlations: {
        topic: t.correlations,
        schema: "CorrelationMatrixUpdatedEvent",
        description: "latest correlation matrix by universeId",
      },
    },
    steps: {
      dedupSignals: {
        from: "signals",
        inputSchema: "TradingSignalEvent",
        outputSchema: "TradingSignalEvent",
        build: (ctx: Ctx) => dedup({ ttlMs: cfg(ctx).dedup.ttlMs }),
      },
      qualitySignals: {
        from: "dedupSignals",
        inputSchema: "TradingSignalEvent",
        outputSchema: "TradingSignalEvent",
        build: (ctx: Ctx) => {
          const q = cfg(ctx).quality;
          return qualityFilter({
            minConfidence: q.minConfidence,
            minStrength: q.minStrength,
            maxStalenessMs: q.maxStalenessMs,
            sourceReliability: q.sourceReliability,
            defaultReliability: q.defaultReliability,
            minReliability: q.minReliability,
            minQuality: q.minQuality,
          });
        },
      },
      netSignals: {
        from: "qualitySignals",
        inputSchema: "TradingSignalEvent",
        description: "event-time windows per (portfolio, instrument) → NetSignal",
        build: (ctx: Ctx) =>
          aggregateSignals({
            window: windowSpec(cfg(ctx)),
            sourceReliability: cfg(ctx).quality.sourceReliability,
            defaultReliability: cfg(ctx).quality.defaultReliability,
            flatThreshold: cfg(ctx).quality.flatThreshold,
            allowedLatenessMs: cfg(ctx).time.allowedLatenessMs,
          }),
      },
      dedupTargets: {
        from: ["rebalanceRequests", "optimizations"],
        build: (ctx: Ctx) => dedup({ ttlMs: cfg(ctx).dedup.ttlMs }),
      },
      targets: { from: "dedupTargets", use: toTargetIntents() },
      prioritized: { from: ["netSignals", "targets"], use: prioritizeTargets() },
      batches: {
        from: "prioritized",
        build: (ctx: Ctx) =>
          batchByPortfolio({
            by: "window",
            sizeMs: cfg(ctx).window.sizeMs,
            allowedLatenessMs: cfg(ctx).time.allowedLatenessMs,
          }),
      },
      portfolio: {
        from: "batches",
        sideInputs: ["marketData", "correlations"],
        state: ["book"],
        build: portfolioStage,
      },
      coordinate: {
        from: "portfolio",
        outputSchema: "CoordinatedTradingDecisionEvent",
        build: (ctx: Ctx) => coordinate({ topology: ctx.topology }),
      },
      stateUpdate: {
        from: "portfolio",
        outputSchema: "PortfolioStateUpdateEvent",
        build: (ctx: Ctx) => portfolioStateUpdates({ topology: ctx.topology }),
      },
      analyze: {
        from: "portfolio",
        outputSchema: "CoordinationAnalyticsEvent",
        build: (ctx: Ctx) => coordinationAnalytics({ topology: ctx.topology }),
      },
    },
    sinks: {
      decisions: { from: "coordinate", topic: t.decisions, schema: "CoordinatedTradingDecisionEvent" },
      // Off the latency path: written (and their steps run) right after the decisions of a window.
      stateUpdates: {
        from: "stateUpdate",
        topic: t.stateUpdates,
        schema: "PortfolioStateUpdateEvent",
        deferred: true,
      },
      analytics: { from: "analyze", topic: t.analytics, schema: "CoordinationAnalyticsEvent", deferred: true },
    },
    sideOutputs: {
      [SideTag.duplicate]: { topic: t.duplicates },
      [SideTag.late]: { topic: t.late },
      [SideTag.rejected]: { topic: t.rejected },
      // A whole proposal batch each (checks, lineage): encoded off the latency path.
      [NO_DECISION]: { topic: t.noDecision, deferred: true },
    },
    deadLetters: { topic: t.deadLetters },
  });
}

/** The topology with its default name, version and topics. */
export const portfolioCoordinationTopology = portfolioCoordination();

/** Topics the topology reads (inputs and side inputs). */
export const inputTopics: readonly CoordinationTopic[] = [
  coordinationTopics.signals,
  coordinationTopics.rebalanceRequests,
  coordinationTopics.optimizations,
  coordinationTopics.marketData,
  coordinationTopics.correlations,
];
