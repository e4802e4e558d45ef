/**
 * Builds the bundled recording from real prices: market data, correlation matrices, trading
 * signals of three real strategies (plus a noisy vendor feed), rebalance requests and optimizer
 * results for a handful of portfolios, with deliberate defects (redelivered duplicates, late
 * events, undecodable and invalid messages). Pure and deterministic: a seeded PRNG, no clock.
 */
import { SCHEMA_VERSION } from "../../lib/events/common.js";
import type { CorrelationMatrixUpdatedEvent } from "../../lib/events/correlation-matrix-updated.js";
import type { NormalizedMarketDataEvent } from "../../lib/events/normalized-market-data.js";
import type { PortfolioOptimizationEvent } from "../../lib/events/portfolio-optimization.js";
import type { RebalanceRequestEvent } from "../../lib/events/rebalance-request.js";
import type { TradingSignalEvent } from "../../lib/events/trading-signal.js";
import { coordinationTopics as topics } from "../../topologies/topics.js";
import type { RecordedMessage } from "./format.js";
import { type PriceTable, readMetadata, readWide, type TickerMeta } from "./prices.js";
import { Prng } from "./prng.js";
import { correlationOf, momentum121, type RawSignal, realizedVol, reversal5d, zscore20d } from "./strategies.js";

export interface RecordingPortfolio {
  readonly id: string;
  readonly sectors: readonly string[];
}

export interface RecordingOptions {
  readonly dataDir: string;
  readonly seed: number;
  readonly firstDate: string;
  readonly lastDate: string;
  readonly sectors: readonly string[];
  readonly tickersPerSector: number;
  readonly portfolios: readonly RecordingPortfolio[];
}

export const defaultRecordingOptions: Omit<RecordingOptions, "dataDir"> = {
  seed: 20171002,
  firstDate: "2017-10-02",
  lastDate: "2017-12-29",
  sectors: [
    "Information Technology",
    "Health Care",
    "Financials",
    "Consumer Discretionary",
    "Industrials",
    "Consumer Staples",
    "Energy",
    "Utilities",
  ],
  tickersPerSector: 6,
  portfolios: [
    { id: "global-core", sectors: ["*"] },
    { id: "tech-growth", sectors: ["Information Technology", "Consumer Discretionary", "Health Care"] },
    { id: "value-income", sectors: ["Financials", "Energy", "Utilities", "Consumer Staples"] },
    { id: "defensive", sectors: ["Health Care", "Consumer Staples", "Utilities"] },
    { id: "cyclicals", sectors: ["Industrials", "Financials", "Energy", "Consumer Discretionary"] },
  ],
};

export const UNIVERSE_ID = "sp500-sample-48";

export interface RecordingSummary {
  readonly seed: number;
  readonly firstDate: string;
  readonly lastDate: string;
  readonly tradingDays: number;
  readonly tickers: readonly string[];
  readonly portfolios: Readonly<Record<string, readonly string[]>>;
  readonly messages: number;
  readonly byTopic: Readonly<Record<string, number>>;
  readonly validEvents: Readonly<Record<string, number>>;
  readonly signalsByStrategy: Readonly<Record<string, number>>;
  readonly defects: {
    readonly duplicates: number;
    readonly late: number;
    readonly invalid: Readonly<Record<"invalid-json" | "undecodable" | "schema-violation", number>>;
  };
}

