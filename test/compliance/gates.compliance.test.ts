/**
 * Compliance as a property: for generated portfolios, investment policies, risk limits and signal
 * batches, no decision that leaves `policyGate` and `riskGate` (and then `resolveConflicts`)
 * violates an active limit. Every limit is recomputed here from first principles — weights from
 * share quantities and prices, Σ straight from the sample covariance of the real returns, the normal
 * quantile by bisection on a Simpson-integrated density — independently of the gates' code.
 *
 * "Violates" follows the gates' documented contract: a post-trade value above its limit is a
 * violation unless it is no higher than the value before the trades (a pre-existing breach may be
 * reduced, never created or made worse); rejected proposals must not trade; an instrument failing an
 * eligibility rule may only reduce its position (clip) or not trade at all (reject).
 */
import fc from "fast-check";
import { of } from "rxjs";
import { beforeAll, describe, expect, it } from "vitest";
import { type InvestmentPolicy, InvestmentPolicy as PolicySchema } from "../../lib/domain/policy.js";
import type { InstrumentInfo, PortfolioState, ProposalBatch } from "../../lib/domain/portfolio.js";
import { type RiskLimits, RiskLimits as LimitsSchema } from "../../lib/domain/risk-limits.js";
import type { NetSignal, PortfolioBatch, TargetIntent } from "../../lib/domain/signals.js";
import { initSolver } from "../../lib/quant/index.js";
import { record, type StreamItem } from "../../lib/stream/item.js";
import { policyGate } from "../../operators/policy-gate.js";
import { covarianceModel, loadSp500, marketData } from "../../operators/portfolio-internal/fixtures/sp500.js";
import { resolveConflicts } from "../../operators/resolve-conflicts.js";
import { riskGate } from "../../operators/risk-gate.js";
import { sizePositions } from "../../operators/size-positions.js";
import type { StreamOperator } from "../../lib/stream/operator.js";
import { from } from "rxjs";

const u = loadSp500(30);
const ids = u.tickers;
const N = ids.length;
const model = covarianceModel(u);
const baseMarket = marketData(u);
const DAY = 86_400_000;

