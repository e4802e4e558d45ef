import fc from "fast-check";
import type { CoordinatedTradingDecisionEvent } from "../events/coordinated-trading-decision.js";
import type { CoordinationAnalyticsEvent } from "../events/coordination-analytics.js";
import type { CorrelationMatrixUpdatedEvent } from "../events/correlation-matrix-updated.js";
import type { DeadLetterEvent } from "../events/dead-letter.js";
import type { NormalizedMarketDataEvent } from "../events/normalized-market-data.js";
import type { PortfolioOptimizationEvent } from "../events/portfolio-optimization.js";
import type { PortfolioStateUpdateEvent } from "../events/portfolio-state-update.js";
import type { RebalanceRequestEvent } from "../events/rebalance-request.js";
import type { EventName, EventOf } from "../events/registry.js";
import type { TradingSignalEvent } from "../events/trading-signal.js";
import { listedInputs } from "../events/lineage.js";

/**
 * fast-check arbitraries for every consilium event, realistic by default: tickers of real US
 * stocks, event times in 2024, probabilities in [0, 1], correlation matrices that are symmetric
 * with a unit diagonal (built from normalised factor loadings, so also positive semi-definite) —
 * every generated event parses with its zod schema.
 */

/** Twenty real US tickers (the `us-equities-20` data set). */
export const DEFAULT_INSTRUMENTS = [
  "GOOG",
  "AAPL",
  "FB",
  "BABA",
  "AMZN",
  "GE",
  "AMD",
  "WMT",
  "BAC",
  "GM",
  "T",
  "UAA",
  "SHLD",
  "XOM",
  "RRC",
  "BBY",
  "MA",
  "PFE",
  "JPM",
  "SBUX",
] as const;
export const DEFAULT_PORTFOLIOS = ["pf-growth", "pf-income", "pf-balanced", "pf-macro"] as const;
export const DEFAULT_SOURCES = ["momentum-engine", "mean-reversion", "macro-desk", "nlp-news", "carry-model"] as const;

/** 2024-01-01T00:00:00Z .. 2024-12-31T23:59:59Z */
export const DEFAULT_TIME_RANGE = { min: 1_704_067_200_000, max: 1_735_689_599_000 } as const;

export interface EventArbitraryOptions {
  readonly portfolioIds?: readonly string[];
  readonly instrumentIds?: readonly string[];
  readonly sources?: readonly string[];
  readonly timeRange?: { readonly min: number; readonly max: number };
  /** Prefix of generated event ids (ids are `${prefix}-` + 12 hex digits). */
  readonly idPrefix?: string;
}

/** Probabilities as producers send them: 0..1 with 6 decimals (0 and 1 included, no subnormals). */
const prob = () => fc.integer({ min: 0, max: 1_000_000 }).map((n) => n / 1_000_000);
const between = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const urgency = () => fc.constantFrom("low", "normal", "high", "critical" as const);

/** A short random hex id (`prefix-xxxxxxxxxxxx`); much cheaper to generate than a uuid. */
export function eventIdArb(prefix: string): fc.Arbitrary<string> {
  return fc
    .tuple(fc.nat(0xffffffff), fc.nat(0xffff))
    .map(([a, b]) => `${prefix}-${a.toString(16).padStart(8, "0")}${b.toString(16).padStart(4, "0")}`);
}

function base(o: EventArbitraryOptions, prefix: string) {
  const range = o.timeRange ?? DEFAULT_TIME_RANGE;
  return {
    eventId: eventIdArb(o.idPrefix ?? prefix),
    eventTime: fc.integer({ min: range.min, max: range.max }),
    schemaVersion: fc.constant(1 as const),
  };
}

const pick = (values: readonly string[]) => fc.constantFrom(...values);
const portfolios = (o: EventArbitraryOptions) => pick(o.portfolioIds ?? DEFAULT_PORTFOLIOS);
const instruments = (o: EventArbitraryOptions) => pick(o.instrumentIds ?? DEFAULT_INSTRUMENTS);
const sources = (o: EventArbitraryOptions) => pick(o.sources ?? DEFAULT_SOURCES);

