import { of } from "rxjs";
import { describe, expect, it } from "vitest";
import type { InstrumentInfo, PortfolioState, ProposalBatch } from "../lib/domain/portfolio.js";
import type { PortfolioBatch } from "../lib/domain/signals.js";
import { record, type StreamItem, watermark } from "../lib/stream/item.js";
import { batchOf, intent, netSignal, stateOf } from "./portfolio-internal/fixtures/builders.js";
import { runSync } from "./portfolio-internal/fixtures/run.js";
import { covarianceModel, loadSp500, marketData } from "./portfolio-internal/fixtures/sp500.js";
import { annualizedSignalReturn, type SizePositionsOptions, sizePositions } from "./size-positions.js";

const u = loadSp500(12);
const model = covarianceModel(u);
const market = marketData(u);
const ids = u.tickers;
const NAV = 10_000_000;

/** Market data with effectively unlimited liquidity, so the liquidity cap does not bind. */
const deepMarket = new Map<string, InstrumentInfo>(
  [...market].map(([k, v]) => [k, { ...v, averageDailyVolume: 1e15 }] as const),
);

function size(
  batch: PortfolioBatch,
  state: PortfolioState,
  opts: Partial<SizePositionsOptions> = {},
  mkt: ReadonlyMap<string, InstrumentInfo> = deepMarket,
): ProposalBatch {
  const op = sizePositions({
    covariance$: of(model),
    market$: of(mkt),
    portfolio$: of(new Map([[state.portfolioId, state]])),
    ...opts,
  });
  const res = runSync(op, [record(batch, 60_000, batch.portfolioId, ["m1", "m2"])]);
  expect(res.error).toBeUndefined();
  expect(res.records).toHaveLength(1);
  return res.records[0]!.value;
}

const unconstrained = { maxWeight: 1e9, maxGrossLeverage: 1e9, maxParticipation: 1e9 } as const;
const cov = (a: string, b: string) => u.covariance[ids.indexOf(a)]![ids.indexOf(b)]!;

