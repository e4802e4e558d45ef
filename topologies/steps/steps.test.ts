import { BehaviorSubject } from "rxjs";
import { describe, expect, it } from "vitest";
import type { InstrumentInfo, PortfolioState, ProposalBatch, TradeProposal } from "../../lib/domain/portfolio.js";
import type { NetSignal, TargetIntent } from "../../lib/domain/signals.js";
import type { NormalizedMarketDataEvent } from "../../lib/events/normalized-market-data.js";
import type { RebalanceRequestEvent } from "../../lib/events/rebalance-request.js";
import { record, type StreamItem, sideOutput, watermark } from "../../lib/stream/item.js";
import { checkAccountingIdentity } from "../../lib/testing/laws.js";
import { runOperator } from "../../lib/testing/run-operator.js";
import type { KeyedState } from "../../lib/topology/types.js";
import type { BatchInput } from "../../operators/batch-by-portfolio.js";
import { afterBatch, BookView } from "./portfolio-book.js";
import { prioritizeTargets } from "./prioritize-targets.js";
import { instrumentsOf } from "./side-tables.js";
import { intentsOf, toTargetIntents } from "./target-intents.js";

const rebalance: RebalanceRequestEvent = {
  eventType: "RebalanceRequest",
  eventId: "rb-1",
  eventTime: 10,
  schemaVersion: 1,
  portfolioId: "p",
  source: "cio",
  reason: "r",
  targets: [
    { instrumentId: "AAPL", targetWeight: 0.1 },
    { instrumentId: "MSFT", targetWeight: 0.2 },
  ],
  urgency: "high",
  participation: 0.5,
};

describe("toTargetIntents", () => {
  it("emits one intent per target, keeping key, event time and lineage", () => {
    const input: StreamItem<RebalanceRequestEvent>[] = [record(rebalance, 10, "p", ["rb-1"]), watermark(20)];
    const run = runOperator(toTargetIntents(), input);
    expect(run.main.map((r) => [r.value.instrumentId, r.value.targetWeight, r.value.participation])).toEqual([
      ["AAPL", 0.1, 0.5],
      ["MSFT", 0.2, 0.5],
    ]);
    expect(run.main.every((r) => r.key === "p" && r.eventTime === 10 && r.ids.join() === "rb-1")).toBe(true);
    expect(run.watermarks).toEqual([20]);
    expect(checkAccountingIdentity(input, run)).toEqual([]);
  });

  it("reads optimizer weights as full-participation intents", () => {
    const intents = intentsOf({
      eventType: "PortfolioOptimization",
      eventId: "o",
      eventTime: 1,
      schemaVersion: 1,
      portfolioId: "p",
      source: "opt",
      method: "custom",
      targetWeights: [{ instrumentId: "KO", weight: 0.3 }],
      expectedReturn: 0.01,
      expectedVolatility: 0.1,
      urgency: "low",
    });
    expect(intents).toEqual([
      {
        kind: "optimization",
        portfolioId: "p",
        instrumentId: "KO",
        targetWeight: 0.3,
        urgency: "low",
        source: "opt",
        eventId: "o",
        participation: 1,
      },
    ]);
  });
});

describe("prioritizeTargets", () => {
  const net = (id: string, urgency: NetSignal["urgency"]) =>
    ({ portfolioId: "p", instrumentId: id, urgency, contributingSignalIds: [id] }) as unknown as NetSignal;
  const intent = (id: string, urgency: TargetIntent["urgency"]): TargetIntent => ({
    kind: "rebalance",
    portfolioId: "p",
    instrumentId: id,
    targetWeight: 0.1,
    urgency,
    source: "cio",
    eventId: id,
    participation: 1,
  });

  it("releases each watermark's records by priority (urgency, then targets before signals), side outputs once", () => {
    const input: StreamItem<BatchInput>[] = [
      record(net("s-low", "low"), 1, "p", ["s-low"]),
      record(intent("t-normal", "normal"), 2, "p", ["t-normal"]),
      record(net("s-normal", "normal"), 3, "p", ["s-normal"]),
      sideOutput("rejected", "why", record(net("x", "low"), 1, "p", ["x"])),
      record(net("s-high", "high"), 4, "p", ["s-high"]),
      watermark(10),
    ];
    const run = runOperator(prioritizeTargets(), input);
    expect(run.main.map((r) => r.ids[0])).toEqual(["s-high", "t-normal", "s-normal", "s-low"]);
    expect(run.sides.rejected).toHaveLength(1);
    expect(run.watermarks).toEqual([10]);
    expect(checkAccountingIdentity(input, run, { oneToOne: true })).toEqual([]);
  });
});

