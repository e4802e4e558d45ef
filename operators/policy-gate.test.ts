import { of } from "rxjs";
import { describe, expect, it } from "vitest";
import { InvestmentPolicy } from "../lib/domain/policy.js";
import type { ProposalBatch, TradeProposal } from "../lib/domain/portfolio.js";
import { record, watermark } from "../lib/stream/item.js";
import { proposal, proposalBatch } from "./portfolio-internal/fixtures/builders.js";
import { runSync } from "./portfolio-internal/fixtures/run.js";
import { loadSp500, marketData } from "./portfolio-internal/fixtures/sp500.js";
import { PolicyRule, policyGate } from "./policy-gate.js";

const u = loadSp500(60);
const market = marketData(u);
const NAV = 1_000_000;
const px = (id: string) => market.get(id)!.price;
const P = (id: string, currentWeight: number, targetWeight: number, extra: Partial<TradeProposal> = {}) =>
  proposal("p1", id, px(id), NAV, (currentWeight * NAV) / px(id), targetWeight, extra);

function gate(batch: ProposalBatch, policy: unknown): ProposalBatch {
  const parsed = InvestmentPolicy.parse(policy);
  const res = runSync(policyGate({ policy$: of(new Map([["*", parsed]])), market$: of(market) }), [
    record(batch, 1, "p1", ["x"]),
  ]);
  expect(res.error).toBeUndefined();
  expect(res.records).toHaveLength(1);
  return res.records[0]!.value;
}

/** Post-trade weight recomputed from quantities, independently of the gate's weights. */
const postW = (p: TradeProposal) => ((p.currentQuantity + p.tradeQuantity) * p.price) / NAV;
const checkOf = (p: TradeProposal, rule: string) => p.checks.filter((c) => c.rule === rule);

