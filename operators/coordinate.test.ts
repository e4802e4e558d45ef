import fc from "fast-check";
import { of } from "rxjs";
import { beforeAll, describe, expect, it } from "vitest";
import { InvestmentPolicy } from "../lib/domain/policy.js";
import type { ProposalBatch } from "../lib/domain/portfolio.js";
import { RiskLimits } from "../lib/domain/risk-limits.js";
import type { PortfolioBatch } from "../lib/domain/signals.js";
import { CoordinatedTradingDecisionEvent } from "../lib/events/coordinated-trading-decision.js";
import { CoordinationAnalyticsEvent } from "../lib/events/coordination-analytics.js";
import { PortfolioStateUpdateEvent } from "../lib/events/portfolio-state-update.js";
import { initSolver } from "../lib/quant/index.js";
import { type Envelope, record, type StreamItem, watermark } from "../lib/stream/item.js";
import { coordinate, decisionConfidence, decisionEventId, NO_DECISION } from "./coordinate.js";
import { batchDecisionIds } from "./portfolio-internal/decisions.js";
import { coordinationAnalytics } from "./coordination-analytics.js";
import { policyGate } from "./policy-gate.js";
import { portfolioStateUpdates } from "./portfolio-state-updates.js";
import {
  batchOf,
  intent,
  netSignal,
  proposal,
  proposalBatch,
  stateOf,
} from "./portfolio-internal/fixtures/builders.js";
import { runSync } from "./portfolio-internal/fixtures/run.js";
import { covarianceModel, loadSp500, marketData } from "./portfolio-internal/fixtures/sp500.js";
import { resolveConflicts } from "./resolve-conflicts.js";
import { riskGate } from "./risk-gate.js";
import { sizePositions } from "./size-positions.js";
import { createHash } from "node:crypto";

const u = loadSp500(30);
const model = covarianceModel(u);
const market = marketData(u);
const ids = u.tickers;
const NAV = 25_000_000;
const topology = { name: "portfolio-coordination", version: "1.0.0", hash: "abc123" };

beforeAll(async () => {
  await initSolver();
});

const policy = InvestmentPolicy.parse({
  policyId: "pol",
  restrictedList: { instruments: [ids[3]!], action: "reject" },
  singleName: { maxWeight: 0.06, action: "clip" },
  sector: { maxWeight: 0.3, action: "clip" },
  turnover: { maxTurnover: 0.5, action: "clip" },
});
const limits = RiskLimits.parse({
  limitsId: "lim",
  confidence: 0.99,
  horizonDays: 1,
  tradingDaysPerYear: 252,
  volatility: { max: 0.1, action: "clip" },
  valueAtRisk: { max: 0.015, action: "clip", method: "parametric" },
});

function pipeline(input: StreamItem<PortfolioBatch>[]) {
  const covariance$ = of(model);
  const market$ = of(market);
  const state = stateOf("p1", NAV, { [ids[0]!]: 10_000, [ids[3]!]: 2_000 });
  const stages = [
    sizePositions({ covariance$, market$, portfolio$: of(new Map([["p1", state]])), maxWeight: 0.08 }),
    policyGate({ policy$: of(new Map([["*", policy]])), market$ }),
    riskGate({ limits$: of(new Map([["*", limits]])), covariance$, market$ }),
    resolveConflicts({
      covariance$,
      market$,
      policy$: of(new Map([["*", policy]])),
      limits$: of(new Map([["*", limits]])),
    }),
  ] as const;
  let items: readonly StreamItem<unknown>[] = input;
  for (const s of stages) items = runSync(s as never, items as never).items;
  return items as StreamItem<ProposalBatch>[];
}

const signals = () =>
  batchOf(
    "p1",
    ids.slice(0, 20).map((id, i) =>
      netSignal("p1", id, 0.01 * Math.cos(i), {
        contributingSignalIds: [`s-${i}-a`, `s-${i}-b`],
        sources: ["a", "b"],
        ...(i === 5 ? { conflict: true, conflictingSources: ["b"] } : {}),
      }),
    ),
    [intent("p1", ids[21]!, 0.02, { eventId: "rb-21" })],
  );