describe("sizePositions", () => {
  it("is the closed-form fractional Kelly c·Σ⁻¹μ when nothing binds (Σw = cμ)", () => {
    const rets = [0.02, -0.01, 0.015, 0.005, -0.02, 0.01];
    const sigs = rets.map((r, i) => netSignal("p1", ids[i]!, r, { confidence: 0.5 + 0.05 * i }));
    const out = size(batchOf("p1", sigs), stateOf("p1", NAV), { ...unconstrained, kellyFraction: 0.25 });
    const w = new Map(out.proposals.map((p) => [p.instrumentId, p.targetWeight]));
    for (const s of sigs) {
      let lhs = 0;
      for (const t of sigs) lhs += cov(s.instrumentId, t.instrumentId) * w.get(t.instrumentId)!;
      expect(lhs).toBeCloseTo(0.25 * annualizedSignalReturn(s), 9);
    }
    // Quantities and notionals agree with the weights.
    for (const p of out.proposals) {
      expect(p.tradeQuantity).toBeCloseTo(((p.targetWeight - p.currentWeight) * NAV) / p.price, 6);
      expect(p.notional).toBeCloseTo(Math.abs(p.tradeQuantity) * p.price, 6);
      expect(p.reasonCodes).toContain("kelly");
    }
  });

  it("keeps Σw = cμ on a large signal set sized through the model's precision matrix", () => {
    const big = loadSp500(80);
    const bigModel = covarianceModel(big);
    const bigMarket = new Map([...marketData(big)].map(([k, v]) => [k, { ...v, averageDailyVolume: 1e15 }] as const));
    const names = big.tickers.filter((_, i) => i % 16 !== 3); // 75 of 80: the Schur-complement path
    const sigs = names.map((id, i) => netSignal("p1", id, 0.01 * Math.cos(i)));
    const op = sizePositions({
      covariance$: of(bigModel),
      market$: of(bigMarket),
      portfolio$: of(new Map([["p1", stateOf("p1", NAV)]])),
      ...unconstrained,
    });
    const out = runSync(op, [record(batchOf("p1", sigs), 1, "p1", ["m"])]).records[0]!.value;
    const w = new Map(out.proposals.map((p) => [p.instrumentId, p.targetWeight]));
    const at = (id: string) => big.tickers.indexOf(id);
    for (const s of sigs) {
      let lhs = 0;
      for (const t of sigs) lhs += big.covariance[at(s.instrumentId)]![at(t.instrumentId)]! * w.get(t.instrumentId)!;
      expect(lhs).toBeCloseTo(0.5 * annualizedSignalReturn(s), 8);
    }
  });

  it("sizes a signal set on part of a model (changing every batch) through the Schur complement as a fresh Cholesky would, with holdings hedged", () => {
    // 120-name model, 90 signals (|C| = 30: the complement route is chosen by cost) and a held
    // name outside the signal set; the first-order condition of the Kelly problem with the holdings
    // fixed is Σ_SS w_S = c·μ_S − Σ_SF w_F (checked against the model's covariance, i.e. a fresh
    // factorization would give the same w_S).
    const big = loadSp500(120);
    const bigModel = covarianceModel(big);
    const bigMarket = new Map([...marketData(big)].map(([k, v]) => [k, { ...v, averageDailyVolume: 1e15 }] as const));
    const at = (id: string) => big.tickers.indexOf(id);
    for (const shift of [0, 1, 2]) {
      const names = big.tickers.filter((_, i) => (i + shift) % 4 !== 0);
      const held = big.tickers.find((_, i) => (i + shift) % 4 === 0)!;
      const price = bigMarket.get(held)!.price;
      const wHeld = 0.02;
      const sigs = names.map((id, i) => netSignal("p1", id, 0.01 * Math.cos(i + shift)));
      const op = sizePositions({
        covariance$: of(bigModel),
        market$: of(bigMarket),
        portfolio$: of(new Map([["p1", stateOf("p1", NAV, { [held]: (wHeld * NAV) / price })]])),
        ...unconstrained,
      });
      const out = runSync(op, [record(batchOf("p1", sigs), 1, "p1", ["m"])]).records[0]!.value;
      const w = new Map(out.proposals.map((p) => [p.instrumentId, p.targetWeight]));
      for (const s of sigs) {
        const i = at(s.instrumentId);
        let lhs = big.covariance[i]![at(held)]! * wHeld;
        for (const t of sigs) lhs += big.covariance[i]![at(t.instrumentId)]! * w.get(t.instrumentId)!;
        expect(lhs).toBeCloseTo(0.5 * annualizedSignalReturn(s), 8);
      }
    }
  });

  it("gives byte-identical output whatever the caches hold (fresh model copy vs one warmed by other batches)", () => {
    const big = loadSp500(80);
    const bigMarket = marketData(big);
    const state = stateOf("p1", NAV, { [big.tickers[1]!]: 500 });
    const batchFor = (keep: (i: number) => boolean) =>
      batchOf(
        "p1",
        big.tickers.filter((_, i) => keep(i)).map((id, i) => netSignal("p1", id, 0.01 * Math.sin(i + 2))),
      );
    const target = batchFor((i) => i % 20 !== 7);
    const runOn = (batches: PortfolioBatch[]) => {
      const op = sizePositions({
        covariance$: of(covarianceModel(big)), // a new model object: its caches start empty
        market$: of(bigMarket),
        portfolio$: of(new Map([["p1", state]])),
      });
      const res = runSync(
        op,
        batches.map((b, k) => record(b, k + 1, "p1", [`m${k}`])),
      );
      return JSON.stringify(res.records.at(-1)!.value);
    };
    const cold = runOn([target]);
    const warmed = runOn([batchFor((i) => i % 3 === 0), target, batchFor((i) => i % 2 === 0), target]);
    expect(warmed).toBe(cold);
  });

  it("hedges fixed holdings: Σ_SS w_S + Σ_SF w_F = c·μ_S", () => {
    const sigs = [netSignal("p1", ids[0]!, 0.02), netSignal("p1", ids[1]!, 0.01)];
    const positions = { [ids[5]!]: 20_000, [ids[6]!]: -5_000 };
    const state = stateOf("p1", NAV, positions);
    const out = size(batchOf("p1", sigs), state, { ...unconstrained, kellyFraction: 0.5 });
    const wF = new Map(Object.entries(positions).map(([id, q]) => [id, (q * market.get(id)!.price) / NAV]));
    expect(out.holdings!.map((h) => h.instrumentId)).toEqual([ids[5], ids[6]].sort());
    for (const s of sigs) {
      let lhs = 0;
      for (const p of out.proposals) lhs += cov(s.instrumentId, p.instrumentId) * p.targetWeight;
      for (const [id, w] of wF) lhs += cov(s.instrumentId, id) * w;
      expect(lhs).toBeCloseTo(0.5 * annualizedSignalReturn(s), 9);
    }
  });

  it("sizes each name alone (c·μ/σ²) without correlation adjustment", () => {
    const sigs = [netSignal("p1", ids[2]!, 0.01), netSignal("p1", ids[3]!, -0.005)];
    const out = size(batchOf("p1", sigs), stateOf("p1", NAV), { ...unconstrained, correlationAdjustment: false });
    for (const p of out.proposals) {
      const s = sigs.find((x) => x.instrumentId === p.instrumentId)!;
      expect(p.targetWeight).toBeCloseTo((0.5 * annualizedSignalReturn(s)) / cov(s.instrumentId, s.instrumentId), 10);
    }
  });

  it("respects per-name caps and hits the leverage cap exactly when it binds", () => {
    const sigs = ids.slice(0, 10).map((id, i) => netSignal("p1", id, 0.03 * (i % 2 === 0 ? 1 : -1)));
    const out = size(batchOf("p1", sigs), stateOf("p1", NAV), {
      maxWeight: 0.2,
      maxGrossLeverage: 0.8,
      maxParticipation: 1e9,
    });
    let gross = 0;
    for (const p of out.proposals) {
      expect(Math.abs(p.targetWeight)).toBeLessThanOrEqual(0.2 + 1e-12);
      gross += Math.abs(p.targetWeight);
    }
    expect(gross).toBeCloseTo(0.8, 12);
    expect(out.proposals.every((p) => p.reasonCodes.includes("scaled-to-budget"))).toBe(true);
  });

  it("hits the volatility budget exactly when it binds, and never shorts when shorts are off", () => {
    const sigs = ids.slice(0, 8).map((id, i) => netSignal("p1", id, 0.02 - 0.005 * i));
    const out = size(batchOf("p1", sigs), stateOf("p1", NAV), {
      ...unconstrained,
      maxVolatility: 0.05,
      allowShort: false,
    });
    let v = 0;
    for (const p of out.proposals) {
      expect(p.targetWeight).toBeGreaterThanOrEqual(0);
      for (const q of out.proposals) v += p.targetWeight * q.targetWeight * cov(p.instrumentId, q.instrumentId);
    }
    expect(Math.sqrt(v)).toBeCloseTo(0.05, 12);
  });

  it("keeps each name's standalone risk |w_i|·σ_i within maxNameRisk, at the cap when it binds", () => {
    const sigs = ids.slice(0, 8).map((id, i) => netSignal("p1", id, 0.04 * (i % 2 ? -1 : 1)));
    const out = size(batchOf("p1", sigs), stateOf("p1", NAV), { ...unconstrained, maxNameRisk: 0.01 });
    let atCap = 0;
    for (const p of out.proposals) {
      const risk = Math.abs(p.targetWeight) * Math.sqrt(cov(p.instrumentId, p.instrumentId));
      expect(risk).toBeLessThanOrEqual(0.01 * (1 + 1e-12));
      if (Math.abs(risk - 0.01) < 1e-12) atCap++;
    }
    expect(atCap).toBeGreaterThan(0);
  });

  it("caps |trade| at maxParticipation × ADV, exactly when it binds", () => {
    const sigs = ids.slice(0, 6).map((id) => netSignal("p1", id, 0.05));
    const out = size(batchOf("p1", sigs), stateOf("p1", 5e10), { maxParticipation: 0.05, maxWeight: 0.3 }, market);
    let capped = 0;
    for (const p of out.proposals) {
      const cap = 0.05 * market.get(p.instrumentId)!.averageDailyVolume;
      expect(Math.abs(p.tradeQuantity)).toBeLessThanOrEqual(cap * (1 + 1e-12));
      if (p.reasonCodes.includes("liquidity-capped")) {
        capped++;
        expect(Math.abs(p.tradeQuantity)).toBeCloseTo(cap, 6);
        expect(p.targetWeight).toBeCloseTo(p.currentWeight + (p.tradeQuantity * p.price) / 5e10, 12);
      }
    }
    expect(capped).toBeGreaterThan(0);
  });

  it("lets a target intent override the signal, moved by participation, and flags the conflict", () => {
    const id = ids[4]!;
    const price = market.get(id)!.price;
    const state = stateOf("p1", NAV, { [id]: (0.05 * NAV) / price });
    const batch = batchOf(
      "p1",
      [netSignal("p1", id, 0.02, { sources: ["momo"] }), netSignal("p1", ids[0]!, 0.01)],
      [
        intent("p1", id, 0.01, { participation: 0.5, urgency: "high", eventId: "rb-2" }),
        intent("p1", id, 0.09, { participation: 1, urgency: "low", eventId: "rb-1" }),
      ],
    );
    const out = size(batch, state, unconstrained);
    const p = out.proposals.find((x) => x.instrumentId === id)!;
    expect(p.currentWeight).toBeCloseTo(0.05, 12);
    expect(p.targetWeight).toBeCloseTo(0.05 + 0.5 * (0.01 - 0.05), 12);
    expect(p.conflict).toBe(true);
    expect(p.conflictingSources).toEqual(["momo"]);
    expect(p.contributingSignalIds).toEqual(["rb-2", `sig-${id}`].sort());
    expect(p.urgency).toBe("high");
  });

  it("routes a batch without portfolio state to the rejected side output and forwards watermarks", () => {
    const op = sizePositions({ covariance$: of(model), market$: of(market), portfolio$: of(new Map()) });
    const input: StreamItem<PortfolioBatch>[] = [
      record(batchOf("p9", [netSignal("p9", ids[0]!, 0.01)]), 5, "p9", ["a", "b"]),
      watermark(10),
    ];
    const res = runSync(op, input);
    expect(res.records).toHaveLength(0);
    expect(res.sides).toHaveLength(1);
    expect(res.sides[0]!.tag).toBe("rejected");
    expect(res.sides[0]!.reason).toBe("missing-side-input:portfolio");
    expect(res.sides[0]!.record.ids).toEqual(["a", "b"]);
    expect(res.items[1]).toEqual(watermark(10));
  });

  it("is deterministic and keeps lineage (1:1)", () => {
    const sigs = ids.map((id, i) => netSignal("p1", id, 0.01 * Math.sin(i + 1)));
    const a = size(batchOf("p1", sigs), stateOf("p1", NAV, { [ids[3]!]: 1000 }));
    const b = size(batchOf("p1", sigs), stateOf("p1", NAV, { [ids[3]!]: 1000 }));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.proposals.map((p) => p.instrumentId)).toEqual([...ids].sort());
  });
});
