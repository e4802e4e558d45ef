import { of, Subject } from "rxjs";
import { describe, expect, it } from "vitest";
import type { ProposalBatch, TradeProposal } from "../lib/domain/portfolio.js";
import { RiskLimits, type RiskLimitsTable } from "../lib/domain/risk-limits.js";
import { type Envelope, record, type StreamItem } from "../lib/stream/item.js";
import { proposal, proposalBatch } from "./portfolio-internal/fixtures/builders.js";
import { runSync } from "./portfolio-internal/fixtures/run.js";
import { covarianceModel, loadSp500, marketData } from "./portfolio-internal/fixtures/sp500.js";
import { RiskRule, riskGate } from "./risk-gate.js";

const u = loadSp500(40);
const model = covarianceModel(u);
const market = marketData(u);
const NAV = 50_000_000;
const ids = u.tickers;
const px = (id: string) => market.get(id)!.price;
const P = (id: string, cw: number, tw: number) => proposal("p1", id, px(id), NAV, (cw * NAV) / px(id), tw);

const base = { limitsId: "L", confidence: 0.99, horizonDays: 1, tradingDaysPerYear: 252 };
const limitsOf = (x: object) => RiskLimits.parse({ ...base, ...x });

function gate(batch: ProposalBatch, limits: RiskLimits, history?: { instrumentIds: string[]; returns: number[][] }) {
  const res = runSync(
    riskGate({
      limits$: of(new Map([["*", limits]])),
      covariance$: of(model),
      ...(history ? { history$: of(history) } : {}),
    }),
    [record(batch, 1, "p1", ["m"])],
  );
  expect(res.error).toBeUndefined();
  return res.records[0]!.value;
}