describe("coordinate", () => {
  it("emits schema-valid decisions with full lineage, checks and risk numbers, end to end on real data", () => {
    const gated = pipeline([record(signals(), 60_000, "p1", ["m3", "m1", "m2"]), watermark(70_000)]);
    const res = runSync(coordinate({ topology }), gated);
    expect(res.error).toBeUndefined();
    expect(res.items.at(-1)).toEqual(watermark(70_000));
    const batch = (gated[0] as Envelope<ProposalBatch>).value;
    expect(res.records.length).toBeGreaterThan(5);
    // The batch is named by its state update's id; that update lists the ids the digest covers.
    const updates = runSync(portfolioStateUpdates({ topology }), gated).records;
    expect(updates).toHaveLength(1);
    const update = updates[0]!.value;
    expect(update.inputIds).toEqual(["m1", "m2", "m3"]);
    const digest = createHash("sha256").update("m1\u001fm2\u001fm3").digest("hex");
    for (const r of res.records) {
      const d = CoordinatedTradingDecisionEvent.parse(r.value);
      expect(r.ids).toEqual(["m3", "m1", "m2"]);
      expect(d.lineage).toEqual({
        batchId: update.eventId,
        inputCount: 3,
        inputsDigest: digest,
        topology,
        windowStart: 0,
        windowEnd: 60_000,
      });
      expect(update.decisionIds).toContain(d.eventId);
      const p = batch.proposals.find((x) => x.instrumentId === d.instrumentId)!;
      expect(d.checks).toEqual(p.checks);
      expect(d.checks.length).toBeGreaterThan(0);
      expect(d.riskBefore).toEqual(batch.riskBefore);
      expect(d.riskAfter).toEqual(batch.riskAfter);
      expect(d.conflictResolution).toEqual(batch.conflictResolution);
      expect(d.contributingSignalIds).toEqual(p.contributingSignalIds);
      expect(d.confidence).toBeCloseTo(decisionConfidence(p), 15);
      expect(d.timing.notBefore).toBe(60_000);
      expect(d.timing.notAfter).toBeGreaterThan(60_000);
      if (p.rejected) expect([d.side, d.quantity]).toEqual(["hold", 0]);
      else {
        expect(d.side).toBe(p.tradeQuantity > 0 ? "buy" : "sell");
        expect(d.quantity).toBeCloseTo(Math.abs(p.tradeQuantity), 9);
      }
    }
    // The restricted name's rejection reaches the decision stream with its check.
    const restricted = res.records.find((r) => r.value.instrumentId === ids[3])!.value;
    expect(restricted.side).toBe("hold");
    expect(restricted.checks.find((c) => c.rule === "restricted-list")).toMatchObject({
      passed: false,
      action: "reject",
    });
    // Event ids are unique within the batch and stable under redelivery (same ids, other order).
    const eventIds = res.records.map((r) => r.value.eventId);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    const again = runSync(coordinate({ topology }), pipeline([record(signals(), 60_000, "p1", ["m2", "m1", "m3"])]));
    expect(again.records.map((r) => r.value.eventId)).toEqual(eventIds);
    expect(JSON.stringify(again.records.map((r) => r.value))).toBe(JSON.stringify(res.records.map((r) => r.value)));
    // Another topology hash gives other ids.
    const other = runSync(coordinate({ topology: { ...topology, hash: "zzz" } }), gated);
    expect(other.records[0]!.value.eventId).not.toBe(eventIds[0]);
  });

  it("sends a batch with only trivial proposals to the no-decision side output", () => {
    const id = ids[0]!;
    const flat = proposal("p1", id, market.get(id)!.price, NAV, 100, (100 * market.get(id)!.price) / NAV);
    const res = runSync(coordinate({ topology, minNotional: 1 }), [
      record(proposalBatch("p1", NAV, [{ ...flat, tradeQuantity: 0, notional: 0 }]), 5, "p1", ["q"]),
    ]);
    expect(res.records).toHaveLength(0);
    expect(res.sides.map((s) => [s.tag, s.reason, s.record.ids])).toEqual([[NO_DECISION, "no-trade", ["q"]]]);
  });

  it("derives priority and timing from urgency, size, confidence and conflict", () => {
    const id = ids[1]!;
    const px = market.get(id)!.price;
    const mk = (extra: object) => proposal("p1", id, px, NAV, 0, 0.02, extra);
    const batch = proposalBatch("p1", NAV, [
      mk({ urgency: "critical", horizonMs: 60_000 }),
      mk({ urgency: "low", confidence: 0.3, conflict: true, sources: ["a", "b"], conflictingSources: ["b"] }),
    ]);
    const [crit, low] = runSync(coordinate({ topology }), [record(batch, 1_000, "p1", ["z"])]).records.map(
      (r) => r.value,
    );
    expect(crit!.executionPriority).toBe(1);
    expect(crit!.timing).toEqual({ notBefore: 1_000, notAfter: 61_000, style: "immediate" });
    expect(low!.executionPriority).toBe(9); // 7 - 1 (>= 1 % NAV) + 1 (confidence) + 2 (conflict)
    expect(low!.confidence).toBeCloseTo(0.15, 15);
    expect(low!.timing.style).toBe("opportunistic");
    expect(low!.reasonCodes).toContain("risk-not-assessed");
  });

  it("emits a schema-valid state update and analytics event that agree with the decisions", () => {
    const gated = pipeline([record(signals(), 60_000, "p1", ["m1", "m2", "m3"])]);
    const decisions = runSync(coordinate({ topology }), gated).records.map((r) => r.value);
    const [state] = runSync(portfolioStateUpdates({ topology }), gated).records.map((r) =>
      PortfolioStateUpdateEvent.parse(r.value),
    );
    const [stats] = runSync(coordinationAnalytics({ topology }), gated).records.map((r) =>
      CoordinationAnalyticsEvent.parse(r.value),
    );
    const batch = (gated[0] as Envelope<ProposalBatch>).value;
    expect(state!.decisionIds).toEqual(decisions.map((d) => d.eventId));
    for (const d of decisions) {
      const pos = state!.positions.find((p) => p.instrumentId === d.instrumentId);
      expect(pos?.weight ?? 0).toBeCloseTo(d.targetWeight, 9);
    }
    const traded = decisions.reduce(
      (s, d) => s + (d.side === "buy" ? d.notional : d.side === "sell" ? -d.notional : 0),
      0,
    );
    expect(state!.cash).toBeCloseTo(NAV - traded, 3);
    expect(stats!.decisionsOut).toBe(decisions.length);
    expect(stats!.rejected).toBe(batch.proposals.filter((p) => p.rejected).length);
    expect(stats!.signalsIn).toBe(41);
    expect(stats!.riskAfter).toBe(batch.riskAfter!.volatility);
    expect(stats!.turnover).toBeCloseTo(decisions.reduce((s, d) => s + d.notional, 0) / NAV, 12);
  });
});

