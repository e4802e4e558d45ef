/**
 * Portfolio operators: one portfolio batch through sizePositions → policyGate → riskGate →
 * resolveConflicts (the RxJS operators with their side inputs, as a topology wires them) at 50, 100
 * and 500 assets on real S&P 500 data (2013-2018 closes, volumes, sectors, countries; for 500 the
 * 470 full-history names plus the 30 most complete others, see the fixture), latency per batch.
 *
 * Every batch carries a signal on every asset (10 % of them conflicting, so the QP has n/10
 * variables), four target intents, holdings on a fifth of the universe, a policy with eligibility,
 * single-name, sector, country and turnover rules, and risk limits on volatility, VaR, ES, tracking
 * error and two stress scenarios. "warm" repeats the same signal set, so sizing's Cholesky factor of
 * Σ_SS comes from its cache; "cold" changes the set every batch (a fresh O(n³) factorization).
 * The conflict QP runs with the default solver ("auto": lib/quant's active-set box QP, HiGHS when a
 * linear row binds); two 500-asset cases force HiGHS and the dense ADMM for comparison. Baseline: a plain map over the 500 proposals (scale each trade), in the same run.
 *
 * Small batches (the full topology's regime, ~12 instruments per portfolio window): the first case
 * runs 12 signals out of a 48-name model through all seven portfolio operators (sizing, policy,
 * risk, resolve, then coordinate, portfolioStateUpdates and coordinationAnalytics on the resolved
 * batch) with the topology's default configuration; see {@link smallBatchCase}.
 */
import { of, type Observable, Subject, share } from "rxjs";
import { InvestmentPolicy } from "../lib/domain/policy.js";
import type { PortfolioState, ProposalBatch, TradeProposal } from "../lib/domain/portfolio.js";
import { RiskLimits } from "../lib/domain/risk-limits.js";
import type { NetSignal, PortfolioBatch, TargetIntent } from "../lib/domain/signals.js";
import { initSolver } from "../lib/quant/index.js";
import { record, type StreamItem } from "../lib/stream/item.js";
import type { StreamOperator } from "../lib/stream/operator.js";
import { coordinate } from "../operators/coordinate.js";
import { coordinationAnalytics } from "../operators/coordination-analytics.js";
import { policyGate } from "../operators/policy-gate.js";
import { portfolioStateUpdates } from "../operators/portfolio-state-updates.js";
import {
  covarianceModel,
  loadSp500,
  marketData,
  type Sp500Universe,
} from "../operators/portfolio-internal/fixtures/sp500.js";
import { resolveConflicts } from "../operators/resolve-conflicts.js";
import { riskGate } from "../operators/risk-gate.js";
import { sizePositions } from "../operators/size-positions.js";
import {
  defaultPolicy,
  defaultRiskLimits,
  PortfolioCoordinationConfig,
} from "../topologies/portfolio-coordination.config.js";
import { sizeCheckResolve } from "../topologies/portfolio-coordination.js";
import type { BenchCase, BenchContext, BenchSuite } from "./harness/types.js";

const SIZES = [50, 100, 500] as const;
/** The topology's default configuration (the small-batch case sizes and resolves with it). */
const defaults = PortfolioCoordinationConfig.parse({});
const DAY = 86_400_000;
const universes = new Map<number, Sp500Universe>();
const universe = (n: number) => {
  let u = universes.get(n);
  if (!u) {
    u = loadSp500(n);
    universes.set(n, u);
  }
  return u;
};

/** A net signal on asset `i` for window `b` (one minute each), with the given expected return. */
function netSignal(
  instrumentId: string,
  i: number,
  er: number,
  b: number,
  conflict: boolean,
  idPrefix: string,
): NetSignal {
  return {
    portfolioId: "p",
    instrumentId,
    windowStart: b * 60_000,
    windowEnd: (b + 1) * 60_000,
    direction: er >= 0 ? "long" : "short",
    score: Math.sign(er) * 0.6,
    strength: 0.6,
    confidence: 0.5 + 0.4 * Math.abs(Math.cos(i)),
    expectedReturn: er,
    horizonMs: (5 + (i % 20)) * DAY,
    urgency: i % 7 === 0 ? "high" : "normal",
    contributingSignalIds: [`${idPrefix}-a`, `${idPrefix}-b`],
    sources: conflict ? ["momentum", "value"] : ["momentum"],
    conflict,
    conflictingSources: conflict ? ["value"] : [],
  };
}

