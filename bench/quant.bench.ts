/**
 * Portfolio math core: one solve of each optimizer at 50, 100 and 500 assets on real S&P 500
 * daily data (the n longest-listed names over their common history, Ledoit-Wolf covariance; the
 * intensity is printed per case), latency per solve. Baseline: the portfolio
 * variance w'Σw on the 500-asset matrix (one dense matrix-vector product), in the same run.
 * Every case checks that its solve ended "optimal" and throws otherwise, except for the solver's
 * 1 s wall-clock guard ("time-limit"), which a heavily shared machine can trip: those are counted
 * (`timeLimitHits`) and reported.
 *
 * Off the main thread: "minVariance (HiGHS) on a SolverPool worker" awaits the same solve on
 * lib/quant's worker-thread pool (structured-clone copy of Σ there, the result back) and reports the
 * main thread's event-loop utilization while it waits (`mainThreadBusy`: ~1 for any in-thread solve).
 */
import { sp500LedoitWolfUniverse, type Universe } from "../test/fixtures/quant-data.js";
import {
  efficientReturn,
  efficientRisk,
  initSolver,
  kelly,
  maxQuadraticUtility,
  maxSharpe,
  minVariance,
  type PortfolioResult,
  quadForm,
  riskParity,
  SolverPool,
} from "../lib/quant/index.js";
import type { BenchCase, BenchContext, BenchSuite } from "./harness/types.js";

const SIZES = [50, 100, 500] as const;
const universes = new Map<number, Universe>();

function universe(n: number): Universe {
  let u = universes.get(n);
  if (!u) {
    u = sp500LedoitWolfUniverse(n);
    universes.set(n, u);
  }
  return u;
}

const solvesPer = (n: number) => (n >= 500 ? 5 : n >= 100 ? 10 : 20);

type Optimizer = (u: Universe, ctx: { minVol: number; midReturn: number }) => PortfolioResult;

const optimizers: Record<string, Optimizer> = {
  minVariance: (u) => minVariance(u.cov, { upper: 0.1 }),
  maxSharpe: (u) => maxSharpe(u.mu, u.cov, { upper: 0.1 }),
  efficientReturn: (u, c) => efficientReturn(u.mu, u.cov, c.midReturn, { upper: 0.1 }),
  efficientRisk: (u, c) => efficientRisk(u.mu, u.cov, c.minVol * 1.3, { upper: 0.1 }),
  maxQuadraticUtility: (u) => maxQuadraticUtility(u.mu, u.cov, 10, { upper: 0.1 }),
  riskParity: (u) => riskParity(u.cov),
  kelly: (u) => kelly(u.mu, u.cov, { fraction: 0.5, upper: 0.1, maxLeverage: 1 }),
  "kelly long/short+leverage": (u) => kelly(u.mu, u.cov, { fraction: 0.5, lower: -0.05, upper: 0.1, maxLeverage: 1.5 }),
  "minVariance (HiGHS)": (u) => minVariance(u.cov, { upper: 0.1, solver: "highs" }),
};

function optimizerCase(name: string, n: number, solve: Optimizer): BenchCase {
  const k = solvesPer(n);
  let u: Universe;
  let ctx: { minVol: number; midReturn: number };
  let iterations = 0;
  let method = "";
  let limitHits = 0;
  return {
    name: `${name} n=${n}`,
    events: k,
    async setup() {
      await initSolver();
      u = universe(n);
      const mv = minVariance(u.cov, { upper: 0.1 });
      if (mv.status !== "optimal") throw new Error(`setup min variance: ${mv.message}`);
      const ret = u.mu.reduce((a, w, i) => a + w * mv.weights[i]!, 0);
      ctx = { minVol: mv.volatility, midReturn: (ret + Math.max(...u.mu)) / 2 };
    },
    run(bc: BenchContext) {
      for (let i = 0; i < k; i++) {
        const t0 = bc.monotonicNs();
        const r = solve(u, ctx);
        bc.recordLatencyNs(bc.monotonicNs() - t0);
        if (r.status === "time-limit") {
          limitHits++; // the 1 s wall-clock guard can trip on a heavily shared machine: counted, not fatal
          continue;
        }
        if (r.status !== "optimal") throw new Error(`${name} n=${n}: ${r.status} ${r.message}`);
        iterations = r.iterations;
        method = r.method;
      }
    },
    extra: () => ({ iterations, method, timeLimitHits: limitHits, shrinkage: u.shrinkage ?? 0 }),
  };
}

function poolCase(n: number): BenchCase {
  const k = solvesPer(n);
  let u: Universe;
  let pool: SolverPool | undefined;
  let busy = 0;
  let limitHits = 0;
  return {
    name: `minVariance (HiGHS) on a SolverPool worker n=${n}`,
    events: k,
    async setup() {
      u = universe(n);
      pool = new SolverPool();
      const first = await pool.optimize("minVariance", u.cov, { upper: 0.1, solver: "highs" }); // worker start-up
      if (first.status !== "optimal") throw new Error(`pool setup: ${first.status}`);
    },
    async run(bc: BenchContext) {
      const elu0 = performance.eventLoopUtilization();
      for (let i = 0; i < k; i++) {
        const t0 = bc.monotonicNs();
        const r = await pool!.optimize("minVariance", u.cov, { upper: 0.1, solver: "highs" });
        bc.recordLatencyNs(bc.monotonicNs() - t0);
        if (r.status === "time-limit") {
          limitHits++;
          continue;
        }
        if (r.status !== "optimal") throw new Error(`pool n=${n}: ${r.status} ${r.message}`);
      }
      busy = performance.eventLoopUtilization(elu0).utilization;
    },
    async teardown() {
      await pool?.close();
      pool = undefined;
    },
    extra: () => ({ mainThreadBusy: Math.round(busy * 1000) / 1000, timeLimitHits: limitHits }),
  };
}

const baselineEvents = 2000;
let baseW: number[] = [];
let baseCov: number[][] = [];
let sink = 0;

const suite: BenchSuite = {
  name: "quant",
  description: "one solve of each optimizer at 50/100/500 assets (S&P 500 daily, Ledoit-Wolf covariance)",
  warmups: 1,
  repetitions: 3,
  baseline: {
    name: "w'Σw n=500 (baseline)",
    events: baselineEvents,
    setup() {
      const u = universe(500);
      baseCov = u.cov;
      baseW = u.cov.map(() => 1 / 500);
    },
    run(bc: BenchContext) {
      for (let i = 0; i < baselineEvents; i++) {
        const t0 = bc.monotonicNs();
        sink += quadForm(baseCov, baseW);
        bc.recordLatencyNs(bc.monotonicNs() - t0);
      }
    },
    extra: () => ({ sink: sink > 0 ? 1 : 0 }),
  },
  cases: [
    ...SIZES.flatMap((n) => Object.entries(optimizers).map(([name, f]) => optimizerCase(name, n, f))),
    poolCase(100),
    poolCase(500),
  ],
};

export default suite;