describe("decisionEventId", () => {
  it("property: a function of the id set (not its order) and of every other part", () => {
    const idSet = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(idSet, fc.string({ minLength: 1, maxLength: 6 }), (ids, extra) => {
        const id = decisionEventId("h", "p1", "AAPL", 0, 60_000, ids);
        expect(decisionEventId("h", "p1", "AAPL", 0, 60_000, [...ids].reverse())).toBe(id);
        expect(id).toMatch(/^[0-9a-f]{32}$/);
        if (!ids.includes(extra)) expect(decisionEventId("h", "p1", "AAPL", 0, 60_000, [...ids, extra])).not.toBe(id);
        expect(decisionEventId("h", "p1", "MSFT", 0, 60_000, ids)).not.toBe(id);
        expect(decisionEventId("h", "p2", "AAPL", 0, 60_000, ids)).not.toBe(id);
        expect(decisionEventId("h", "p1", "AAPL", 1, 60_000, ids)).not.toBe(id);
        expect(decisionEventId("g", "p1", "AAPL", 0, 60_000, ids)).not.toBe(id);
      }),
      { numRuns: 300 },
    );
  });
});

describe("batchDecisionIds", () => {
  it("gives decisionEventId's ids, computed once per batch object", () => {
    const batch = { portfolioId: "p1", windowStart: 60_000, windowEnd: 120_000 };
    const ids = ["m-3", "m-1", "m-2"];
    const f = batchDecisionIds("h", batch, ids);
    expect(f("AAPL")).toBe(decisionEventId("h", "p1", "AAPL", 60_000, 120_000, ids));
    expect(f("MSFT")).toBe(decisionEventId("h", "p1", "MSFT", 60_000, 120_000, ids));
    expect(batchDecisionIds("h", batch, [])("AAPL")).toBe(decisionEventId("h", "p1", "AAPL", 60_000, 120_000, []));
    expect(batchDecisionIds("other", batch, ids)("AAPL")).toBe(
      decisionEventId("other", "p1", "AAPL", 60_000, 120_000, ids),
    );
  });
});