// Independent recomputation: weights from quantities, Σ straight from the sample covariance.
const postWeights = (b: ProposalBatch): Map<string, number> => {
  const w = new Map<string, number>();
  for (const h of b.holdings ?? []) w.set(h.instrumentId, h.weight);
  for (const p of b.proposals) w.set(p.instrumentId, ((p.currentQuantity + p.tradeQuantity) * p.price) / NAV);
  return w;
};
const variance = (w: Map<string, number>) => {
  let v = 0;
  for (const [a, wa] of w) for (const [b, wb] of w) v += wa * wb * u.covariance[ids.indexOf(a)]![ids.indexOf(b)]!;
  return v;
};
/** Φ⁻¹ by bisection on Φ computed with Simpson's rule (independent of the gate's quantile). */
function zOf(p: number): number {
  const cdf = (x: number) => {
    const m = 2000;
    const hh = x / m;
    let s = 0;
    for (let i = 0; i <= m; i++) {
      const f = Math.exp(-((i * hh) ** 2) / 2);
      s += (i === 0 || i === m ? 1 : i % 2 ? 4 : 2) * f;
    }
    return 0.5 + (s * hh) / 3 / Math.sqrt(2 * Math.PI);
  };
  let lo = 0;
  let hi = 10;
  for (let k = 0; k < 80; k++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const longBook = () =>
  proposalBatch(
    "p1",
    NAV,
    ids.slice(0, 12).map((id, i) => P(id, i < 4 ? 0.03 : 0, 0.03 + 0.05 * (i % 3))),
  );

describe("riskGate", () => {
  it("clips volatility exactly to the limit by scaling every trade by one factor", () => {
    const batch = longBook();
    const vol0 = Math.sqrt(variance(postWeights({ ...batch, proposals: [] })));
    const vol1 = Math.sqrt(variance(postWeights(batch)));
    const limit = (vol0 + vol1) / 2;
    const out = gate(batch, limitsOf({ volatility: { max: limit, action: "clip" } }));
    expect(Math.sqrt(variance(postWeights(out)))).toBeCloseTo(limit, 12);
    const factors = out.proposals
      .map((p, k) => [p.tradeQuantity, batch.proposals[k]!.tradeQuantity] as const)
      .filter(([, before]) => Math.abs(before) > 1e-6)
      .map(([after, before]) => after / before);
    expect(factors.length).toBeGreaterThan(5);
    for (const f of factors) expect(f).toBeCloseTo(factors[0]!, 12);
    expect(factors[0]!).toBeGreaterThan(0);
    expect(factors[0]!).toBeLessThan(1);
    expect(out.riskBefore!.volatility).toBeCloseTo(vol0, 12);
    expect(out.riskAfter!.volatility).toBeCloseTo(limit, 12);
    const ck = out.proposals[0]!.checks.find((c) => c.rule === RiskRule.volatility)!;
    expect(ck).toMatchObject({ kind: "risk", limit, passed: false, action: "clip" });
    expect(ck.value).toBeCloseTo(vol1, 12);
    expect(out.proposals[0]!.reasonCodes).toContain("clipped:volatility");
  });

  it("clips parametric VaR and ES to the limit (z and φ(z)/(1−c) recomputed independently)", () => {
    const batch = longBook();
    const sig1 = Math.sqrt(variance(postWeights(batch)) / 252);
    const z = zOf(0.99);
    const esK = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI) / 0.01;
    const out = gate(batch, limitsOf({ valueAtRisk: { max: 0.8 * z * sig1, action: "clip", method: "parametric" } }));
    expect(z * Math.sqrt(variance(postWeights(out)) / 252)).toBeCloseTo(0.8 * z * sig1, 8);
    expect(out.riskAfter!.valueAtRisk).toBeCloseTo(0.8 * z * sig1, 8);
    const out2 = gate(
      batch,
      limitsOf({ expectedShortfall: { max: 0.7 * esK * sig1, action: "clip", method: "parametric" } }),
    );
    expect(esK * Math.sqrt(variance(postWeights(out2)) / 252)).toBeCloseTo(0.7 * esK * sig1, 8);
    expect(out2.riskAfter!.expectedShortfall).toBeCloseTo(0.7 * esK * sig1, 8);
  });

  it("clips tracking error against the benchmark, including benchmark names not held", () => {
    const bench: Record<string, number> = {};
    for (const id of ids.slice(20, 40)) bench[id] = 0.05;
    const shorts = ids.slice(0, 12).map((id) => P(id, 0, -0.05));
    const batch = { ...proposalBatch("p1", NAV, shorts), benchmarkWeights: bench };
    const active = (b: ProposalBatch) => {
      const w = postWeights(b);
      for (const [id, x] of Object.entries(bench)) w.set(id, (w.get(id) ?? 0) - x);
      return Math.sqrt(variance(w));
    };
    const te0 = active({ ...batch, proposals: [] });
    const te1 = active(batch);
    expect(te1).toBeGreaterThan(te0);
    const limit = te0 + 0.25 * (te1 - te0);
    const out = gate(batch, limitsOf({ trackingError: { max: limit, action: "clip" } }));
    expect(active(out)).toBeCloseTo(limit, 12);
    expect(out.riskAfter!.trackingError).toBeCloseTo(limit, 12);
  });

  it("clips the worst stress loss exactly to the limit", () => {
    const batch = longBook();
    const crash = Object.fromEntries(ids.map((id) => [id, -0.3]));
    const tech = Object.fromEntries(ids.slice(0, 6).map((id) => [id, -0.5]));
    const loss = (b: ProposalBatch, shocks: Record<string, number>) =>
      -[...postWeights(b)].reduce((s, [id, w]) => s + (shocks[id] ?? 0) * w, 0);
    const out = gate(
      batch,
      limitsOf({
        stress: {
          maxLoss: 0.2,
          action: "clip",
          scenarios: [
            { name: "crash", shocks: crash },
            { name: "tech", shocks: tech },
          ],
        },
      }),
    );
    const worst = Math.max(loss(out, crash), loss(out, tech));
    expect(worst).toBeCloseTo(0.2, 12);
    expect(out.riskAfter!.worstStressLoss).toBeCloseTo(0.2, 12);
  });

  it("clips historical VaR so that it holds, recomputed from the raw return history", () => {
    const batch = longBook();
    const history = { instrumentIds: [...ids], returns: u.returns.map((r) => [...r]) };
    const hvar = (b: ProposalBatch) => {
      const w = postWeights(b);
      const losses = u.returns.map((r) => -[...w].reduce((s, [id, x]) => s + r[ids.indexOf(id)]! * x, 0));
      losses.sort((a, b2) => b2 - a);
      return losses[Math.ceil(losses.length * 0.01) - 1]!;
    };
    const v1 = hvar(batch);
    const out = gate(
      batch,
      limitsOf({ valueAtRisk: { max: 0.7 * v1, action: "clip", method: "historical" } }),
      history,
    );
    const after = hvar(out);
    expect(after).toBeLessThanOrEqual(0.7 * v1 * (1 + 1e-9));
    expect(after).toBeGreaterThan(0.7 * v1 * 0.98);
    expect(out.riskAfter!.valueAtRisk).toBeCloseTo(after, 12);
  });

  it("rejects every trade when a historical limit has no return history to check it", () => {
    const out = gate(longBook(), limitsOf({ valueAtRisk: { max: 1, action: "clip", method: "historical" } }));
    for (const p of out.proposals) {
      expect(p.tradeQuantity).toBe(0);
      const ck = p.checks.find((c) => c.rule === RiskRule.valueAtRisk)!;
      expect(ck).toMatchObject({ passed: false, action: "reject" });
      expect(ck.detail).toContain("no return history");
    }
  });

  it("rejects every live trade when a reject limit fails; riskAfter equals riskBefore", () => {
    const batch = longBook();
    const out = gate(batch, limitsOf({ volatility: { max: 0.01, action: "reject" } }));
    for (const p of out.proposals) {
      expect(p.rejected).toBe(true);
      expect(p.tradeQuantity).toBe(0);
      expect(p.reasonCodes).toContain("rejected:volatility");
      expect(p.checks.find((c) => c.rule === "volatility")!.action).toBe("reject");
    }
    expect(out.riskAfter).toEqual(out.riskBefore);
  });

  it("lets a trade that reduces an existing breach pass", () => {
    const batch = proposalBatch("p1", NAV, [P(ids[0]!, 0.5, 0.3), P(ids[1]!, 0.5, 0.4)]);
    const out = gate(batch, limitsOf({ volatility: { max: 0.01, action: "reject" } }));
    expect(out.proposals.map((p) => p.targetWeight)).toEqual([0.3, 0.4]);
    const ck = out.proposals[0]!.checks[0]!;
    expect(ck).toMatchObject({ passed: false, action: "pass" });
  });

  it("applies limits that change at runtime (the latest before each batch)", () => {
    const limits$ = new Subject<RiskLimitsTable>();
    const main$ = new Subject<StreamItem<ProposalBatch>>();
    const out: StreamItem<ProposalBatch>[] = [];
    main$.pipe(riskGate({ limits$, covariance$: of(model) })).subscribe((i) => out.push(i));
    const batch = longBook();
    main$.next(record(batch, 1, "p1", ["a"]));
    limits$.next(new Map([["p1", limitsOf({ volatility: { max: 10, action: "clip" } })]]));
    main$.next(record(batch, 2, "p1", ["b"]));
    limits$.next(new Map([["p1", limitsOf({ volatility: { max: 0.05, action: "clip" } })]]));
    main$.next(record(batch, 3, "p1", ["c"]));
    expect(out.map((i) => i.kind)).toEqual(["side", "record", "record"]);
    const [loose, tight] = [out[1] as Envelope<ProposalBatch>, out[2] as Envelope<ProposalBatch>];
    expect(loose.value.proposals.map((p: TradeProposal) => p.targetWeight)).toEqual(
      batch.proposals.map((p) => p.targetWeight),
    );
    expect(tight.value.riskAfter!.volatility).toBeCloseTo(0.05, 12);
  });

  it("rejects proposals on instruments without any volatility", () => {
    const batch = proposalBatch("p1", NAV, [P(ids[0]!, 0, 0.01), proposal("p1", "NOPE", 10, NAV, 0, 0.01)]);
    const out = gate(batch, limitsOf({ volatility: { max: 1, action: "clip" } }));
    const nope = out.proposals.find((p) => p.instrumentId === "NOPE")!;
    expect(nope.rejected).toBe(true);
    expect(nope.checks.map((c) => c.rule)).toEqual(["risk-model-coverage"]);
    expect(out.proposals.find((p) => p.instrumentId === ids[0])!.rejected).toBe(false);
  });
});