function inputs(u: Sp500Universe) {
  const ids = u.tickers;
  const n = ids.length;
  const market = marketData(u);
  const nav = 1e9;
  const positions: Record<string, number> = {};
  for (let i = 0; i < n; i += 5) positions[ids[i]!] = ((0.5 / (n / 5)) * nav) / u.prices[i]!;
  const state: PortfolioState = {
    portfolioId: "p",
    nav,
    cash: nav / 2,
    positions,
    benchmarkWeights: Object.fromEntries(ids.map((id) => [id, 1 / n])),
  };
  const policy = InvestmentPolicy.parse({
    policyId: "bench",
    allowedAssetClasses: { assetClasses: ["equity"], action: "reject" },
    restrictedList: { instruments: ids.filter((_, i) => i % 97 === 3), action: "reject" },
    esg: { excluded: ids.filter((_, i) => i % 89 === 7), minScore: 10, missingScore: "pass", action: "clip" },
    singleName: { maxWeight: 0.03, action: "clip" },
    sector: { maxWeight: 0.2, action: "clip" },
    country: { maxWeight: 0.9, action: "clip" },
    turnover: { maxTurnover: 0.3, action: "clip" },
  });
  const limits = RiskLimits.parse({
    limitsId: "bench",
    confidence: 0.99,
    horizonDays: 1,
    tradingDaysPerYear: 252,
    volatility: { max: 0.12, action: "clip" },
    valueAtRisk: { max: 0.02, action: "clip", method: "parametric" },
    expectedShortfall: { max: 0.025, action: "clip", method: "parametric" },
    trackingError: { max: 0.08, action: "clip" },
    stress: {
      maxLoss: 0.15,
      action: "clip",
      scenarios: [
        { name: "crash", shocks: Object.fromEntries(ids.map((id) => [id, -0.25])) },
        {
          name: "tech",
          shocks: Object.fromEntries(
            ids.filter((_, i) => u.sectors[i] === "Information Technology").map((id) => [id, -0.4]),
          ),
        },
      ],
    },
  });
  const signal = (i: number): NetSignal =>
    netSignal(ids[i]!, i, 0.01 * Math.sin(1.7 * i + 0.3), 0, i % 10 === 0, `s-${i}`);
  const targets: TargetIntent[] = [1, 2, 3, 4].map((k) => ({
    kind: "rebalance",
    portfolioId: "p",
    instrumentId: ids[k * 11]!,
    targetWeight: 0.01,
    urgency: "high",
    source: "rebalancer",
    eventId: `rb-${k}`,
    participation: 0.5,
  }));
  /** Batch k: all signals (warm) or all but one, rotating (cold). */
  const batch = (k: number, cold: boolean): PortfolioBatch => ({
    portfolioId: "p",
    windowStart: k * 60_000,
    windowEnd: (k + 1) * 60_000,
    signals: ids
      .map((_, i) => i)
      .filter((i) => !cold || i !== k % n)
      .map(signal),
    targets,
  });
  return { market, state, policy, limits, batch, model: covarianceModel(u) };
}

const inputsBySize = new Map<number, ReturnType<typeof inputs>>();

