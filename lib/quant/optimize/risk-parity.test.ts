import { describe, expect, it } from "vitest";
import { sp500Universe, subset } from "../../../test/fixtures/quant-data.js";
import { dot, quadForm } from "../linalg.js";
import { riskParity } from "./risk-parity.js";

/** wᵢ(Σw)ᵢ / w'Σw, computed here from scratch. */
function shares(cov: number[][], w: number[]): number[] {
  const v = quadForm(cov, w);
  return w.map((wi, i) => (wi * dot(cov[i]!, w)) / v);
}

describe("riskParity (no solver needed)", () => {
  it("equalizes risk contributions on 100 S&P 500 names", () => {
    const s = sp500Universe(100);
    const r = riskParity(s.cov);
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    expect(r.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (const w of r.weights) expect(w).toBeGreaterThan(0);
    for (const c of shares(s.cov, r.weights)) expect(Math.abs(c - 0.01)).toBeLessThan(1e-10);
  });

  it("matches risk budgets and the weight budget", () => {
    const s = sp500Universe(30);
    const budgets = s.tickers.map((_, i) => 1 + (i % 5));
    const total = budgets.reduce((a, b) => a + b, 0);
    const r = riskParity(s.cov, { budgets, budget: 0.8 });
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    expect(r.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(0.8, 12);
    shares(s.cov, r.weights).forEach((c, i) => {
      expect(Math.abs(c - budgets[i]! / total)).toBeLessThan(1e-9);
    });
  });

  it("two assets: w₁/w₂ = σ₂/σ₁ whatever the correlation (closed form)", () => {
    const s = subset(sp500Universe(20), [4, 15]);
    const r = riskParity(s.cov);
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    const s1 = Math.sqrt(s.cov[0]![0]!);
    const s2 = Math.sqrt(s.cov[1]![1]!);
    expect(r.weights[0]).toBeCloseTo(s2 / (s1 + s2), 12);
    expect(r.weights[1]).toBeCloseTo(s1 / (s1 + s2), 12);
  });

  it("rejects zero-variance assets, bad budgets and iteration exhaustion as statuses", () => {
    expect(
      riskParity([
        [0, 0],
        [0, 1],
      ]).status,
    ).toBe("error");
    const s = sp500Universe(10);
    expect(riskParity(s.cov, { budgets: [1, 2] }).status).toBe("error");
    expect(riskParity(s.cov, { budgets: new Array(10).fill(-1) }).status).toBe("error");
    const short = riskParity(s.cov, { maxIterations: 1, tolerance: 1e-15 });
    expect(short.status).toBe("iteration-limit");
    expect(short.weights).toEqual([]);
  });
});
