import { beforeAll, describe, expect, it } from "vitest";
import { sp500Universe, subset, usEquities10 } from "../../../test/fixtures/quant-data.js";
import { checkKkt } from "../../../test/fixtures/quant-kkt.js";
import { cholesky, choleskySolve, dot, quadForm } from "../linalg.js";
import { maxQuadraticUtility } from "./max-quadratic-utility.js";
import { initSolver } from "./qp-solver.js";

beforeAll(async () => {
  await initSolver();
});

const free = { lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY };

describe("maxQuadraticUtility", () => {
  const u = usEquities10();
  const n = u.cov.length;
  const delta = 3;

  it("no budget, no bounds: w = Σ⁻¹μ/δ; HiGHS with loose bounds agrees", () => {
    const expected = choleskySolve(cholesky(u.cov)!, u.mu).map((v) => v / delta);
    const r = maxQuadraticUtility(u.mu, u.cov, delta, { ...free, budget: null });
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    r.weights.forEach((w, i) => {
      expect(w).toBeCloseTo(expected[i]!, 9);
    });
    const bigBound = Math.max(...expected.map(Math.abs)) * 2;
    for (const solver of ["highs", "auto"] as const) {
      const q = maxQuadraticUtility(u.mu, u.cov, delta, {
        lower: -bigBound,
        upper: bigBound,
        budget: null,
        solver,
        timeLimit: 30,
      });
      expect(q.status === "optimal" && q.method).toBe(solver === "highs" ? "highs" : "active-set");
      if (q.status !== "optimal") return;
      q.weights.forEach((w, i) => {
        expect(Math.abs(w - expected[i]!)).toBeLessThan(1e-6 * bigBound);
      });
    }
  });

  it("with budget: Σw − μ/δ ∝ 1 ... i.e. stationarity μ − δΣw = γ1 with 1'w = 1", () => {
    const r = maxQuadraticUtility(u.mu, u.cov, delta, free);
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    expect(r.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const g = u.mu.map((m, i) => m - delta * dot(u.cov[i]!, r.weights));
    for (const gi of g) expect(Math.abs(gi - g[0]!)).toBeLessThan(1e-12);
  });

  it.each(["auto", "highs"] as const)("long-only, capped, 60 names: KKT (solver %s)", (solver) => {
    const s = sp500Universe(60);
    const r = maxQuadraticUtility(s.mu, s.cov, 2, { upper: 0.1, solver, timeLimit: 30 });
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    const kkt = checkKkt(
      {
        Q: s.cov.map((row) => row.map((v) => 2 * v)),
        c: s.mu.map((m) => -m),
        lower: new Array(60).fill(0),
        upper: new Array(60).fill(0.1),
        rows: [{ a: new Array(60).fill(1), lo: 1, hi: 1 }],
      },
      r.weights,
    );
    expect(kkt.primal).toBeLessThan(1e-7);
    expect(kkt.stationarity).toBeLessThan(1e-5);
    expect(kkt.dualSign).toBeLessThan(1e-5);
    expect(r.objective).toBeCloseTo(dot(s.mu, r.weights) - quadForm(s.cov, r.weights), 14);
  });

  it("beats a brute-force grid on 3 assets", () => {
    const s = subset(sp500Universe(40), [1, 13, 33]);
    const d = 20;
    const r = maxQuadraticUtility(s.mu, s.cov, d);
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    let best = Number.NEGATIVE_INFINITY;
    const steps = 300;
    for (let i = 0; i <= steps; i++) {
      for (let j = 0; i + j <= steps; j++) {
        const w = [i / steps, j / steps, (steps - i - j) / steps];
        best = Math.max(best, dot(s.mu, w) - (d / 2) * quadForm(s.cov, w));
      }
    }
    expect(r.objective).toBeGreaterThanOrEqual(best - 1e-12);
  });

  it("rejects a non-positive risk aversion as an error status", () => {
    expect(maxQuadraticUtility(u.mu, u.cov, 0).status).toBe("error");
    expect(maxQuadraticUtility(u.mu.slice(1), u.cov, 1).status).toBe("error");
    expect(n).toBe(10);
  });
});