export function tradingSignalArb(o: EventArbitraryOptions = {}): fc.Arbitrary<TradingSignalEvent> {
  return fc
    .record({
      eventType: fc.constant("TradingSignal" as const),
      ...base(o, "sig"),
      portfolioId: portfolios(o),
      instrumentId: instruments(o),
      source: sources(o),
      strategy: fc.constantFrom("momentum-12-1", "reversal-5d", "earnings-drift", "value-composite", "news-sentiment"),
      direction: fc.constantFrom("long", "short", "flat" as const),
      strength: prob(),
      confidence: prob(),
      horizonMs: fc.integer({ min: 60_000, max: 30 * 86_400_000 }),
      expectedReturn: between(-0.2, 0.2),
      urgency: urgency(),
      referencePrice: fc.option(between(1, 5000), { nil: undefined }),
    })
    .map(({ referencePrice, ...s }) => (referencePrice === undefined ? s : { ...s, referencePrice }));
}

export function rebalanceRequestArb(o: EventArbitraryOptions = {}): fc.Arbitrary<RebalanceRequestEvent> {
  return fc.record({
    eventType: fc.constant("RebalanceRequest" as const),
    ...base(o, "reb"),
    portfolioId: portfolios(o),
    source: fc.constantFrom("scheduler", "mandate-change", "risk-committee"),
    reason: fc.constantFrom("monthly rebalance", "mandate update", "drift beyond band", "cash inflow"),
    targets: fc.uniqueArray(fc.record({ instrumentId: instruments(o), targetWeight: between(-0.2, 0.3) }), {
      minLength: 1,
      maxLength: 8,
      selector: (t) => t.instrumentId,
    }),
    urgency: urgency(),
    participation: between(0.05, 1).filter((p) => p > 0),
  });
}

export function portfolioOptimizationArb(o: EventArbitraryOptions = {}): fc.Arbitrary<PortfolioOptimizationEvent> {
  return fc.record({
    eventType: fc.constant("PortfolioOptimization" as const),
    ...base(o, "opt"),
    portfolioId: portfolios(o),
    source: fc.constantFrom("optimizer-nightly", "optimizer-intraday"),
    method: fc.constantFrom("min-variance", "max-sharpe", "risk-parity", "kelly", "efficient-risk" as const),
    targetWeights: fc.uniqueArray(fc.record({ instrumentId: instruments(o), weight: between(-0.1, 0.4) }), {
      minLength: 1,
      maxLength: 10,
      selector: (t) => t.instrumentId,
    }),
    expectedReturn: between(-0.1, 0.3),
    expectedVolatility: between(0.02, 0.6),
    urgency: urgency(),
  });
}

/** Correlations `C = L Lᵀ` from row-normalised loadings `L` (n × k): symmetric, unit diagonal, PSD. */
export function correlationMatrixArb(
  o: EventArbitraryOptions & { readonly maxInstruments?: number } = {},
): fc.Arbitrary<CorrelationMatrixUpdatedEvent> {
  const pool = o.instrumentIds ?? DEFAULT_INSTRUMENTS;
  const maxN = Math.min(o.maxInstruments ?? 6, pool.length);
  return fc
    .record({
      ...base(o, "corr"),
      ids: fc.shuffledSubarray([...pool], { minLength: 1, maxLength: maxN }),
      k: fc.integer({ min: 1, max: 3 }),
      seed: fc.array(between(-1, 1), { minLength: maxN * 3, maxLength: maxN * 3 }),
      vols: fc.array(between(0.05, 0.8), { minLength: maxN, maxLength: maxN }),
      lookbackDays: fc.integer({ min: 20, max: 756 }),
      method: fc.constantFrom("sample", "ewma", "ledoit-wolf" as const),
    })
    .map(({ ids, k, seed, vols, lookbackDays, method, eventId, eventTime, schemaVersion }) => {
      const n = ids.length;
      const rows: number[][] = [];
      for (let i = 0; i < n; i++) {
        const row: number[] = [];
        for (let j = 0; j < k; j++) row.push(seed[i * 3 + j]!);
        row[0] = row[0]! + 0.5; // keep every row away from the zero vector
        const norm = Math.hypot(...row);
        rows.push(row.map((x) => x / norm));
      }
      const correlations = rows.map(() => new Array<number>(n).fill(0));
      for (let i = 0; i < n; i++) {
        correlations[i]![i] = 1;
        for (let j = 0; j < i; j++) {
          let c = 0;
          for (let m = 0; m < k; m++) c += rows[i]![m]! * rows[j]![m]!;
          c = Math.max(-1, Math.min(1, c));
          correlations[i]![j] = c;
          correlations[j]![i] = c;
        }
      }
      return {
        eventType: "CorrelationMatrixUpdated" as const,
        eventId,
        eventTime,
        schemaVersion,
        universeId: "us-large-cap",
        instrumentIds: ids,
        correlations,
        volatilities: vols.slice(0, n),
        asOf: eventTime,
        lookbackDays,
        method,
      };
    });
}