function pipelineCase(
  n: number,
  cold: boolean,
  stages: "all" | "sizing",
  solver: "auto" | "admm" | "highs" = "auto",
): BenchCase {
  const batches = n >= 500 ? 40 : 100;
  let main$: Subject<StreamItem<PortfolioBatch>>;
  let last: StreamItem<ProposalBatch> | undefined;
  let make: (k: number) => PortfolioBatch;
  let proposals = 0;
  let clipped = 0;
  let qpStatus = "";
  let k = 0;
  return {
    name: `${stages === "all" ? "size→policy→risk→resolve" : "sizePositions alone"} n=${n}${cold ? " cold" : " warm"}${solver === "auto" ? "" : ` (${solver} QP)`}`,
    events: batches,
    async setup() {
      await initSolver();
      // One model (and market, policy, limits) per universe size for every repetition, as a live
      // system keeps its covariance model across many batches: its caches (e.g. the precision
      // matrix, paid when the model arrives) do not turn into garbage in every timed run.
      let x = inputsBySize.get(n);
      if (x === undefined) {
        x = inputs(universe(n));
        inputsBySize.set(n, x);
      }
      make = (i) => x.batch(i, cold);
      const covariance$ = of(x.model);
      const market$ = of(x.market);
      const policy$ = of(new Map([["*", x.policy]]));
      const limits$ = of(new Map([["*", x.limits]]));
      const ops: StreamOperator<never, never>[] = [
        sizePositions({ covariance$, market$, portfolio$: of(new Map([["p", x.state]])), maxWeight: 0.05 }) as never,
      ];
      if (stages === "all") {
        ops.push(policyGate({ policy$, market$ }) as never);
        ops.push(riskGate({ limits$, covariance$, market$ }) as never);
        ops.push(resolveConflicts({ covariance$, market$, policy$, limits$, solver }) as never);
      }
      main$ = new Subject();
      let s$ = main$.asObservable() as never as ReturnType<StreamOperator<never, never>>;
      for (const op of ops) s$ = op(s$ as never);
      s$.subscribe((item) => {
        last = item as StreamItem<ProposalBatch>;
      });
    },
    run(bc: BenchContext) {
      for (let i = 0; i < batches; i++) {
        const b = make(k++);
        const t0 = bc.monotonicNs();
        main$.next(record(b, b.windowEnd, "p", [`w${k}`]));
        bc.recordLatencyNs(bc.monotonicNs() - t0);
        if (last?.kind !== "record") throw new Error(`no record out: ${JSON.stringify(last)}`);
      }
      const out = last!.kind === "record" ? last!.value : undefined;
      proposals = out?.proposals.length ?? 0;
      clipped = out?.proposals.filter((p) => p.checks.some((c) => c.action === "clip")).length ?? 0;
      qpStatus = out?.conflictResolution?.solverStatus ?? "-";
    },
    teardown() {
      main$.complete();
    },
    extra: () => ({ proposals, clipped, qp: qpStatus, shrinkage: universe(n).shrinkage }),
  };
}

/**
 * The topology's portfolio stage on small batches: a 48-name model (the bundled recording's
 * universe size), 12 signals per batch on a rotating subset (so the universe changes every batch),
 * holdings on a third of the names, the topology's default sizing (incl. the volatility budget),
 * policy, risk limits, costs and λ; the resolved batch fans out to coordinate, portfolioStateUpdates
 * and coordinationAnalytics as in the topology. Latency = one batch through all seven operators.
 */
