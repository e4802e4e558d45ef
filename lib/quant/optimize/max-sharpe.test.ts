import { beforeAll, describe, expect, it } from "vitest";
import { sp500Universe, subset, usEquities10 } from "../../../test/fixtures/quant-data.js";
import { checkKkt } from "../../../test/fixtures/quant-kkt.js";
import { cholesky, choleskySolve, dot, quadForm } from "../linalg.js";
import { maxSharpe } from "./max-sharpe.js";
import { initSolver } from "./qp-solver.js";

beforeAll(async () => {
  await initSolver();
});

const sharpe = (mu: number[], cov: number[][], w: number[], rf = 0) =>
  (dot(mu, w) - rf * w.reduce((a, b) => a + b, 0)) / Math.sqrt(quadForm(cov, w));

describe("maxSharpe", () => {
  it.each(["auto", "highs"] as const)(
    "unconstrained: w ∝ Σ⁻¹(μ − rf), normalized to the budget (solver %s)",
    (solver) => {
      const u = usEquities10();
      const rf = 0.0001;
      const x = choleskySolve(
        cholesky(u.cov)!,
        u.mu.map((m) => m - rf),
      );
      const s = x.reduce((a, b) => a + b, 0);
      expect(s).toBeGreaterThan(0); // the tangency portfolio is on the upper branch for this data
      const r = maxSharpe(u.mu, u.cov, {
        lower: Number.NEGATIVE_INFINITY,
        upper: Number.POSITIVE_INFINITY,
        riskFreeRate: rf,
        solver,
        timeLimit: 30,
      });
      expect(r.status).toBe("optimal");
      if (r.status !== "optimal") return;
      r.weights.forEach((w, i) => {
        expect(Math.abs(w - x[i]! / s)).toBeLessThan(1e-6);
      });
      expect(r.objective).toBeCloseTo(sharpe(u.mu, u.cov, r.weights, rf), 12);
    },
  );

  it.each(["auto", "highs"] as const)("beats a brute-force grid over the 3-asset simplex (solver %s)", (solver) => {
    const s = subset(sp500Universe(40), [3, 11, 25]);
    const r = maxSharpe(s.mu, s.cov, { solver, timeLimit: 30 });
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    let best = Number.NEGATIVE_INFINITY;
    const steps = 300;
    for (let i = 0; i <= steps; i++) {
      for (let j = 0; i + j <= steps; j++) {
        best = Math.max(best, sharpe(s.mu, s.cov, [i / steps, j / steps, (steps - i - j) / steps]));
      }
    }
    expect(r.objective).toBeGreaterThanOrEqual(best - 1e-9);
    expect(r.objective).toBeLessThan(best + 1e-3);
  });

  it.each(["auto", "highs"] as const)(
    "long-only on 40 names: bounds respected, on the frontier (KKT of min variance at its own return) (solver %s)",
    (solver) => {
      const s = sp500Universe(40);
      const r = maxSharpe(s.mu, s.cov, { upper: 0.15, solver, timeLimit: 30 });
      expect(r.status).toBe("optimal");
      if (r.status !== "optimal") return;
      for (const w of r.weights) {
        expect(w).toBeGreaterThanOrEqual(0);
        expect(w).toBeLessThanOrEqual(0.15);
      }
      expect(r.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      const kkt = checkKkt(
        {
          Q: s.cov,
          c: new Array(40).fill(0),
          lower: new Array(40).fill(0),
          upper: new Array(40).fill(0.15),
          rows: [
            { a: new Array(40).fill(1), lo: 1, hi: 1 },
            { a: s.mu, lo: dot(s.mu, r.weights), hi: dot(s.mu, r.weights) },
          ],
        },
        r.weights,
      );
      expect(kkt.stationarity).toBeLessThan(1e-5);
      expect(kkt.dualSign).toBeLessThan(1e-5);
      // Tangency condition: the return multiplier over the budget multiplier equals σ²/(excess return)·… —
      // checked directly instead: no feasible two-asset shift improves the Sharpe ratio.
      const base = r.objective;
      for (let i = 0; i < 40; i++) {
        for (let j = 0; j < 40; j++) {
          if (i === j) continue;
          const w = r.weights.slice();
          const d = Math.min(1e-3, w[j]!, 0.15 - w[i]!);
          if (d <= 0) continue;
          w[i]! += d;
          w[j]! -= d;
          expect(sharpe(s.mu, s.cov, w)).toBeLessThanOrEqual(base + 1e-12);
        }
      }
    },
  );

  it("the frontier search and HiGHS's homogenized QP agree on 100 names with caps and a risk-free rate", () => {
    const s = sp500Universe(100);
    const rf = 0.0002;
    const a = maxSharpe(s.mu, s.cov, { upper: 0.08, riskFreeRate: rf });
    const h = maxSharpe(s.mu, s.cov, { upper: 0.08, riskFreeRate: rf, solver: "highs", timeLimit: 30 });
    expect(a.status === "optimal" && a.method).toBe("frontier-search");
    expect(h.status === "optimal" && h.method).toBe("highs-homogenized");
    if (a.status !== "optimal" || h.status !== "optimal") return;
    expect(a.objective).toBeGreaterThanOrEqual(h.objective - 1e-9);
    a.weights.forEach((w, i) => {
      expect(Math.abs(w - h.weights[i]!)).toBeLessThan(1e-5);
    });
  });

  it("is infeasible when no allowed portfolio has a positive excess return", () => {
    const u = usEquities10();
    const rf = Math.max(...u.mu) + 1e-4;
    const r = maxSharpe(u.mu, u.cov, { riskFreeRate: rf });
    expect(r.status).toBe("infeasible");
    expect(r.weights).toEqual([]);
    expect(maxSharpe(u.mu, u.cov, { budget: null }).status).toBe("error");
  });

  it("respects group limits", () => {
    const s = sp500Universe(30);
    const groups = s.tickers.map((_, i) => (i % 3 === 0 ? "g0" : "rest"));
    const r = maxSharpe(s.mu, s.cov, { groups: { groups, groupLower: { g0: 0.5 }, groupUpper: { rest: 0.5 } } });
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    const g0 = r.weights.reduce((a, w, i) => a + (groups[i] === "g0" ? w : 0), 0);
    expect(g0).toBeGreaterThanOrEqual(0.5 - 1e-7);
  });
});
