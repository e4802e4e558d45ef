import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sp500Universe } from "../../../test/fixtures/quant-data.js";
import { minVariance } from "./min-variance.js";
import { initSolver, type QPProblem, solveQP } from "./qp-solver.js";
import { closeSharedSolverPool, SolverPool, solveQPAsync } from "./solver-pool.js";

// Daily covariances of real S&P 500 names (entries ~1e-4: the badly scaled case the rescaling is for).
const u = sp500Universe(120);
const n = u.tickers.length;

/** Long-only minimum variance with a 5 % cap and a sector-like group cap on the first third. */
function problem(universe = u): QPProblem {
  const n = universe.tickers.length;
  return {
    P: universe.cov,
    q: new Array(n).fill(0),
    lower: 0,
    upper: 0.05,
    constraints: [
      { coefficients: new Array(n).fill(1), lower: 1, upper: 1 },
      { coefficients: Array.from({ length: n }, (_, i) => (i < n / 3 ? 1 : 0)), upper: 0.25 },
    ],
    iterationLimit: 50_000,
    timeLimit: 10,
  };
}

const pool = new SolverPool({ size: 2 });

beforeAll(async () => {
  await initSolver();
});

afterAll(async () => {
  await pool.close();
  await closeSharedSolverPool();
});

describe("SolverPool (HiGHS on worker threads)", () => {
  it("returns exactly the in-thread solution, which satisfies the KKT conditions", async () => {
    const p = problem();
    const inThread = solveQP(p);
    const offThread = await pool.solve(p);
    expect(inThread.status).toBe("optimal");
    expect(offThread).toEqual(inThread);
    // KKT: Px + q = A'y + z (documented dual convention), primal feasibility, complementary slackness.
    const x = offThread.x;
    const A = p.constraints!.map((c) => c.coefficients!);
    let scale = 0;
    for (let i = 0; i < n; i++) {
      let g = 0;
      for (let j = 0; j < n; j++) g += u.cov[i]![j]! * x[j]!;
      scale = Math.max(scale, Math.abs(g));
      let r = g;
      for (let k = 0; k < A.length; k++) r -= A[k]![i]! * offThread.rowDuals[k]!;
      r -= offThread.colDuals[i]!;
      expect(Math.abs(r)).toBeLessThan(1e-7 * Math.max(scale, 1e-6));
      expect(x[i]!).toBeGreaterThanOrEqual(-1e-9);
      expect(x[i]!).toBeLessThanOrEqual(0.05 + 1e-9);
      if (x[i]! > 1e-7 && x[i]! < 0.05 - 1e-7)
        expect(Math.abs(offThread.colDuals[i]!)).toBeLessThan(1e-7 * scale + 1e-12);
    }
    const sum = x.reduce((s, v) => s + v, 0);
    expect(sum).toBeCloseTo(1, 8);
    expect(x.slice(0, Math.ceil(n / 3)).reduce((s, v) => s + v, 0)).toBeLessThanOrEqual(0.25 + 1e-8);
  });

  it("keeps the event loop running while a solve is in flight", async () => {
    // A solve long enough (tens of ms) that the worker cannot answer before the main thread's first
    // loop turn even when the machine is loaded: with 120 names it once answered first (turns 0).
    const large = problem(sp500Universe(400));
    let turns = 0;
    let done = false;
    const spin = () => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const res = await pool.solve(large);
    done = true;
    expect(res.status).toBe("optimal");
    expect(turns).toBeGreaterThan(0);
  });

  it("runs lib/quant optimizers by name with the in-thread result", async () => {
    const opts = { upper: 0.05 };
    const off = await pool.optimize("minVariance", u.cov, opts);
    expect(off).toEqual(minVariance(u.cov, opts));
    expect(off.status).toBe("optimal");
  });

  it("answers concurrent solves, each with its own problem's solution", async () => {
    const caps = [0.04, 0.05, 0.06, 0.08];
    const probs = caps.map((c) => ({ ...problem(), upper: c }));
    const results = await Promise.all(probs.map((p) => pool.solve(p)));
    results.forEach((r, k) => {
      expect(r).toEqual(solveQP(probs[k]!));
    });
  });

  it("stops a solve that does not answer in time (worker terminated) and recovers for the next one", async () => {
    const small = new SolverPool();
    try {
      const stuck = await small.solve(problem(), { watchdogMs: 1 });
      expect(stuck.status).toBe("time-limit");
      expect(stuck.x).toEqual([]);
      const next = await small.solve(problem());
      expect(next.status).toBe("optimal");
    } finally {
      await small.close();
    }
  });

  it("solveQPAsync uses a shared pool; a closed pool answers with status error, never a rejection", async () => {
    expect((await solveQPAsync(problem())).status).toBe("optimal");
    const closed = new SolverPool();
    await closed.close();
    expect((await closed.solve(problem())).status).toBe("error");
  });
});