function smallBatchCase(names: number, perBatch: number): BenchCase {
  const batches = 2000;
  let main$: Subject<StreamItem<PortfolioBatch>>;
  let make: (k: number) => PortfolioBatch;
  let outputs = 0;
  let decisions = 0;
  let k = 0;
  return {
    name: `full portfolio stage (size→…→resolve→coordinate/state/analytics) ${perBatch} of ${names} names`,
    events: batches,
    async setup() {
      await initSolver();
      const u = universe(names);
      const ids = u.tickers;
      const market = marketData(u);
      const nav = 1e8;
      const positions: Record<string, number> = {};
      for (let i = 0; i < ids.length; i += 3) positions[ids[i]!] = ((0.6 / (ids.length / 3)) * nav) / u.prices[i]!;
      const state: PortfolioState = { portfolioId: "p", nav, cash: 0.4 * nav, positions };
      const model = covarianceModel(u);
      make = (b) => {
        const signals: NetSignal[] = [];
        const chosen = new Set<number>();
        for (let j = 0; j < perBatch; j++) chosen.add((b * 7 + j * 5) % ids.length);
        for (const i of [...chosen].sort((x, y) => x - y)) {
          signals.push(netSignal(ids[i]!, i, 0.01 * Math.sin(1.3 * i + 0.7 * b), b, (i + b) % 6 === 0, `s-${b}-${i}`));
        }
        const targets: TargetIntent[] =
          b % 4 === 0
            ? [
                {
                  kind: "rebalance",
                  portfolioId: "p",
                  instrumentId: ids[(b * 11) % ids.length]!,
                  targetWeight: 0.02,
                  urgency: "high",
                  source: "rebalancer",
                  eventId: `rb-${b}`,
                  participation: 0.5,
                },
              ]
            : [];
        return { portfolioId: "p", windowStart: b * 60_000, windowEnd: (b + 1) * 60_000, signals, targets };
      };
      const covariance$ = of(model);
      const market$ = of(market);
      const policy$ = of(new Map([["*", defaultPolicy]]));
      const limits$ = of(new Map([["*", defaultRiskLimits]]));
      const topology = { name: "bench", version: "1", hash: "0123456789abcdef" };
      main$ = new Subject();
      const resolved$ = main$.pipe(
        sizeCheckResolve(defaults, {
          covariance$,
          market$,
          policy$,
          limits$,
          portfolio$: of(new Map([["p", state]])),
        }),
        share(),
      );
      const count = (o$: Observable<StreamItem<unknown>>, isDecision = false) =>
        o$.subscribe((item) => {
          if (item.kind === "record") {
            outputs++;
            if (isDecision) decisions++;
          }
        });
      count(coordinate({ topology })(resolved$), true);
      count(portfolioStateUpdates({ topology })(resolved$));
      count(coordinationAnalytics({ topology })(resolved$));
    },
    run(bc: BenchContext) {
      outputs = 0;
      decisions = 0;
      for (let i = 0; i < batches; i++) {
        const b = make(k++);
        const before = outputs;
        const t0 = bc.monotonicNs();
        main$.next(record(b, b.windowEnd, "p", [`w${k}`]));
        bc.recordLatencyNs(bc.monotonicNs() - t0);
        if (outputs - before < 2) throw new Error("no state update / analytics out");
      }
    },
    teardown() {
      main$.complete();
    },
    extra: () => ({ decisionsPerBatch: Math.round((100 * decisions) / batches) / 100 }),
  };
}

const BASE_N = 500;
let baseProposals: TradeProposal[] = [];
let sink = 0;

const suite: BenchSuite = {
  name: "portfolio",
  description: "one portfolio batch through sizing, policy gate, risk gate and conflict resolution (S&P 500 data)",
  warmups: 1,
  repetitions: 3,
  baseline: {
    name: `plain map over ${BASE_N} proposals`,
    events: 2000,
    setup() {
      const u = universe(BASE_N);
      baseProposals = u.tickers.map((id, i) => ({
        portfolioId: "p",
        instrumentId: id,
        price: u.prices[i]!,
        currentQuantity: 0,
        currentWeight: 0,
        targetWeight: 0.001,
        targetQuantity: 1e6 / u.prices[i]!,
        tradeQuantity: 1e6 / u.prices[i]!,
        notional: 1e6,
        expectedReturn: 0.01,
        confidence: 0.5,
        urgency: "normal",
        horizonMs: DAY,
        contributingSignalIds: [],
        sources: [],
        conflict: false,
        conflictingSources: [],
        checks: [],
        reasonCodes: [],
        rejected: false,
      }));
    },
    run(bc: BenchContext) {
      for (let i = 0; i < 2000; i++) {
        const t0 = bc.monotonicNs();
        const out = baseProposals.map((p) => ({
          ...p,
          tradeQuantity: p.tradeQuantity * 0.5,
          notional: p.notional * 0.5,
        }));
        sink += out.length;
        bc.recordLatencyNs(bc.monotonicNs() - t0);
      }
    },
    extra: () => ({ sink: sink > 0 ? 1 : 0 }),
  },
  cases: [
    smallBatchCase(48, 12),
    ...SIZES.flatMap((n) => [
      pipelineCase(n, false, "sizing"),
      pipelineCase(n, false, "all"),
      pipelineCase(n, true, "all"),
      ...(n === 500 ? [pipelineCase(n, false, "all", "highs"), pipelineCase(n, false, "all", "admm")] : []),
    ]),
  ],
};

export default suite;
