import { of } from "rxjs";
import { beforeAll, describe, expect, it } from "vitest";
import { InvestmentPolicy } from "../lib/domain/policy.js";
import type { ProposalBatch, TradeProposal } from "../lib/domain/portfolio.js";
import { RiskLimits } from "../lib/domain/risk-limits.js";
import { initSolver } from "../lib/quant/index.js";
import { record } from "../lib/stream/item.js";
import { DAY, proposal, proposalBatch } from "./portfolio-internal/fixtures/builders.js";
import { runSync } from "./portfolio-internal/fixtures/run.js";
import { covarianceModel, loadSp500, marketData } from "./portfolio-internal/fixtures/sp500.js";
import { proposalAlpha, type ResolveConflictsOptions, resolveConflicts } from "./resolve-conflicts.js";

const u = loadSp500(40);
const model = covarianceModel(u);
const market = marketData(u);
const ids = u.tickers;
const NAV = 20_000_000;
const px = (id: string) => market.get(id)!.price;
const cov = (a: string, b: string) => u.covariance[ids.indexOf(a)]![ids.indexOf(b)]!;
const P = (id: string, cw: number, tw: number, extra: Partial<TradeProposal> = {}) =>
  proposal("p1", id, px(id), NAV, (cw * NAV) / px(id), tw, extra);
const conflicted = (id: string, cw: number, tw: number, er: number) =>
  P(id, cw, tw, {
    expectedReturn: er,
    horizonMs: 10 * DAY,
    confidence: 0.6,
    sources: ["a", "b", "c"],
    conflict: true,
    conflictingSources: ["c"],
    reasonCodes: ["kelly"],
  });

beforeAll(async () => {
  await initSolver();
});

function resolve(batch: ProposalBatch, opts: Partial<ResolveConflictsOptions> = {}): ProposalBatch {
  const res = runSync(resolveConflicts({ covariance$: of(model), market$: of(market), ...opts }), [
    record(batch, 1, "p1", ["m"]),
  ]);
  expect(res.error).toBeUndefined();
  expect(res.records).toHaveLength(1);
  return res.records[0]!.value;
}

const eta = (id: string, k = 0.1) =>
  (k * Math.sqrt(cov(id, id) / 252) * NAV) / (market.get(id)!.averageDailyVolume * px(id));

