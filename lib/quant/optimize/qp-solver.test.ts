import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { sp500Universe } from "../../../test/fixtures/quant-data.js";
import { lowerTriangle, solveQP } from "./qp-solver.js";
import { initSolver, isSolverReady } from "./qp-solver.js";

type QuadprogResult = { solution: number[]; message: string };
const quadprog = createRequire(import.meta.url)("quadprog") as {
  solveQP(D: number[][], d: number[], A: number[][], b: number[], meq?: number): QuadprogResult;
};

beforeAll(async () => {
  await initSolver();
});

/** quadprog's 1-indexed interface: min −d'x + ½x'Dx s.t. A'x ≥ b, first meq rows equalities. */
function viaQuadprog(D: number[][], q: number[], rows: { a: number[]; b: number }[], meq: number): number[] {
  const n = q.length;
  const Dm: number[][] = [[]];
  for (let i = 0; i < n; i++) Dm.push([0, ...D[i]!]);
  const Am: number[][] = [[]];
  for (let i = 0; i < n; i++) Am.push([0, ...rows.map((r) => r.a[i]!)]);
  const res = quadprog.solveQP(Dm, [0, ...q.map((v) => -v)], Am, [0, ...rows.map((r) => r.b)], meq);
  expect(res.message).toBe("");
  return res.solution.slice(1);
}

describe("solveQP", () => {
  it("is ready after initSolver", () => {
    expect(isSolverReady()).toBe(true);
  });

  it("solves a tiny QP whose optimum is known by hand, with the documented dual convention", () => {
    // min ½(x² + y²) − x − y  s.t. x + y ≤ 1  → x = y = ½, multiplier of the row 1 − ½ = ½ (upper binds → negative)
    const r = solveQP({
      P: [
        [1, 0],
        [0, 1],
      ],
      q: [-1, -1],
      constraints: [{ coefficients: [1, 1], upper: 1 }],
    });
    expect(r.status).toBe("optimal");
    expect(r.x[0]).toBeCloseTo(0.5, 9);
    expect(r.x[1]).toBeCloseTo(0.5, 9);
    expect(r.objective).toBeCloseTo(0.25 - 1, 9);
    // Px + q = A'y + z  → (½ − 1) = y  → y = −½
    expect(r.rowDuals[0]).toBeCloseTo(-0.5, 7);
    expect(r.colDuals[0]).toBeCloseTo(0, 7);
  });

  it("agrees with quadprog on a 12-asset long-only minimum variance with a return floor", () => {
    const s = sp500Universe(12);
    const n = 12;
    const rMin = s.mu.reduce((a, b) => a + b, 0) / n;
    const rows = [
      { a: new Array(n).fill(1), b: 1 },
      { a: s.mu, b: rMin },
      ...Array.from({ length: n }, (_, i) => ({ a: Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)), b: 0 })),
    ];
    const ref = viaQuadprog(
      s.cov.map((r) => r.map((v) => v * 2)),
      new Array(n).fill(0),
      rows,
      1,
    );
    const r = solveQP({
      timeLimit: 30,
      P: s.cov.map((row) => row.map((v) => v * 2)),
      q: new Array(n).fill(0),
      lower: 0,
      constraints: [
        { coefficients: new Array(n).fill(1), lower: 1, upper: 1 },
        { coefficients: s.mu, lower: rMin },
      ],
    });
    expect(r.status).toBe("optimal");
    r.x.forEach((v, i) => {
      expect(Math.abs(v - ref[i]!)).toBeLessThan(1e-6);
    });
  });

  it("accepts a sparse triangular Hessian and extra variables without quadratic terms", () => {
    const s = sp500Universe(8);
    const dense = solveQP({
      P: s.cov,
      q: s.mu.map((m) => -m * 10),
      lower: 0,
      upper: 1,
      constraints: [{ coefficients: new Array(8).fill(1), lower: 1, upper: 1 }],
    });
    const sparse = solveQP({
      P: lowerTriangle(s.cov, 9),
      q: [...s.mu.map((m) => -m * 10), 1],
      lower: [...new Array(8).fill(0), 0],
      upper: [...new Array(8).fill(1), 5],
      constraints: [{ indices: [0, 1, 2, 3, 4, 5, 6, 7], values: new Array(8).fill(1), lower: 1, upper: 1 }],
    });
    expect(dense.status).toBe("optimal");
    expect(sparse.status).toBe("optimal");
    expect(sparse.x[8]).toBeCloseTo(0, 9); // positive cost, lower bound 0
    dense.x.forEach((v, i) => {
      expect(Math.abs(v - sparse.x[i]!)).toBeLessThan(1e-7);
    });
  });

  it("reports infeasible and unbounded problems as statuses", () => {
    const inf = solveQP({
      P: [
        [1, 0],
        [0, 1],
      ],
      q: [0, 0],
      lower: 0,
      constraints: [
        { coefficients: [1, 1], lower: 2 },
        { coefficients: [1, 1], upper: 1 },
      ],
    });
    expect(inf.status).toBe("infeasible");
    expect(inf.x).toEqual([]);
    const unb = solveQP({ q: [-1, 0], lower: 0 }); // LP: min −x, x ≥ 0
    expect(["unbounded", "infeasible"]).toContain(unb.status);
    expect(unb.x).toEqual([]);
    expect(solveQP({ q: [Number.NaN] }).status).toBe("error");
    expect(solveQP({ q: [1, 2], lower: [0] }).status).toBe("error");
  });

  it("terminates with a limit status instead of hanging when the Hessian is left unscaled (daily covariances)", () => {
    const s = sp500Universe(60);
    const problem = {
      P: s.cov,
      q: new Array(60).fill(0),
      lower: 0,
      upper: 1,
      constraints: [{ coefficients: new Array(60).fill(1), lower: 1, upper: 1 }],
    };
    const raw = solveQP({ ...problem, scale: 1, timeLimit: 0.3, iterationLimit: 2000 });
    expect(["time-limit", "iteration-limit"]).toContain(raw.status);
    expect(raw.x).toEqual([]);
    const scaled = solveQP({ ...problem, timeLimit: 30 });
    expect(scaled.status).toBe("optimal");
    expect(scaled.iterations).toBeLessThan(2000);
  });
});