/** Φ⁻¹(p) by bisection on Φ(x) = 1/2 + ∫₀ˣ φ (composite Simpson, 4000 intervals). */
function zOf(p: number): number {
  const cdf = (x: number) => {
    const m = 4000;
    const h = x / m;
    let s = 0;
    for (let i = 0; i <= m; i++) s += (i === 0 || i === m ? 1 : i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2) / 2);
    return 0.5 + (s * h) / 3 / Math.sqrt(2 * Math.PI);
  };
  let lo = 0;
  let hi = 8;
  for (let k = 0; k < 70; k++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
const CONFIDENCES = [0.95, 0.975, 0.99] as const;
const Z = new Map(CONFIDENCES.map((c) => [c, zOf(c)]));

// ---------- generators ----------
const subset = fc.subarray([...ids], { maxLength: 6 });
const action = fc.constantFrom("clip" as const, "reject" as const);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

const policyArb: fc.Arbitrary<InvestmentPolicy> = fc
  .record({
    allowed: opt(fc.record({ instruments: fc.subarray([...ids], { minLength: 20 }), action })),
    classes: opt(fc.record({ assetClasses: fc.constantFrom(["equity"], ["bond"], ["equity", "bond"]), action })),
    restricted: opt(fc.record({ instruments: subset, action })),
    esg: opt(
      fc.record({
        excluded: subset,
        minScore: opt(fc.integer({ min: 0, max: 60 })),
        missingScore: fc.constantFrom("pass" as const, "fail" as const),
        action,
      }),
    ),
    single: opt(fc.record({ maxWeight: fc.double({ min: 0.01, max: 0.2, noNaN: true }), action })),
    sector: opt(fc.record({ maxWeight: fc.double({ min: 0.03, max: 0.5, noNaN: true }), action })),
    country: opt(fc.record({ maxWeight: fc.double({ min: 0.1, max: 1.5, noNaN: true }), action })),
    turnover: opt(fc.record({ maxTurnover: fc.double({ min: 0.005, max: 1, noNaN: true }), action })),
  })
  .map((r) =>
    PolicySchema.parse({
      policyId: "gen",
      ...(r.allowed ? { allowedInstruments: r.allowed } : {}),
      ...(r.classes ? { allowedAssetClasses: r.classes } : {}),
      ...(r.restricted ? { restrictedList: r.restricted } : {}),
      ...(r.esg
        ? {
            esg: {
              excluded: r.esg.excluded,
              missingScore: r.esg.missingScore,
              action: r.esg.action,
              ...(r.esg.minScore !== undefined ? { minScore: r.esg.minScore } : {}),
            },
          }
        : {}),
      ...(r.single ? { singleName: r.single } : {}),
      ...(r.sector ? { sector: r.sector } : {}),
      ...(r.country ? { country: r.country } : {}),
      ...(r.turnover ? { turnover: r.turnover } : {}),
    }),
  );

const shockArb = fc.dictionary(fc.constantFrom(...ids), fc.double({ min: -0.6, max: 0.3, noNaN: true }), {
  maxKeys: 12,
});
const limitsArb: fc.Arbitrary<RiskLimits> = fc
  .record({
    confidence: fc.constantFrom(...CONFIDENCES),
    horizonDays: fc.constantFrom(1, 5, 10),
    vol: opt(fc.record({ max: fc.double({ min: 0.01, max: 0.3, noNaN: true }), action })),
    var: opt(fc.record({ max: fc.double({ min: 0.002, max: 0.08, noNaN: true }), action })),
    es: opt(fc.record({ max: fc.double({ min: 0.002, max: 0.1, noNaN: true }), action })),
    te: opt(fc.record({ max: fc.double({ min: 0.01, max: 0.3, noNaN: true }), action })),
    stress: opt(
      fc.record({
        maxLoss: fc.double({ min: 0.005, max: 0.3, noNaN: true }),
        action,
        scenarios: fc.array(fc.record({ name: fc.constantFrom("a", "b", "c"), shocks: shockArb }), {
          minLength: 1,
          maxLength: 3,
        }),
      }),
    ),
  })
  .map((r) =>
    LimitsSchema.parse({
      limitsId: "gen",
      confidence: r.confidence,
      horizonDays: r.horizonDays,
      tradingDaysPerYear: 252,
      ...(r.vol ? { volatility: r.vol } : {}),
      ...(r.var ? { valueAtRisk: { ...r.var, method: "parametric" } } : {}),
      ...(r.es ? { expectedShortfall: { ...r.es, method: "parametric" } } : {}),
      ...(r.te ? { trackingError: r.te } : {}),
      ...(r.stress ? { stress: r.stress } : {}),
    }),
  );

const weightArb = fc.double({ min: -0.12, max: 0.15, noNaN: true });
const scenarioArb = fc.record({
  nav: fc.double({ min: 1e6, max: 1e9, noNaN: true }),
  holdings: fc.dictionary(fc.constantFrom(...ids), weightArb, { maxKeys: 12 }),
  bench: opt(fc.dictionary(fc.constantFrom(...ids), fc.double({ min: 0, max: 0.1, noNaN: true }), { maxKeys: 15 })),
  bonds: subset,
  noEsg: subset,
  signals: fc.dictionary(
    fc.constantFrom(...ids),
    fc.record({
      er: fc.double({ min: -0.05, max: 0.05, noNaN: true }),
      confidence: fc.double({ min: 0.05, max: 1, noNaN: true }),
      horizonDays: fc.integer({ min: 1, max: 60 }),
      conflict: fc.boolean(),
    }),
    { minKeys: 1, maxKeys: 20 },
  ),
  intents: fc.dictionary(
    fc.constantFrom(...ids),
    fc.record({ target: weightArb, participation: fc.double({ min: 0, max: 1, noNaN: true }) }),
    { maxKeys: 4 },
  ),
  sizing: fc.record({
    kellyFraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
    maxWeight: fc.double({ min: 0.01, max: 0.3, noNaN: true }),
    maxGrossLeverage: fc.double({ min: 0.2, max: 2, noNaN: true }),
    maxParticipation: fc.double({ min: 0.001, max: 0.5, noNaN: true }),
  }),
  policy: policyArb,
  limits: limitsArb,
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

// ---------- running the operators ----------
function run<I, O>(op: StreamOperator<I, O>, items: readonly StreamItem<I>[]): StreamItem<O>[] {
  const out: StreamItem<O>[] = [];
  let error: unknown;
  from(items)
    .pipe(op)
    .subscribe({ next: (i) => out.push(i), error: (e: unknown) => (error = e) });
  if (error !== undefined) throw error;
  return out;
}

function setup(s: Scenario) {
  const market = new Map<string, InstrumentInfo>();
  for (const [id, info] of baseMarket) {
    const { esgScore, ...rest } = info;
    market.set(id, {
      ...rest,
      assetClass: s.bonds.includes(id) ? "bond" : "equity",
      ...(s.noEsg.includes(id) ? {} : { esgScore: esgScore! }),
    });
  }
  const positions: Record<string, number> = {};
  for (const [id, w] of Object.entries(s.holdings)) positions[id] = (w * s.nav) / market.get(id)!.price;
  const state: PortfolioState = {
    portfolioId: "p",
    nav: s.nav,
    cash: s.nav,
    positions,
    ...(s.bench ? { benchmarkWeights: s.bench } : {}),
  };
  const signals: NetSignal[] = Object.entries(s.signals).map(([id, g], k) => ({
    portfolioId: "p",
    instrumentId: id,
    windowStart: 0,
    windowEnd: 1000,
    direction: g.er > 0 ? "long" : g.er < 0 ? "short" : "flat",
    score: Math.sign(g.er) * 0.5,
    strength: 0.5,
    confidence: g.confidence,
    expectedReturn: g.er,
    horizonMs: g.horizonDays * DAY,
    urgency: "normal",
    contributingSignalIds: [`s${k}`],
    sources: g.conflict ? ["x", "y"] : ["x"],
    conflict: g.conflict,
    conflictingSources: g.conflict ? ["y"] : [],
  }));
  const targets: TargetIntent[] = Object.entries(s.intents).map(([id, t]) => ({
    kind: "rebalance",
    portfolioId: "p",
    instrumentId: id,
    targetWeight: t.target,
    urgency: "high",
    source: "rb",
    eventId: `rb-${id}`,
    participation: t.participation,
  }));
  const batch: PortfolioBatch = { portfolioId: "p", windowStart: 0, windowEnd: 1000, signals, targets };
  return { market, state, batch };
}

function gated(s: Scenario, withResolver: boolean): { out: ProposalBatch; market: Map<string, InstrumentInfo> } {
  const { market, state, batch } = setup(s);
  const market$ = of(market);
  const covariance$ = of(model);
  const policy$ = of(new Map([["p", s.policy]]));
  const limits$ = of(new Map([["p", s.limits]]));
  let items: StreamItem<ProposalBatch>[] = run(
    sizePositions({ covariance$, market$, portfolio$: of(new Map([["p", state]])), ...s.sizing }),
    [record(batch, 1000, "p", ["in-1", "in-2"])],
  );
  items = run(policyGate({ policy$, market$ }), items);
  items = run(riskGate({ limits$, covariance$, market$ }), items);
  if (withResolver) items = run(resolveConflicts({ covariance$, market$, policy$, limits$ }), items);
  expect(items).toHaveLength(1);
  const rec = items[0]!;
  if (rec.kind !== "record") throw new Error(`unexpected ${rec.kind}`);
  expect(rec.ids).toEqual(["in-1", "in-2"]);
  return { out: rec.value, market };
}

// ---------- the independent checker ----------
const TOL = 1e-9;
function within(after: number, limit: number, before: number, what: string) {
  const bound = Math.max(limit, before);
  if (!(after <= bound + TOL * Math.max(1, Math.abs(bound)))) {
    throw new Error(`${what}: after=${after} > max(limit=${limit}, before=${before})`);
  }
}

function checkCompliance(s: Scenario, out: ProposalBatch, market: Map<string, InstrumentInfo>) {
  const nav = s.nav;
  const pre = new Map<string, number>();
  const post = new Map<string, number>();
  for (const [id, w] of Object.entries(s.holdings)) {
    const q = (w * nav) / market.get(id)!.price;
    pre.set(id, (q * market.get(id)!.price) / nav);
  }
  for (const [id, w] of pre) post.set(id, w);
  let turnover = 0;
  for (const p of out.proposals) {
    const price = market.get(p.instrumentId)!.price;
    const trade = (p.tradeQuantity * price) / nav;
    turnover += Math.abs(trade);
    post.set(p.instrumentId, (pre.get(p.instrumentId) ?? 0) + trade);
    if (p.rejected && p.tradeQuantity !== 0) throw new Error(`rejected ${p.instrumentId} trades`);
  }
  const pol = s.policy;
  // Eligibility.
  for (const p of out.proposals) {
    const id = p.instrumentId;
    const info = market.get(id)!;
    const b = pre.get(id) ?? 0;
    const a = post.get(id)!;
    const fails: ("clip" | "reject")[] = [];
    if (pol.allowedInstruments && !pol.allowedInstruments.instruments.includes(id))
      fails.push(pol.allowedInstruments.action);
    if (pol.allowedAssetClasses && !pol.allowedAssetClasses.assetClasses.includes(info.assetClass!))
      fails.push(pol.allowedAssetClasses.action);
    if (pol.restrictedList?.instruments.includes(id)) fails.push(pol.restrictedList.action);
    if (pol.esg?.excluded.includes(id)) fails.push(pol.esg.action);
    if (pol.esg?.minScore !== undefined) {
      const bad = info.esgScore === undefined ? pol.esg.missingScore === "fail" : info.esgScore < pol.esg.minScore;
      if (bad) fails.push(pol.esg.action);
    }
    if (fails.includes("reject") && Math.abs(p.tradeQuantity) > 0) throw new Error(`ineligible ${id} traded`);
    if (fails.length > 0) {
      const lo = Math.min(0, b);
      const hi = Math.max(0, b);
      if (a < lo - 1e-12 || a > hi + 1e-12) throw new Error(`ineligible ${id} gained exposure: ${b} -> ${a}`);
    }
  }
  if (pol.turnover) within(turnover, pol.turnover.maxTurnover, 0, "turnover");
  if (pol.singleName)
    for (const p of out.proposals)
      within(
        Math.abs(post.get(p.instrumentId)!),
        pol.singleName.maxWeight,
        Math.abs(pre.get(p.instrumentId) ?? 0),
        `single ${p.instrumentId}`,
      );
  const groupCheck = (
    cfg: InvestmentPolicy["sector"],
    key: (i: InstrumentInfo) => string | undefined,
    what: string,
  ) => {
    if (!cfg) return;
    const groups = new Set([...post.keys()].map((id) => key(market.get(id)!)).filter((g) => g));
    for (const g of groups) {
      const gross = (w: Map<string, number>) =>
        [...w].filter(([id]) => key(market.get(id)!) === g).reduce((x, [, v]) => x + Math.abs(v), 0);
      within(gross(post), cfg.overrides?.[g!] ?? cfg.maxWeight, gross(pre), `${what} ${g}`);
    }
  };
  groupCheck(pol.sector, (i) => i.sector, "sector");
  groupCheck(pol.country, (i) => i.country, "country");

  // Risk.
  const L = s.limits;
  const quad = (w: Map<string, number>, b?: Record<string, number>) => {
    const v = new Array<number>(N).fill(0);
    for (const [id, x] of w) v[ids.indexOf(id)]! += x;
    if (b) for (const [id, x] of Object.entries(b)) v[ids.indexOf(id)]! -= x;
    let q = 0;
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) q += v[i]! * v[j]! * u.covariance[i]![j]!;
    return Math.sqrt(Math.max(0, q));
  };
  const vol0 = quad(pre);
  const vol1 = quad(post);
  const h = Math.sqrt(L.horizonDays / 252);
  const z = Z.get(L.confidence as (typeof CONFIDENCES)[number])!;
  const esK = Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI) / (1 - L.confidence);
  const rel = 1e-7; // the gates' normal quantile is an approximation (relative error ~1e-9)
  const withinRel = (a: number, limit: number, b: number, what: string) =>
    within(a, limit * (1 + rel), b * (1 + rel), what);
  if (L.volatility) withinRel(vol1, L.volatility.max, vol0, "volatility");
  if (L.valueAtRisk) withinRel(z * h * vol1, L.valueAtRisk.max, z * h * vol0, "VaR");
  if (L.expectedShortfall) withinRel(esK * h * vol1, L.expectedShortfall.max, esK * h * vol0, "ES");
  if (L.trackingError) withinRel(quad(post, s.bench), L.trackingError.max, quad(pre, s.bench), "tracking error");
  if (L.stress) {
    const worst = (w: Map<string, number>) =>
      Math.max(...L.stress!.scenarios.map((sc) => -[...w].reduce((x, [id, v]) => x + (sc.shocks[id] ?? 0) * v, 0)));
    within(worst(post), L.stress.maxLoss, worst(pre), "stress loss");
  }
}

describe("compliance of gated decisions", () => {
  beforeAll(async () => {
    await initSolver();
  });

  it("no decision leaving policyGate and riskGate violates an active limit", () => {
    let trading = 0;
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { out, market } = gated(s, false);
        checkCompliance(s, out, market);
        if (out.proposals.some((p) => p.tradeQuantity !== 0)) trading++;
      }),
      { numRuns: 1000 },
    );
    // The property is not vacuous: most generated batches still trade after the gates.
    expect(trading).toBeGreaterThan(300);
  });

  it("conflict resolution after the gates keeps every limit", () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { out, market } = gated(s, true);
        checkCompliance(s, out, market);
        expect(out.conflictResolution).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });
});