const sectorOf = (id: string) => market.get(id)!.sector!;
const bySector = new Map<string, string[]>();
for (const id of u.tickers) bySector.set(sectorOf(id), [...(bySector.get(sectorOf(id)) ?? []), id]);
const bigSector = [...bySector.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;

describe("policyGate", () => {
  const [a, b, c, d] = u.tickers as [string, string, string, string];

  it("rejects a restricted name (trade zeroed, check and reason kept) and lets others pass", () => {
    const out = gate(proposalBatch("p1", NAV, [P(a, 0, 0.02), P(b, 0, 0.03)]), {
      policyId: "pol",
      restrictedList: { instruments: [a], action: "reject" },
    });
    const [pa, pb] = out.proposals as [TradeProposal, TradeProposal];
    expect(pa.rejected).toBe(true);
    expect(pa.tradeQuantity).toBe(0);
    expect(pa.targetWeight).toBe(pa.currentWeight);
    expect(pa.reasonCodes).toContain("rejected:restricted-list");
    expect(checkOf(pa, PolicyRule.restrictedList)).toEqual([
      { kind: "policy", rule: "restricted-list", value: 1, limit: 0, passed: false, action: "reject" },
    ]);
    expect(pb.rejected).toBe(false);
    expect(pb.targetWeight).toBe(0.03);
    expect(checkOf(pb, PolicyRule.restrictedList)[0]!.passed).toBe(true);
  });

  it("clip on an eligibility rule allows only exposure-reducing trades", () => {
    const out = gate(proposalBatch("p1", NAV, [P(a, 0.02, 0.05), P(b, 0.03, 0.01), P(c, 0.01, -0.02)]), {
      policyId: "pol",
      esg: { excluded: [a, b, c], missingScore: "pass", action: "clip" },
    });
    const [pa, pb, pc] = out.proposals as [TradeProposal, TradeProposal, TradeProposal];
    expect(postW(pa)).toBeCloseTo(0.02, 12); // buy blocked
    expect(pb.targetWeight).toBe(0.01); // sale passes
    expect(checkOf(pb, PolicyRule.esgExclusion)[0]!.action).toBe("pass");
    expect(pc.targetWeight).toBe(0); // flip to short is cut at flat
    expect(pa.reasonCodes).toContain("clipped:esg-exclusion");
  });

  it("applies the ESG minimum score, with missing scores as configured", () => {
    const low = u.tickers.find((id) => market.get(id)!.esgScore! < 30)!;
    const high = u.tickers.find((id) => market.get(id)!.esgScore! > 70)!;
    const out = gate(proposalBatch("p1", NAV, [P(low, 0, 0.01), P(high, 0, 0.01)]), {
      policyId: "pol",
      esg: { excluded: [], minScore: 50, missingScore: "fail", action: "reject" },
    });
    const [pl, ph] = [...out.proposals].sort((x) => (x.instrumentId === low ? -1 : 1)) as [
      TradeProposal,
      TradeProposal,
    ];
    expect(pl.rejected).toBe(true);
    expect(checkOf(pl, PolicyRule.esgMinScore)[0]).toMatchObject({ value: market.get(low)!.esgScore, limit: 50 });
    expect(ph.rejected).toBe(false);
  });

  it("clips single-name exposure exactly to the limit, and never increases an existing breach", () => {
    const out = gate(proposalBatch("p1", NAV, [P(a, 0.01, 0.08), P(b, 0.07, 0.09), P(c, 0.07, 0.06), P(d, 0, -0.2)]), {
      policyId: "pol",
      singleName: { maxWeight: 0.05, action: "clip" },
    });
    const [pa, pb, pc, pd] = out.proposals as TradeProposal[] as [
      TradeProposal,
      TradeProposal,
      TradeProposal,
      TradeProposal,
    ];
    expect(postW(pa)).toBeCloseTo(0.05, 12);
    expect(postW(pb)).toBeCloseTo(0.07, 12); // held at the pre-existing level
    expect(pc.targetWeight).toBe(0.06); // reduces a breach: passes
    expect(postW(pd)).toBeCloseTo(-0.05, 12);
    expect(checkOf(pa, PolicyRule.singleName)[0]).toMatchObject({
      value: 0.08,
      limit: 0.05,
      passed: false,
      action: "clip",
    });
  });

  it("clips a sector's increasing trades so the sector's gross lands exactly on the limit", () => {
    const [sector, names] = bigSector;
    const ps = names.slice(0, 4).map((id, i) => P(id, i === 0 ? 0.04 : 0, i === 0 ? 0 : 0.06));
    const other = u.tickers.find((id) => sectorOf(id) !== sector)!;
    const held = names[5]!;
    const batch = proposalBatch(
      "p1",
      NAV,
      [...ps, P(other, 0, 0.08)],
      [{ instrumentId: held, quantity: (0.03 * NAV) / px(held), price: px(held), weight: 0.03 }],
    );
    const out = gate(batch, { policyId: "pol", sector: { maxWeight: 0.1, action: "clip" } });
    let gross = 0.03;
    for (const p of out.proposals) if (sectorOf(p.instrumentId) === sector) gross += Math.abs(postW(p));
    expect(gross).toBeCloseTo(0.1, 12);
    const sold = out.proposals.find((p) => p.instrumentId === names[0])!;
    expect(sold.targetWeight).toBe(0); // the reducing trade is untouched
    expect(out.proposals.find((p) => p.instrumentId === other)!.targetWeight).toBe(0.08);
    const ck = checkOf(out.proposals.find((p) => p.instrumentId === names[1])!, PolicyRule.sector)[0]!;
    expect(ck).toMatchObject({ limit: 0.1, passed: false, action: "clip" });
    expect(ck.value).toBeCloseTo(0.03 + 3 * 0.06, 12);
  });

  it("applies per-group overrides and rejects the increasing trades of a breaching country", () => {
    const out = gate(proposalBatch("p1", NAV, [P(a, 0.05, 0.0), P(b, 0, 0.04)]), {
      policyId: "pol",
      country: { maxWeight: 1, overrides: { "United States": 0.03 }, action: "reject" },
    });
    const us = out.proposals.filter((p) => market.get(p.instrumentId)!.country === "United States");
    expect(us.length).toBe(2);
    // a sells 0.05 -> 0, b buys 0.04: post 0.04 > 0.03, so b (increasing) is rejected, a passes.
    expect(us.find((p) => p.instrumentId === a)!.rejected).toBe(false);
    expect(us.find((p) => p.instrumentId === b)!.rejected).toBe(true);
  });

  it("clips turnover exactly to the limit by scaling every trade", () => {
    const ps = u.tickers.slice(0, 10).map((id, i) => P(id, 0.01, 0.01 + (i % 2 ? 0.02 : -0.03)));
    const out = gate(proposalBatch("p1", NAV, ps), { policyId: "pol", turnover: { maxTurnover: 0.1, action: "clip" } });
    const turnover = out.proposals.reduce((s, p) => s + p.notional, 0) / NAV;
    expect(turnover).toBeCloseTo(0.1, 12);
    for (const [k, p] of out.proposals.entries()) {
      expect((p.tradeQuantity * p.price) / NAV).toBeCloseTo((ps[k]!.targetWeight - 0.01) * (0.1 / 0.25), 12);
      expect(checkOf(p, PolicyRule.turnover)[0]).toMatchObject({ limit: 0.1, passed: false, action: "clip" });
      expect(checkOf(p, PolicyRule.turnover)[0]!.value).toBeCloseTo(0.25, 12);
    }
  });

  it("records one check per configured rule on every live proposal, and forwards watermarks", () => {
    const policy = InvestmentPolicy.parse({
      policyId: "pol",
      allowedInstruments: { instruments: u.tickers, action: "reject" },
      allowedAssetClasses: { assetClasses: ["equity"], action: "reject" },
      restrictedList: { instruments: [], action: "reject" },
      esg: { excluded: [], minScore: 0, missingScore: "pass", action: "clip" },
      singleName: { maxWeight: 1, action: "clip" },
      sector: { maxWeight: 1, action: "clip" },
      country: { maxWeight: 1, action: "clip" },
      turnover: { maxTurnover: 10, action: "clip" },
    });
    const batch = proposalBatch("p1", NAV, [P(a, 0, 0.01), P(b, 0.02, 0.0)]);
    const res = runSync(policyGate({ policy$: of(new Map([["p1", policy]])), market$: of(market) }), [
      record(batch, 1, "p1", ["x", "y"]),
      watermark(2),
    ]);
    expect(res.items.map((i) => i.kind)).toEqual(["record", "watermark"]);
    const rec = res.records[0]!;
    expect(rec.ids).toEqual(["x", "y"]);
    for (const p of rec.value.proposals) {
      const rules = p.checks.map((c) => c.rule).sort();
      const expected = Object.values(PolicyRule).filter(
        (r) => r !== PolicyRule.country || market.get(p.instrumentId)!.country !== undefined,
      );
      expect(rules).toEqual([...expected].sort());
      expect(p.checks.every((c) => c.passed && c.action === "pass")).toBe(true);
    }
  });

  it("sends a batch without a policy for its portfolio to the rejected side output", () => {
    const res = runSync(policyGate({ policy$: of(new Map()), market$: of(market) }), [
      record(proposalBatch("p1", NAV, [P(a, 0, 0.01)]), 1, "p1", ["x"]),
    ]);
    expect(res.records).toHaveLength(0);
    expect(res.sides.map((s) => [s.tag, s.reason, s.record.ids])).toEqual([
      ["rejected", "missing-side-input:policy", ["x"]],
    ]);
  });
});