export function normalizedMarketDataArb(o: EventArbitraryOptions = {}): fc.Arbitrary<NormalizedMarketDataEvent> {
  return fc
    .record({
      ...base(o, "md"),
      instrumentId: instruments(o),
      price: between(1, 3000),
      spreadBps: fc.option(between(0.5, 50), { nil: undefined }),
      volume: fc.integer({ min: 0, max: 50_000_000 }),
      averageDailyVolume: fc.integer({ min: 10_000, max: 100_000_000 }),
      volatility: fc.option(between(0.05, 1.5), { nil: undefined }),
      sector: fc.option(fc.constantFrom("Information Technology", "Financials", "Energy", "Health Care"), {
        nil: undefined,
      }),
    })
    .map(({ spreadBps, volatility, sector, ...m }) => ({
      eventType: "NormalizedMarketData" as const,
      ...m,
      currency: "USD",
      ...(spreadBps === undefined
        ? {}
        : { bid: m.price * (1 - spreadBps / 20_000), ask: m.price * (1 + spreadBps / 20_000) }),
      ...(volatility === undefined ? {} : { volatility }),
      ...(sector === undefined ? {} : { sector, country: "United States" }),
    }));
}

const riskSnapshot = () =>
  fc.record({
    volatility: between(0.02, 0.6),
    valueAtRisk: between(0, 0.1),
    expectedShortfall: between(0, 0.15),
  });

export function coordinatedTradingDecisionArb(
  o: EventArbitraryOptions = {},
): fc.Arbitrary<CoordinatedTradingDecisionEvent> {
  return fc
    .record({
      ...base(o, "dec"),
      portfolioId: portfolios(o),
      instrumentId: instruments(o),
      side: fc.constantFrom("buy", "sell", "hold" as const),
      quantity: fc.integer({ min: 0, max: 100_000 }),
      price: between(1, 3000),
      currentWeight: between(-0.1, 0.3),
      targetWeight: between(-0.1, 0.3),
      confidence: prob(),
      executionPriority: fc.integer({ min: 1, max: 10 }),
      urgency: urgency(),
      delayMs: fc.integer({ min: 0, max: 3_600_000 }),
      style: fc.constantFrom("immediate", "twap", "vwap", "opportunistic" as const),
      signalIds: fc.array(eventIdArb("sig"), { minLength: 1, maxLength: 5 }),
      riskBefore: riskSnapshot(),
      riskAfter: riskSnapshot(),
      checkValue: between(0, 0.2),
    })
    .map((d) => ({
      eventType: "CoordinatedTradingDecision" as const,
      eventId: d.eventId,
      eventTime: d.eventTime,
      schemaVersion: d.schemaVersion,
      portfolioId: d.portfolioId,
      instrumentId: d.instrumentId,
      side: d.side,
      quantity: d.quantity,
      notional: d.quantity * d.price,
      currentWeight: d.currentWeight,
      targetWeight: d.targetWeight,
      confidence: d.confidence,
      executionPriority: d.executionPriority,
      urgency: d.urgency,
      timing: { notBefore: d.eventTime, notAfter: d.eventTime + d.delayMs, style: d.style },
      contributingSignalIds: d.signalIds,
      checks: [
        {
          kind: "policy" as const,
          rule: "max-position-weight",
          value: d.checkValue,
          limit: 0.1,
          passed: d.checkValue <= 0.1,
          action: d.checkValue <= 0.1 ? ("pass" as const) : ("clip" as const),
        },
      ],
      riskBefore: d.riskBefore,
      riskAfter: d.riskAfter,
      reasonCodes: ["signal-consensus"],
      lineage: {
        ...listedInputs(d.signalIds),
        topology: { name: "portfolio-coordination", version: "1", hash: "0123456789abcdef" },
      },
    }));
}

