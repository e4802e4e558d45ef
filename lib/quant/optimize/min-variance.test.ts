import { beforeAll, describe, expect, it } from "vitest";
import { checkKkt } from "../../../test/fixtures/quant-kkt.js";
import { sp500Universe, subset, usEquities10 } from "../../../test/fixtures/quant-data.js";
import { cholesky, choleskySolve, quadForm } from "../linalg.js";
import { minVariance } from "./min-variance.js";
import { initSolver } from "./qp-solver.js";

beforeAll(async () => {
  await initSolver();
});

const ones = (n: number) => new Array<number>(n).fill(1);

describe("minVariance", () => {
  const u = usEquities10();
  const n = u.cov.length;

  it("unconstrained: w ∝ Σ⁻¹1 (closed form), and HiGHS with loose non-binding bounds agrees", () => {
    const x = choleskySolve(cholesky(u.cov)!, ones(n));
    const s = x.reduce((a, b) => a + b, 0);
    const expected = x.map((v) => v / s);
    const closed = minVariance(u.cov, { lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY });
    expect(closed.status).toBe("optimal");
    if (closed.status !== "optimal") return;
    expect(closed.method).toBe("closed-form");
    closed.weights.forEach((w, i) => {
      expect(w).toBeCloseTo(expected[i]!, 12);
    });
    // Σw = ν1: every marginal variance equal
    const g = u.cov.map((row) => row.reduce((a, c, j) => a + c * closed.weights[j]!, 0));
    for (const gi of g) expect(Math.abs(gi - g[0]!) / Math.abs(g[0]!)).toBeLessThan(1e-9);

    for (const solver of ["highs", "auto"] as const) {
      const viaQp = minVariance(u.cov, { lower: -10, upper: 10, solver, timeLimit: 30 });
      expect(viaQp.status).toBe("optimal");
      if (viaQp.status !== "optimal") return;
      expect(viaQp.method).toBe(solver === "highs" ? "highs" : "active-set");
      viaQp.weights.forEach((w, i) => {
        expect(w).toBeCloseTo(expected[i]!, 6);
      });
    }
  });

  it.each(["auto", "highs"] as const)(
    "long-only on 50 S&P 500 names satisfies the KKT conditions (solver %s)",
    (solver) => {
      const s = sp500Universe(50);
      const r = minVariance(s.cov, { solver, timeLimit: 30 });
      expect(r.status).toBe("optimal");
      if (r.status !== "optimal") return;
      const kkt = checkKkt(
        {
          Q: s.cov,
          c: new Array(50).fill(0),
          lower: new Array(50).fill(0),
          upper: new Array(50).fill(1),
          rows: [{ a: ones(50), lo: 1, hi: 1 }],
        },
        r.weights,
      );
      expect(kkt.primal).toBeLessThan(1e-7);
      expect(kkt.stationarity).toBeLessThan(1e-5);
      expect(kkt.dualSign).toBeLessThan(1e-5);
      expect(kkt.free).toBeGreaterThan(1);
      expect(kkt.free).toBeLessThan(50); // some bounds bind, so this is a genuinely constrained optimum
      expect(r.objective).toBeCloseTo(quadForm(s.cov, r.weights), 15);
    },
  );

  it("beats every point of a brute-force simplex grid on 3 assets", () => {
    const s = subset(sp500Universe(30), [0, 7, 19]);
    const r = minVariance(s.cov);
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    let best = Number.POSITIVE_INFINITY;
    const steps = 200;
    for (let i = 0; i <= steps; i++) {
      for (let j = 0; i + j <= steps; j++) {
        const w = [i / steps, j / steps, (steps - i - j) / steps];
        best = Math.min(best, quadForm(s.cov, w));
      }
    }
    expect(r.objective).toBeLessThanOrEqual(best * (1 + 1e-12));
    expect(r.objective).toBeGreaterThan(best * (1 - 1e-3)); // the grid gets close to it
  });

  it("respects per-asset bounds and group limits, and KKT holds with the group rows", () => {
    const s = sp500Universe(40);
    const groups = s.tickers.map((_, i) => ["a", "b", "c", "d"][i % 4]!);
    const r = minVariance(s.cov, {
      upper: 0.08,
      lower: 0.005,
      groups: { groups, groupLower: { a: 0.3 }, groupUpper: { b: 0.15 } },
    });
    expect(r.status).toBe("optimal");
    if (r.status !== "optimal") return;
    const sumOf = (g: string) => r.weights.reduce((a, w, i) => a + (groups[i] === g ? w : 0), 0);
    expect(sumOf("a")).toBeGreaterThanOrEqual(0.3 - 1e-7);
    expect(sumOf("b")).toBeLessThanOrEqual(0.15 + 1e-7);
    for (const w of r.weights) {
      expect(w).toBeGreaterThanOrEqual(0.005);
      expect(w).toBeLessThanOrEqual(0.08);
    }
    const member = (g: string) => groups.map((x) => (x === g ? 1 : 0));
    const kkt = checkKkt(
      {
        Q: s.cov,
        c: new Array(40).fill(0),
        lower: new Array(40).fill(0.005),
        upper: new Array(40).fill(0.08),
        rows: [
          { a: ones(40), lo: 1, hi: 1 },
          { a: member("a"), lo: 0.3, hi: Number.POSITIVE_INFINITY },
          { a: member("b"), lo: Number.NEGATIVE_INFINITY, hi: 0.15 },
        ],
      },
      r.weights,
    );
    expect(kkt.primal).toBeLessThan(1e-7);
    expect(kkt.stationarity).toBeLessThan(1e-5);
    expect(kkt.dualSign).toBeLessThan(1e-5);
  });

  it("returns typed infeasibility, never NaN weights or a throw", () => {
    const cases = [
      minVariance(u.cov, { upper: 0.05 }), // 10 × 0.05 < 1
      minVariance(u.cov, { lower: 0.2 }), // 10 × 0.2 > 1
      minVariance(u.cov, {
        groups: { groups: u.tickers.map((_, i) => (i < 5 ? "x" : "y")), groupUpper: { x: 0.3, y: 0.3 } },
      }),
      minVariance(u.cov, {
        groups: { groups: u.tickers.map((_, i) => (i < 5 ? "x" : "y")), groupLower: { x: 0.7, y: 0.7 } },
      }),
    ];
    for (const r of cases) {
      expect(r.status).toBe("infeasible");
      expect(r.weights).toEqual([]);
    }
    // infeasible only through the interplay of rows: caught by HiGHS itself
    const groups = u.tickers.map((_, i) => (i < 3 ? "x" : i < 6 ? "y" : "z"));
    const hard = minVariance(u.cov, { upper: 0.3, groups: { groups, groupLower: { x: 0.5, y: 0.5, z: 0.1 } } });
    expect(hard.status).toBe("infeasible");
  });

  it("reports bad input as status error", () => {
    expect(
      minVariance([
        [1, 2],
        [3, 4],
      ]).status,
    ).toBe("error");
    expect(minVariance([]).status).toBe("error");
    expect(minVariance([[Number.NaN]]).status).toBe("error");
  });
});
