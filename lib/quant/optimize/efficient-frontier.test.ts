import { beforeAll, describe, expect, it } from "vitest";
import { sp500Universe, subset } from "../../../test/fixtures/quant-data.js";
import { checkKkt } from "../../../test/fixtures/quant-kkt.js";
import { dot, quadForm } from "../linalg.js";
import { efficientReturn } from "./efficient-return.js";
import { efficientRisk } from "./efficient-risk.js";
import { minVariance } from "./min-variance.js";
import { initSolver } from "./qp-solver.js";

beforeAll(async () => {
  await initSolver();
});

describe("efficientReturn", () => {
  const s = sp500Universe(40);
  const n = 40;
  const muMax = Math.max(...s.mu);

  it("meets the return floor at minimum variance (KKT with the return row)", () => {
    const target = 0.5 * muMax + 0.5 * (s.mu.reduce((a, b) => a + b, 0) / n);
    const r = efficientReturn(s.mu, s.cov, target);
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    expect(dot(s.mu, r.weights)).toBeGreaterThanOrEqual(target - 1e-10);
    const kkt = checkKkt(
      {
        Q: s.cov,
        c: new Array(n).fill(0),
        lower: new Array(n).fill(0),
        upper: new Array(n).fill(1),
        rows: [
          { a: new Array(n).fill(1), lo: 1, hi: 1 },
          { a: s.mu, lo: target, hi: Number.POSITIVE_INFINITY },
        ],
      },
      r.weights,
    );
    expect(kkt.primal).toBeLessThan(1e-7);
    expect(kkt.stationarity).toBeLessThan(1e-5);
    expect(kkt.dualSign).toBeLessThan(1e-5);
    expect(kkt.multipliers[1]).toBeGreaterThan(0); // the return floor binds
  });

  it("gives the minimum-variance portfolio for a low target and 'infeasible' above the best return", () => {
    const mv = minVariance(s.cov);
    const low = efficientReturn(s.mu, s.cov, Math.min(...s.mu));
    expect(mv.status === "optimal" && low.status === "optimal").toBe(true);
    if (mv.status !== "optimal" || low.status !== "optimal") return;
    expect(Math.abs(low.volatility - mv.volatility)).toBeLessThan(1e-8 * mv.volatility);
    const high = efficientReturn(s.mu, s.cov, muMax * 1.01);
    expect(high.status).toBe("infeasible");
    expect(high.weights).toEqual([]);
  });

  it("handles targets a hair below the maximum return (HiGHS's weak spot) correctly", () => {
    const target = muMax * (1 - 1e-5);
    const r = efficientReturn(s.mu, s.cov, target);
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    expect(dot(s.mu, r.weights)).toBeGreaterThanOrEqual(target - 1e-12);
    expect(dot(s.mu, r.weights)).toBeLessThanOrEqual(target + 1e-9 * muMax);
    for (const w of r.weights) expect(w).toBeGreaterThanOrEqual(0);
    expect(r.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });
});

describe("efficientRisk", () => {
  it("maximizes return under the volatility ceiling: brute force on 3 assets", () => {
    const s = subset(sp500Universe(40), [2, 17, 29]);
    const mv = minVariance(s.cov);
    if (mv.status !== "optimal") throw new Error("min variance failed");
    const best = s.mu.indexOf(Math.max(...s.mu));
    const target = (mv.volatility + Math.sqrt(s.cov[best]![best]!)) / 2; // between the frontier's ends: binding
    const r = efficientRisk(s.mu, s.cov, target);
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    expect(r.volatility).toBeLessThanOrEqual(target * (1 + 1e-12));
    expect(r.volatility).toBeGreaterThanOrEqual(target * (1 - 1e-6));
    let top = Number.NEGATIVE_INFINITY;
    const steps = 400;
    for (let i = 0; i <= steps; i++) {
      for (let j = 0; i + j <= steps; j++) {
        const w = [i / steps, j / steps, (steps - i - j) / steps];
        if (Math.sqrt(quadForm(s.cov, w)) <= target) top = Math.max(top, dot(s.mu, w));
      }
    }
    expect(r.objective).toBeGreaterThanOrEqual(top - 1e-12);
  });

  it("on 60 names: volatility on target, and consistent with efficientReturn at its own return", () => {
    const s = sp500Universe(60);
    const mv = minVariance(s.cov);
    if (mv.status !== "optimal") throw new Error("min variance failed");
    const target = mv.volatility * 1.5;
    const r = efficientRisk(s.mu, s.cov, target, { upper: 0.2 });
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    expect(r.volatility).toBeLessThanOrEqual(target);
    expect(r.volatility).toBeGreaterThanOrEqual(target * (1 - 1e-6));
    const back = efficientReturn(s.mu, s.cov, r.expectedReturn!, { upper: 0.2 });
    expect(back.status).toBe("optimal");
    if (back.status !== "optimal") return;
    expect(Math.abs(back.volatility - r.volatility)).toBeLessThan(1e-6 * target);
  });

  it("is infeasible below the minimum volatility and non-binding above the max-return portfolio's", () => {
    const s = sp500Universe(30);
    const mv = minVariance(s.cov);
    if (mv.status !== "optimal") throw new Error("min variance failed");
    expect(efficientRisk(s.mu, s.cov, mv.volatility * 0.9).status).toBe("infeasible");
    const loose = efficientRisk(s.mu, s.cov, 1);
    expect(loose.status).toBe("optimal");
    if (loose.status !== "optimal") return;
    expect(loose.expectedReturn).toBeCloseTo(Math.max(...s.mu), 12); // all in the best asset
  });
});
