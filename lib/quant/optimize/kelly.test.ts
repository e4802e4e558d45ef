import { beforeAll, describe, expect, it } from "vitest";
import { sp500Universe, subset, usEquities10 } from "../../../test/fixtures/quant-data.js";
import { checkKkt } from "../../../test/fixtures/quant-kkt.js";
import { cholesky, choleskySolve, dot, quadForm } from "../linalg.js";
import { kelly } from "./kelly.js";
import { initSolver } from "./qp-solver.js";

beforeAll(async () => {
  await initSolver();
});

const free = { lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY };

describe("kelly", () => {
  const u = usEquities10();
  const r = 0.00005;

  it("unconstrained: f = Σ⁻¹(μ − r), scaled by the fraction", () => {
    const f = choleskySolve(
      cholesky(u.cov)!,
      u.mu.map((m) => m - r),
    );
    const full = kelly(u.mu, u.cov, { ...free, riskFreeRate: r });
    const half = kelly(u.mu, u.cov, { ...free, riskFreeRate: r, fraction: 0.5 });
    expect(full.status === "optimal" && half.status === "optimal").toBe(true);
    if (full.status !== "optimal" || half.status !== "optimal") return;
    f.forEach((v, i) => {
      expect(full.weights[i]).toBeCloseTo(v, 9);
      expect(half.weights[i]).toBeCloseTo(v / 2, 9);
    });
    // objective is the growth rate r + (μ − r)'f − ½f'Σf
    expect(full.objective).toBeCloseTo(
      r + dot(u.mu, f) - r * f.reduce((a, b) => a + b, 0) - 0.5 * quadForm(u.cov, f),
      12,
    );
  });

  it.each(["auto", "highs"] as const)(
    "default long-only box [0, 1], no budget: KKT of the fractional-Kelly QP (solver %s)",
    (solver) => {
      const s = sp500Universe(50);
      const fraction = 0.5;
      const res = kelly(s.mu, s.cov, { fraction, solver, timeLimit: 30 });
      expect(res.status).toBe("optimal");
      if (res.status !== "optimal") return;
      const kkt = checkKkt(
        {
          Q: s.cov.map((row) => row.map((v) => v / fraction)),
          c: s.mu.map((m) => -m),
          lower: new Array(50).fill(0),
          upper: new Array(50).fill(1),
          rows: [],
        },
        res.weights,
      );
      expect(kkt.primal).toBeLessThan(1e-7);
      expect(kkt.stationarity).toBeLessThan(1e-5);
      expect(kkt.dualSign).toBeLessThan(1e-5);
    },
  );

  it("leverage cap with shorts allowed: Σ|f| ≤ L, and no grid point on 2 assets does better", () => {
    const s = subset(sp500Universe(30), [5, 21]);
    const L = 1.5;
    const res = kelly(s.mu, s.cov, { lower: -2, upper: 2, maxLeverage: L });
    expect(res.status).toBe("optimal");
    if (res.status !== "optimal") return;
    expect(Math.abs(res.weights[0]!) + Math.abs(res.weights[1]!)).toBeLessThanOrEqual(L + 1e-7);
    const g = (f: number[]) => dot(s.mu, f) - 0.5 * quadForm(s.cov, f);
    let best = Number.NEGATIVE_INFINITY;
    const steps = 600;
    for (let i = -steps; i <= steps; i++) {
      for (let j = -steps; j <= steps; j++) {
        const f = [(i / steps) * L, (j / steps) * L];
        if (Math.abs(f[0]!) + Math.abs(f[1]!) <= L) best = Math.max(best, g(f));
      }
    }
    expect(res.objective).toBeGreaterThanOrEqual(best - 1e-12);
    // and the cap binds here: the unconstrained Kelly bet is far larger
    const unc = kelly(s.mu, s.cov, free);
    if (unc.status !== "optimal") throw new Error("unconstrained failed");
    expect(Math.abs(unc.weights[0]!) + Math.abs(unc.weights[1]!)).toBeGreaterThan(L);
  });

  it("long-only leverage cap: active-set (re-solve at Σf = L) and HiGHS (a sum row) agree", () => {
    const s = sp500Universe(40);
    const fast = kelly(s.mu, s.cov, { maxLeverage: 1 });
    const ref = kelly(s.mu, s.cov, { maxLeverage: 1, solver: "highs", timeLimit: 30 });
    expect(fast.status === "optimal" && fast.method).toBe("active-set");
    expect(ref.status === "optimal" && ref.method).toBe("highs");
    if (fast.status !== "optimal" || ref.status !== "optimal") return;
    expect(fast.weights.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-9);
    fast.weights.forEach((w, i) => {
      expect(Math.abs(w - ref.weights[i]!)).toBeLessThan(1e-6);
    });
    expect(fast.objective).toBeGreaterThanOrEqual(ref.objective - 1e-12);
    // a cap that does not bind: same answer as without it
    const slack = kelly(s.mu, s.cov, { maxLeverage: 1000, upper: 0.2 });
    const none = kelly(s.mu, s.cov, { upper: 0.2, solver: "highs", timeLimit: 30 });
    expect(slack.status === "optimal" && none.status === "optimal").toBe(true);
    if (slack.status !== "optimal" || none.status !== "optimal") return;
    expect(slack.weights.reduce((a, b) => a + b, 0)).toBeGreaterThan(1); // more than fully invested
    slack.weights.forEach((w, i) => {
      expect(Math.abs(w - none.weights[i]!)).toBeLessThan(1e-6);
    });
    // reachable but slack (Σf = L feasible, its multiplier says "not binding")
    const total = none.weights.reduce((a, b) => a + b, 0);
    expect(total + 0.5).toBeLessThan(40 * 0.2);
    const reachable = kelly(s.mu, s.cov, { maxLeverage: total + 0.5, upper: 0.2 });
    expect(reachable.status).toBe("optimal");
    if (reachable.status !== "optimal") return;
    reachable.weights.forEach((w, i) => {
      expect(Math.abs(w - none.weights[i]!)).toBeLessThan(1e-6);
    });
  });

  it("statuses for bad input", () => {
    expect(kelly(u.mu, u.cov, { fraction: 0 }).status).toBe("error");
    expect(kelly(u.mu, u.cov, { maxLeverage: -1 }).status).toBe("error");
    expect(kelly(u.mu, u.cov, { lower: 0.2, budget: 1 }).status).toBe("infeasible");
  });
});
