import { beforeAll, describe, expect, it } from "vitest";
import { initSolver, solveQP } from "../../lib/quant/index.js";
import { solveAdmm } from "./admm.js";
import { loadSp500 } from "./fixtures/sp500.js";

const u = loadSp500(40);

beforeAll(async () => {
  await initSolver();
});

describe("solveAdmm", () => {
  it("matches HiGHS on a box- and row-constrained QP built from real covariances", () => {
    const m = 30;
    const P = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) P[i * m + j] = 2 * u.covariance[i]![j]! + (i === j ? 0.01 : 0);
    const q = Array.from({ length: m }, (_, i) => -0.2 * Math.sin(i + 1));
    const d = Array.from({ length: m }, (_, i) => (i % 3 ? 0.04 : -0.03));
    const lower = d.map((x) => Math.min(0, x));
    const upper = d.map((x) => Math.max(0, x));
    const rows = [0, 1, 2].map((r) => ({
      a: Array.from({ length: m }, (_, i) => (i % 3 === r ? Math.sign(d[i]!) : 0)),
      b: 0.08,
    }));
    const a = solveAdmm({ P, q, lower, upper, rows, tolerance: 1e-9, maxIterations: 20_000 });
    const dense = Array.from({ length: m }, (_, i) => Array.from(P.subarray(i * m, (i + 1) * m)));
    const h = solveQP({
      P: dense,
      q,
      lower,
      upper,
      constraints: rows.map((r) => ({ coefficients: r.a, upper: r.b })),
    });
    expect(a.status).toBe("optimal");
    expect(h.status).toBe("optimal");
    const obj = (x: readonly number[]) => {
      let v = 0;
      for (let i = 0; i < m; i++) {
        v += q[i]! * x[i]!;
        for (let j = 0; j < m; j++) v += 0.5 * x[i]! * P[i * m + j]! * x[j]!;
      }
      return v;
    };
    expect(obj(a.x)).toBeCloseTo(obj(h.x), 8);
    for (let i = 0; i < m; i++) expect(a.x[i]!).toBeCloseTo(h.x[i]!, 5);
    // Active rows bind in both.
    for (const r of rows) {
      const ax = r.a.reduce((s, c, i) => s + c * a.x[i]!, 0);
      expect(ax).toBeLessThanOrEqual(r.b + 1e-6);
    }
  });
});