interface Pending {
  readonly topic: string;
  readonly key: string;
  readonly eventTime: number;
  /**
   * When the producer sent it: the event time for on-time events (topics are in event-time
   * order), later for redelivered copies and late events.
   */
  readonly sentAt: number;
  readonly properties?: Record<string, string>;
  readonly data: string;
  readonly encoding: "utf8" | "base64";
  readonly order: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function dayStart(date: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d);
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** Pick the universe: the largest `perSector` companies with full history in each sector. */
export function pickUniverse(meta: readonly TickerMeta[], sectors: readonly string[], perSector: number): TickerMeta[] {
  const out: TickerMeta[] = [];
  for (const sector of sectors) {
    const members = meta
      .filter((m) => m.sector === sector && m.nObs === 1259 && Number.isFinite(m.marketCap))
      .sort((a, b) => b.marketCap - a.marketCap || (a.ticker < b.ticker ? -1 : 1))
      .slice(0, perSector);
    if (members.length < perSector) throw new Error(`sector ${sector} has only ${members.length} full-history tickers`);
    out.push(...members);
  }
  return out;
}

export function buildRecording(options: RecordingOptions): { messages: RecordedMessage[]; summary: RecordingSummary } {
  const rng = new Prng(options.seed);
  const universe = pickUniverse(readMetadata(options.dataDir), options.sectors, options.tickersPerSector);
  const tickers = universe.map((u) => u.ticker);
  const closes: PriceTable = readWide(options.dataDir, "close.csv", tickers);
  const volumes: PriceTable = readWide(options.dataDir, "volume.csv", tickers);
  const t0 = closes.dates.indexOf(options.firstDate);
  const t1 = closes.dates.indexOf(options.lastDate);
  if (t0 < 253 || t1 < t0) throw new Error(`bad date range ${options.firstDate}..${options.lastDate}`);
  const C = closes.values;
  const V = volumes.values;

  const members = new Map<string, number[]>();
  for (const p of options.portfolios) {
    members.set(
      p.id,
      universe.flatMap((u, i) => (p.sectors.includes("*") || p.sectors.includes(u.sector) ? [i] : [])),
    );
  }

  const pending: Pending[] = [];
  let order = 0;
  let duplicates = 0;
  let late = 0;
  const validEvents: Record<string, number> = {};
  const signalsByStrategy: Record<string, number> = {};
  const invalid = { "invalid-json": 0, undecodable: 0, "schema-violation": 0 };

  /** Publish latency: a few ms (publish times never reorder on-time events). */
  const latency = () => rng.int(2, 250);

  const emit = (topic: string, key: string, event: { eventTime: number; eventType: string }, producer: string) => {
    const data = JSON.stringify(event);
    const properties = { producer, eventType: event.eventType };
    pending.push({ topic, key, eventTime: event.eventTime, sentAt: event.eventTime, properties, data, encoding: "utf8", order: order++ });
    validEvents[event.eventType] = (validEvents[event.eventType] ?? 0) + 1;
    return event.eventTime;
  };

  // Market data: the close of day t, published at 21:00 UTC, starting with the day before the range.
  const marketData = (t: number) => {
    const at = dayStart(closes.dates[t]!) + 21 * HOUR;
    universe.forEach((u, i) => {
      let adv = 0;
      for (let s = t - 19; s <= t; s++) adv += V[s]![i]!;
      const event: NormalizedMarketDataEvent = {
        eventType: "NormalizedMarketData",
        eventId: `md-${u.ticker}-${closes.dates[t]}`,
        eventTime: at + i * 10,
        schemaVersion: SCHEMA_VERSION,
        instrumentId: u.ticker,
        price: C[t]![i]!,
        volume: V[t]![i]!,
        averageDailyVolume: Math.round(adv / 20),
        volatility: r6(realizedVol(C, t, i, 20)),
        currency: "USD",
        sector: u.sector,
        ...(u.country !== undefined ? { country: u.country } : {}),
      };
      emit(topics.marketData, u.ticker, event, "market-data-normalizer");
    });
  };
  marketData(t0 - 1);

  const signal = (
    t: number,
    portfolioId: string,
    source: string,
    strategy: string,
    raw: RawSignal,
    eventTime: number,
    confidence: number,
    horizonDays: number,
    extra: Partial<TradingSignalEvent> = {},
  ) => {
    const ticker = tickers[raw.instrument]!;
    const event: TradingSignalEvent = {
      eventType: "TradingSignal",
      eventId: `sig-${portfolioId}-${closes.dates[t]}-${strategy}-${ticker}`,
      eventTime,
      schemaVersion: SCHEMA_VERSION,
      portfolioId,
      instrumentId: ticker,
      source,
      strategy,
      direction: raw.direction,
      strength: r4(clamp(Math.abs(raw.score) / 2.5, 0.05, 1)),
      confidence: r4(confidence),
      horizonMs: horizonDays * DAY,
      expectedReturn: r6(clamp(raw.expectedReturn, -0.5, 0.5)),
      urgency: Math.abs(raw.score) > 2.5 ? "high" : Math.abs(raw.score) > 1.5 ? "normal" : "low",
      referencePrice: C[t - 1]![raw.instrument]!,
      ...extra,
    };
    signalsByStrategy[strategy] = (signalsByStrategy[strategy] ?? 0) + 1;
    if (rng.chance(0.004)) {
      // A late event: the producer's buffer flushed a day later.
      late++;
      const data = JSON.stringify(event);
      pending.push({
        topic: topics.signals,
        key: portfolioId,
        eventTime,
        sentAt: eventTime + DAY + 2 * HOUR + rng.int(0, 30 * MINUTE),
        properties: { producer: source, eventType: event.eventType },
        data,
        encoding: "utf8",
        order: order++,
      });
      validEvents[event.eventType] = (validEvents[event.eventType] ?? 0) + 1;
      return;
    }
    const published = emit(topics.signals, portfolioId, event, source);
    if (rng.chance(0.02)) {
      // A redelivered copy: same bytes, same key, a few seconds later.
      duplicates++;
      pending.push({
        topic: topics.signals,
        key: portfolioId,
        eventTime,
        sentAt: published + rng.int(1000, 30_000),
        properties: { producer: source, eventType: event.eventType },
        data: JSON.stringify(event),
        encoding: "utf8",
        order: order++,
      });
    }
  };

  const weekOf = (date: string) => Math.floor((dayStart(date) / DAY + 3) / 7); // weeks start on Monday
  const badPlan: { t: number; kind: string }[] = [];
  const badKinds = [
    ...Array(8).fill("truncated-json"),
    ...Array(4).fill("not-utf8"),
    ...Array(3).fill("confidence-out-of-range"),
    ...Array(3).fill("missing-portfolio"),
    ...Array(3).fill("bad-direction"),
    ...Array(2).fill("negative-horizon"),
    ...Array(2).fill("string-strength"),
    ...Array(2).fill("wrong-schema-version"),
    ...Array(2).fill("negative-price"),
    "empty-rebalance",
    "asymmetric-correlation",
  ] as string[];
  badKinds.forEach((kind, k) => {
    badPlan.push({ t: t0 + 1 + ((k * 7919) % (t1 - t0)), kind });
  });

  for (let t = t0; t <= t1; t++) {
    const date = closes.dates[t]!;
    const open = dayStart(date) + 14 * HOUR + 30 * MINUTE;
    const firstOfWeek = t === t0 || weekOf(closes.dates[t - 1]!) !== weekOf(date);
    const firstOfMonth = t === t0 || closes.dates[t - 1]!.slice(0, 7) !== date.slice(0, 7);

    if (firstOfWeek) {
      const { correlations, volatilities } = correlationOf(C, t - 1, 120, tickers.length);
      const event: CorrelationMatrixUpdatedEvent = {
        eventType: "CorrelationMatrixUpdated",
        eventId: `corr-${UNIVERSE_ID}-${date}`,
        eventTime: open - 90 * MINUTE,
        schemaVersion: SCHEMA_VERSION,
        universeId: UNIVERSE_ID,
        instrumentIds: tickers,
        correlations,
        volatilities: volatilities.map(r6),
        asOf: dayStart(closes.dates[t - 1]!) + 21 * HOUR,
        lookbackDays: 120,
        method: "sample",
      };
      emit(topics.correlations, UNIVERSE_ID, event, "risk-model");
    }

    for (const p of options.portfolios) {
      const uni = members.get(p.id)!;
      if (firstOfMonth) {
        const w = r6(0.9 / uni.length);
        const event: RebalanceRequestEvent = {
          eventType: "RebalanceRequest",
          eventId: `rb-${p.id}-${date}`,
          eventTime: open + 30 * MINUTE + rng.int(0, 10 * MINUTE),
          schemaVersion: SCHEMA_VERSION,
          portfolioId: p.id,
          source: "cio-office",
          reason: "monthly strategic rebalance to equal weights (90% invested)",
          targets: uni.map((i) => ({ instrumentId: tickers[i]!, targetWeight: w })),
          urgency: "normal",
          deadline: dayStart(date) + 21 * HOUR,
          participation: 0.25,
        };
        emit(topics.rebalanceRequests, p.id, event, "cio-office");
      }
      if ((t - t0) % 10 === 2) {
        // Inverse-volatility weights (95% invested) from the trailing 60 days.
        const { correlations, volatilities, meanDaily } = correlationOf(C, t - 1, 60, tickers.length);
        const inv = uni.map((i) => 1 / volatilities[i]!);
        const sum = inv.reduce((a, b) => a + b, 0);
        const w = inv.map((x) => (0.95 * x) / sum);
        let variance = 0;
        let ret = 0;
        uni.forEach((i, a) => {
          ret += w[a]! * meanDaily[i]! * 21;
          uni.forEach((j, b) => {
            variance += w[a]! * w[b]! * volatilities[i]! * volatilities[j]! * correlations[i]![j]!;
          });
        });
        const event: PortfolioOptimizationEvent = {
          eventType: "PortfolioOptimization",
          eventId: `opt-${p.id}-${date}`,
          eventTime: open + 90 * MINUTE + rng.int(0, 10 * MINUTE),
          schemaVersion: SCHEMA_VERSION,
          portfolioId: p.id,
          source: "inverse-vol-optimizer",
          method: "custom",
          targetWeights: uni.map((i, a) => ({ instrumentId: tickers[i]!, weight: r6(w[a]!) })),
          expectedReturn: r6(clamp(ret, -1, 10)),
          expectedVolatility: r6(Math.sqrt(Math.max(0, variance))),
          urgency: "low",
        };
        emit(topics.optimizations, p.id, event, "inverse-vol-optimizer");
      }

      // Momentum 12-1, weekly, top/bottom 3.
      if (firstOfWeek) {
        for (const raw of momentum121(C, t - 1, uni, 3)) {
          const conf = 0.55 + 0.1 * Math.min(Math.abs(raw.score), 3) / 3 + rng.next() * 0.05;
          signal(t, p.id, "quant-research", "momentum-12-1", raw, open + 60_000 + rng.int(0, 60_000), conf, 21);
        }
      }
      // Short-term reversal, daily, top/bottom 3.
      for (const raw of reversal5d(C, t - 1, uni, 3)) {
        const conf = 0.45 + 0.1 * Math.min(Math.abs(raw.score), 3) / 3 + rng.next() * 0.1;
        signal(t, p.id, "stat-arb", "reversal-5d", raw, open + 10 * MINUTE + rng.int(0, 30 * MINUTE), conf, 5);
      }
      // Mean-reversion z-score, daily, |z| > 1.5.
      for (const raw of zscore20d(C, t - 1, uni, 1.5)) {
        const conf = 0.5 + 0.15 * Math.min(Math.abs(raw.score) - 1.5, 1.5) / 1.5 + rng.next() * 0.05;
        signal(t, p.id, "stat-arb", "zscore-20d", raw, open + 30 * MINUTE + rng.int(0, 5 * HOUR), conf, 10);
      }
      // A noisy vendor feed: random views (not from prices), mostly low confidence.
      for (let k = 0; k < 2; k++) {
        const raw: RawSignal = {
          instrument: rng.pick(uni),
          direction: rng.chance(0.5) ? "long" : "short",
          score: (rng.next() * 2 - 1) * 2,
          expectedReturn: 0,
        };
        const fixed: RawSignal = {
          ...raw,
          score: raw.direction === "long" ? Math.abs(raw.score) : -Math.abs(raw.score),
          expectedReturn: (raw.direction === "long" ? 1 : -1) * r6(0.002 + rng.next() * 0.01),
        };
        signal(
          t,
          p.id,
          "alt-data-vendor",
          `sentiment-${k}`,
          fixed,
          open + rng.int(0, 6 * HOUR),
          0.15 + rng.next() * 0.5,
          3,
          { attributes: { synthetic: "true" } },
        );
      }
    }

    // Deliberately bad messages scheduled for this day.
    for (const bad of badPlan.filter((b) => b.t === t)) {
      const p = rng.pick(options.portfolios).id;
      const at = open + rng.int(0, 6 * HOUR);
      const base = {
        eventType: "TradingSignal",
        eventId: `bad-${bad.kind}-${date}-${order}`,
        eventTime: at,
        schemaVersion: SCHEMA_VERSION,
        portfolioId: p,
        instrumentId: tickers[rng.int(0, tickers.length - 1)]!,
        source: "legacy-gateway",
        strategy: "manual",
        direction: "long",
        strength: 0.5,
        confidence: 0.6,
        horizonMs: DAY,
        expectedReturn: 0.01,
        urgency: "normal",
      };
      let topic: string = topics.signals;
      let key = p;
      let data: string;
      let encoding: "utf8" | "base64" = "utf8";
      let reason: keyof typeof invalid = "schema-violation";
      switch (bad.kind) {
        case "truncated-json": {
          const full = JSON.stringify(base);
          data = full.slice(0, rng.int(10, full.length - 5));
          reason = "invalid-json";
          break;
        }
        case "not-utf8": {
          const bytes = Buffer.alloc(48);
          for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(0, 255);
          bytes[0] = 0xff;
          bytes[1] = 0xfe;
          data = bytes.toString("base64");
          encoding = "base64";
          reason = "undecodable";
          break;
        }
        case "confidence-out-of-range":
          data = JSON.stringify({ ...base, confidence: 1.7 });
          break;
        case "missing-portfolio": {
          const { portfolioId: _omit, ...rest } = base;
          data = JSON.stringify(rest);
          break;
        }
        case "bad-direction":
          data = JSON.stringify({ ...base, direction: "up" });
          break;
        case "negative-horizon":
          data = JSON.stringify({ ...base, horizonMs: -5 });
          break;
        case "string-strength":
          data = JSON.stringify({ ...base, strength: "0.8" });
          break;
        case "wrong-schema-version":
          data = JSON.stringify({ ...base, schemaVersion: 2 });
          break;
        case "negative-price": {
          const i = rng.int(0, tickers.length - 1);
          topic = topics.marketData;
          key = tickers[i]!;
          data = JSON.stringify({
            eventType: "NormalizedMarketData",
            eventId: base.eventId,
            eventTime: at,
            schemaVersion: SCHEMA_VERSION,
            instrumentId: tickers[i],
            price: -C[t - 1]![i]!,
            volume: 1000,
            averageDailyVolume: 1000,
            currency: "USD",
          });
          break;
        }
        case "empty-rebalance":
          topic = topics.rebalanceRequests;
          data = JSON.stringify({
            eventType: "RebalanceRequest",
            eventId: base.eventId,
            eventTime: at,
            schemaVersion: SCHEMA_VERSION,
            portfolioId: p,
            source: "cio-office",
            reason: "empty target list",
            targets: [],
            urgency: "normal",
          });
          break;
        default: {
          topic = topics.correlations;
          key = UNIVERSE_ID;
          data = JSON.stringify({
            eventType: "CorrelationMatrixUpdated",
            eventId: base.eventId,
            eventTime: at,
            schemaVersion: SCHEMA_VERSION,
            universeId: UNIVERSE_ID,
            instrumentIds: ["AAPL", "MSFT"],
            correlations: [
              [1, 0.5],
              [0.2, 1],
            ],
            volatilities: [0.2, 0.25],
            asOf: at,
            lookbackDays: 60,
            method: "sample",
          });
        }
      }
      invalid[reason]++;
      pending.push({
        topic,
        key,
        eventTime: at,
        sentAt: at,
        properties: { producer: "legacy-gateway" },
        data,
        encoding,
        order: order++,
      });
    }

    marketData(t);
  }

  pending.sort((a, b) => a.sentAt - b.sentAt || a.order - b.order);
  let lastPublish = 0;
  const messages: RecordedMessage[] = pending.map((p, seq) => ({
    seq,
    topic: p.topic,
    key: p.key,
    eventTime: p.eventTime,
    publishTime: (lastPublish = Math.max(lastPublish, p.sentAt + latency())),
    ...(p.properties !== undefined ? { properties: p.properties } : {}),
    data: p.data,
    encoding: p.encoding,
  }));
  const byTopic: Record<string, number> = {};
  for (const m of messages) byTopic[m.topic] = (byTopic[m.topic] ?? 0) + 1;

  return {
    messages,
    summary: {
      seed: options.seed,
      firstDate: options.firstDate,
      lastDate: options.lastDate,
      tradingDays: t1 - t0 + 1,
      tickers,
      portfolios: Object.fromEntries([...members].map(([id, idx]) => [id, idx.map((i) => tickers[i]!)])),
      messages: messages.length,
      byTopic,
      validEvents,
      signalsByStrategy,
      defects: { duplicates, late, invalid },
    },
  };
}