describe("resolveConflicts", () => {
  it("solves a single contested trade in closed form: x* = clamp((α − 2λ(Σw)_i − c)/(2λΣ_ii + 2η_i))", () => {
    const [a, b, c] = ids as [string, string, string];
    const contested = conflicted(a, 0, 0.2, 0.005);
    const batch = proposalBatch("p1", NAV, [contested, P(b, 0.1, 0.1), P(c, 0, 0.05)]);
    const lambda = 5;
    const out = resolve(batch, { riskAversion: lambda, linearCost: 0.001 });
    const alpha = proposalAlpha(contested);
    expect(alpha).toBeCloseTo((0.005 * 0.6 * (2 / 3) * 365.25) / 10, 12);
    const sigmaW = cov(a, b) * 0.1 + cov(a, c) * 0.05;
    const unclamped = (alpha - 2 * lambda * sigmaW - 0.001) / (2 * lambda * cov(a, a) + 2 * eta(a));
    const expected = Math.min(0.2, Math.max(0, unclamped));
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(0.2);
    const pa = out.proposals[0]!;
    expect(pa.targetWeight).toBeCloseTo(expected, 6);
    expect(pa.reasonCodes).toContain("conflict-resolved");
    expect(out.proposals[1]).toEqual(batch.proposals[1]);
    expect(out.conflictResolution).toMatchObject({
      conflictType: "opposing-directions",
      competingSources: ["a", "b", "c"],
      riskAversion: lambda,
      solverStatus: "box:optimal",
    });
  });

  it.each(["auto", "admm", "highs"] as const)(
    "satisfies the KKT conditions on several contested trades (%s)",
    (solver) => {
      const contested = ids.slice(0, 6).map((id, i) => conflicted(id, 0, i % 2 ? -0.15 : 0.15, i % 2 ? -0.01 : 0.015));
      const batch = proposalBatch("p1", NAV, [...contested, P(ids[10]!, 0.2, 0.2)]);
      const lambda = 1;
      const out = resolve(batch, { riskAversion: lambda, linearCost: 0.0005, solver });
      expect(out.conflictResolution!.solverStatus).toBe(`${solver === "auto" ? "box" : solver}:optimal`);
      const x = out.proposals.slice(0, 6).map((p) => p.targetWeight);
      const d = contested.map((p) => p.targetWeight);
      for (let i = 0; i < 6; i++) {
        const id = ids[i]!;
        // gradient of the minimized objective: 2λ(Σw)_i + 2η x_i − α_i + c·sign(d_i)
        let sw = cov(id, ids[10]!) * 0.2;
        for (let j = 0; j < 6; j++) sw += cov(id, ids[j]!) * x[j]!;
        const g = 2 * lambda * sw + 2 * eta(id) * x[i]! - proposalAlpha(contested[i]!) + 0.0005 * Math.sign(d[i]!);
        const lo = Math.min(0, d[i]!);
        const hi = Math.max(0, d[i]!);
        const tol = 1e-6;
        if (x[i]! > lo + tol && x[i]! < hi - tol) expect(Math.abs(g)).toBeLessThan(1e-6);
        else if (Math.abs(x[i]! - lo) <= tol) expect(g).toBeGreaterThan(-1e-6);
        else expect(g).toBeLessThan(1e-6);
      }
    },
  );

  it("passes a conflict-free batch through and reports its objective terms", () => {
    const ps = ids
      .slice(0, 5)
      .map((id, i) => P(id, 0.02, 0.02 + 0.01 * i, { expectedReturn: 0.01, horizonMs: 20 * DAY }));
    const out = resolve(proposalBatch("p1", NAV, ps), { riskAversion: 3, linearCost: 0.0002 });
    expect(out.proposals).toEqual(ps);
    const cr = out.conflictResolution!;
    expect(cr.conflictType).toBe("none");
    expect(cr.solverStatus).toBe("not-needed");
    let alpha = 0;
    let tc = 0;
    let risk = 0;
    for (const p of ps) {
      const dw = p.targetWeight - p.currentWeight;
      alpha += dw * ((0.01 * p.confidence * 365.25) / 20);
      tc += 0.0002 * Math.abs(dw) + eta(p.instrumentId) * dw * dw;
      for (const q of ps) risk += p.targetWeight * q.targetWeight * cov(p.instrumentId, q.instrumentId);
    }
    expect(cr.objective.alpha).toBeCloseTo(alpha, 12);
    expect(cr.objective.transactionCost).toBeCloseTo(tc, 12);
    expect(cr.objective.risk).toBeCloseTo(risk, 12);
    expect(cr.objective.total).toBeCloseTo(alpha - 3 * risk - tc, 12);
  });

  it("resolves a batch that breaches the sector limit and the volatility limit, within both", () => {
    const sector = market.get(ids[0]!)!.sector!;
    const same = ids.filter((id) => market.get(id)!.sector === sector).slice(0, 4);
    const ps = same.map((id) => P(id, 0, 0.1, { expectedReturn: 0.02, horizonMs: 20 * DAY }));
    const policy = InvestmentPolicy.parse({ policyId: "x", sector: { maxWeight: 0.25, action: "clip" } });
    const limits = RiskLimits.parse({
      limitsId: "l",
      confidence: 0.99,
      horizonDays: 1,
      tradingDaysPerYear: 252,
      volatility: { max: 0.05, action: "clip" },
    });
    const out = resolve(proposalBatch("p1", NAV, ps), {
      policy$: of(new Map([["*", policy]])),
      limits$: of(new Map([["*", limits]])),
    });
    expect(out.conflictResolution!.conflictType).toBe("constraint-breach");
    expect(out.conflictResolution!.solverStatus).toMatch(/^(box|highs):optimal$/);
    const w = out.proposals.map((p) => ((p.currentQuantity + p.tradeQuantity) * p.price) / NAV);
    expect(w.reduce((s, x) => s + Math.abs(x), 0)).toBeLessThanOrEqual(0.25 + 1e-9);
    let v = 0;
    out.proposals.forEach((p, i) => {
      out.proposals.forEach((q, j) => {
        v += w[i]! * w[j]! * cov(p.instrumentId, q.instrumentId);
      });
    });
    expect(Math.sqrt(v)).toBeLessThanOrEqual(0.05 * (1 + 1e-9));
    for (const [i, p] of out.proposals.entries()) {
      expect(w[i]!).toBeGreaterThanOrEqual(-1e-12);
      expect(w[i]!).toBeLessThanOrEqual(0.1 + 1e-12);
      expect(p.reasonCodes).toContain("conflict-resolved");
    }
  });

  it("reports an intent-settled conflict without re-solving it", () => {
    const p = P(ids[0]!, 0.05, 0.02, {
      conflict: true,
      sources: ["momo", "rebalancer"],
      conflictingSources: ["momo"],
      reasonCodes: ["target-intent:rebalance", "intent-overrides-signal"],
    });
    const out = resolve(proposalBatch("p1", NAV, [p]));
    expect(out.proposals[0]).toEqual(p);
    expect(out.conflictResolution).toMatchObject({
      conflictType: "opposing-directions",
      competingSources: ["momo", "rebalancer"],
      solverStatus: "not-needed",
    });
  });

  it("gives the same resolution with ADMM, HiGHS and auto on a constrained 12-name conflict set", () => {
    const contested = ids.slice(0, 12).map((id, i) => conflicted(id, 0.01, i % 3 ? 0.08 : -0.06, 0.004 * (i + 1)));
    const policy = InvestmentPolicy.parse({
      policyId: "x",
      sector: { maxWeight: 0.12, action: "clip" },
      turnover: { maxTurnover: 0.4, action: "clip" },
    });
    const batch = proposalBatch("p1", NAV, contested);
    const opts = { policy$: of(new Map([["*", policy]])), riskAversion: 0.5 };
    const a = resolve(batch, { ...opts, solver: "admm" });
    const h = resolve(batch, { ...opts, solver: "highs" });
    const auto = resolve(batch, { ...opts });
    expect(auto.conflictResolution!.solverStatus).toBe("highs:optimal"); // a row binds: the box relaxation is not enough
    expect(auto.proposals).toEqual(h.proposals);
    expect(a.conflictResolution!.conflictType).toBe("constraint-breach");
    expect(a.conflictResolution!.objective.total).toBeCloseTo(h.conflictResolution!.objective.total, 7);
    a.proposals.forEach((p, k) => {
      expect(p.targetWeight).toBeCloseTo(h.proposals[k]!.targetWeight, 5);
    });
  });

  it("is deterministic", () => {
    const contested = ids.slice(0, 8).map((id, i) => conflicted(id, 0.01, i % 2 ? -0.1 : 0.12, 0.01 * (i + 1)));
    const a = resolve(proposalBatch("p1", NAV, contested));
    const b = resolve(proposalBatch("p1", NAV, contested));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});