export function portfolioStateUpdateArb(o: EventArbitraryOptions = {}): fc.Arbitrary<PortfolioStateUpdateEvent> {
  return fc
    .record({
      ...base(o, "state"),
      portfolioId: portfolios(o),
      cash: between(0, 1_000_000),
      positions: fc.uniqueArray(
        fc.record({
          instrumentId: instruments(o),
          quantity: fc.integer({ min: -5000, max: 20_000 }),
          price: between(1, 3000),
        }),
        { maxLength: 8, selector: (p) => p.instrumentId },
      ),
      decisionIds: fc.array(eventIdArb("dec"), { maxLength: 4 }),
      inputIds: fc.uniqueArray(eventIdArb("sig"), { maxLength: 6 }).map((ids) => ids.sort()),
    })
    .map((s) => {
      const values = s.positions.map((p) => p.quantity * p.price);
      const nav = Math.max(1, s.cash + values.reduce((a, b) => a + b, 0));
      return {
        eventType: "PortfolioStateUpdate" as const,
        eventId: s.eventId,
        eventTime: s.eventTime,
        schemaVersion: s.schemaVersion,
        portfolioId: s.portfolioId,
        nav,
        cash: s.cash,
        positions: s.positions.map((p, i) => ({ ...p, weight: values[i]! / nav })),
        grossExposure: values.reduce((a, b) => a + Math.abs(b), 0) / nav,
        netExposure: values.reduce((a, b) => a + b, 0) / nav,
        decisionIds: s.decisionIds,
        inputIds: s.inputIds,
      };
    });
}

export function coordinationAnalyticsArb(o: EventArbitraryOptions = {}): fc.Arbitrary<CoordinationAnalyticsEvent> {
  return fc
    .record({
      ...base(o, "stats"),
      portfolioId: portfolios(o),
      windowMs: fc.integer({ min: 1000, max: 3_600_000 }),
      signalsIn: fc.integer({ min: 0, max: 10_000 }),
      decisionsOut: fc.integer({ min: 0, max: 500 }),
      conflicts: fc.integer({ min: 0, max: 100 }),
      clipped: fc.integer({ min: 0, max: 100 }),
      rejected: fc.integer({ min: 0, max: 100 }),
      turnover: between(0, 2),
      expectedAlpha: between(-0.05, 0.05),
      riskAfter: between(0, 0.6),
    })
    .map(({ windowMs, ...a }) => ({
      eventType: "CoordinationAnalytics" as const,
      ...a,
      windowStart: a.eventTime - windowMs,
      windowEnd: a.eventTime,
    }))
    .filter((a) => a.windowStart >= 0);
}

export function deadLetterArb(o: EventArbitraryOptions = {}): fc.Arbitrary<DeadLetterEvent> {
  return fc
    .record({
      ...base(o, "dl"),
      sourceTopic: fc.constantFrom(
        "persistent://consilium/default/trading-signals",
        "persistent://consilium/default/rebalance-requests",
      ),
      reason: fc.constantFrom("undecodable", "invalid-json", "schema-violation" as const),
      bytes: fc.uint8Array({ maxLength: 64 }),
    })
    .map(({ bytes, ...d }) => ({
      eventType: "DeadLetter" as const,
      ...d,
      message: d.reason === "schema-violation" ? "confidence: Too big: expected number to be <=1" : "bad payload",
      issues: d.reason === "schema-violation" ? [{ path: "confidence", message: "Too big" }] : [],
      originalBase64: Buffer.from(bytes).toString("base64"),
    }));
}

/** One arbitrary per event name in `eventSchemas`. */
export function eventArbitraries(o: EventArbitraryOptions = {}): { [N in EventName]: fc.Arbitrary<EventOf<N>> } {
  return {
    TradingSignalEvent: tradingSignalArb(o),
    RebalanceRequestEvent: rebalanceRequestArb(o),
    PortfolioOptimizationEvent: portfolioOptimizationArb(o),
    CorrelationMatrixUpdatedEvent: correlationMatrixArb(o),
    NormalizedMarketDataEvent: normalizedMarketDataArb(o),
    CoordinatedTradingDecisionEvent: coordinatedTradingDecisionArb(o),
    PortfolioStateUpdateEvent: portfolioStateUpdateArb(o),
    CoordinationAnalyticsEvent: coordinationAnalyticsArb(o),
    DeadLetterEvent: deadLetterArb(o),
  };
}