describe("portfolio book", () => {
  const proposal = (instrumentId: string, current: number, target: number, price: number, rejected = false) =>
    ({
      instrumentId,
      price,
      currentQuantity: current,
      targetQuantity: target,
      tradeQuantity: target - current,
      rejected,
    }) as TradeProposal;

  it("moves positions to the live targets, pays for them in cash and marks NAV at the latest prices", () => {
    const state: PortfolioState = { portfolioId: "p", nav: 1000, cash: 1000, positions: { KO: 2 } };
    const batch = {
      portfolioId: "p",
      proposals: [proposal("AAPL", 0, 3, 100), proposal("KO", 2, 0, 50), proposal("MSFT", 0, 4, 10, true)],
    } as unknown as ProposalBatch;
    const prices = new Map<string, InstrumentInfo>([
      ["AAPL", { instrumentId: "AAPL", price: 110, averageDailyVolume: 1 }],
    ]);
    const next = afterBatch(state, batch, prices);
    // cash: 1000 − 3·100 + 2·50 = 800; AAPL marked at 110; KO sold out; MSFT rejected.
    expect(next.cash).toBe(800);
    expect(next.positions).toEqual({ AAPL: 3 });
    expect(next.nav).toBe(800 + 3 * 110);
  });

  it("reads the keyed state first and falls back to the configured starting book", () => {
    const stored = new Map<string, PortfolioState>();
    const keyed: KeyedState<PortfolioState> = { get: (k) => stored.get(k), set: (k, v) => void stored.set(k, v) };
    const book = new BookView(keyed, { p: { nav: 100, positions: {} } });
    expect(book.get("p")).toEqual({ portfolioId: "p", nav: 100, cash: 100, positions: {} });
    expect(book.get("q")).toBeUndefined();
    keyed.set("p", { portfolioId: "p", nav: 90, cash: 10, positions: { KO: 1 } });
    expect(book.get("p")?.cash).toBe(10);
    expect(book.has("q")).toBe(false);
  });
});

describe("instrumentsOf", () => {
  it("converts the market-data table, re-using unchanged entries", () => {
    const md = (instrumentId: string, price: number): NormalizedMarketDataEvent => ({
      eventType: "NormalizedMarketData",
      eventId: `${instrumentId}-${price}`,
      eventTime: 1,
      schemaVersion: 1,
      instrumentId,
      price,
      volume: 1,
      averageDailyVolume: 5,
      volatility: 0.2,
      currency: "USD",
      sector: "Energy",
    });
    const table = new Map([["XOM", md("XOM", 80)]]);
    const subject = new BehaviorSubject<ReadonlyMap<string, NormalizedMarketDataEvent>>(table);
    const seen: ReadonlyMap<string, InstrumentInfo>[] = [];
    instrumentsOf(subject).subscribe((m) => seen.push(m));
    const first = seen[0]!.get("XOM");
    expect(first).toEqual({
      instrumentId: "XOM",
      price: 80,
      averageDailyVolume: 5,
      volatility: 0.2,
      sector: "Energy",
      assetClass: "equity",
    });
    table.set("CVX", md("CVX", 100));
    subject.next(table);
    expect(seen[1]!.get("XOM")).toBe(first);
    expect(seen[1]!.get("CVX")?.price).toBe(100);
    table.set("XOM", md("XOM", 82));
    subject.next(table);
    expect(seen[2]!.get("XOM")?.price).toBe(82);
    expect(seen[2]!.get("GE")).toBeUndefined();
    expect(seen[2]!.has("CVX") && !seen[2]!.has("GE")).toBe(true);
    expect(seen[2]!.size).toBe(2);
    expect([...seen[2]!.entries()].map(([id, i]) => [id, i.price])).toEqual([
      ["XOM", 82],
      ["CVX", 100],
    ]);
    expect([...seen[2]!.keys()]).toEqual(["XOM", "CVX"]);
    expect([...seen[2]!.values()].map((i) => i.instrumentId)).toEqual(["XOM", "CVX"]);
  });
});
