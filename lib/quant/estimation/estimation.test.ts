import { describe, expect, it } from "vitest";
import { loadWidePrices, sp500Universe } from "../../../test/fixtures/quant-data.js";
import { cholesky, trace } from "../linalg.js";
import { correlationToCovariance, covarianceToCorrelation } from "./correlation.js";
import { covarianceMatrix } from "./covariance.js";
import { ewmaCovariance } from "./ewma.js";
import { ledoitWolf } from "./ledoit-wolf.js";
import { logReturns, meanReturns, simpleReturns } from "./returns.js";

const ragged = () => simpleReturns(loadWidePrices("us-equities-20/prices.csv").prices);

/** Covariance of two columns over the rows where both are present, written out longhand. */
function overlapCov(r: number[][], i: number, k: number): { cov: number; rows: number } {
  const pairs = r
    .filter((row) => !Number.isNaN(row[i]!) && !Number.isNaN(row[k]!))
    .map((row) => [row[i]!, row[k]!] as const);
  const mi = pairs.reduce((a, p) => a + p[0], 0) / pairs.length;
  const mk = pairs.reduce((a, p) => a + p[1], 0) / pairs.length;
  return { cov: pairs.reduce((a, p) => a + (p[0] - mi) * (p[1] - mk), 0) / (pairs.length - 1), rows: pairs.length };
}

describe("returns", () => {
  it("simple and log returns, NaN for missing prices", () => {
    const p = [
      [100, Number.NaN],
      [110, 50],
      [99, 55],
    ];
    const s = simpleReturns(p);
    expect(s[0]![0]).toBeCloseTo(0.1, 15);
    expect(s[0]![1]).toBeNaN();
    expect(s[1]![0]).toBeCloseTo(-0.1, 15);
    expect(s[1]![1]).toBeCloseTo(0.1, 15);
    expect(logReturns(p)[1]![1]).toBeCloseTo(Math.log(1.1), 15);
    expect(meanReturns(s)[1]).toBeCloseTo(0.1, 15);
  });
});

describe("covarianceMatrix", () => {
  const r = ragged();
  const n = r[0]!.length;

  it("pairwise: each entry is the ddof-1 covariance over that pair's overlapping rows, annualized", () => {
    const c = covarianceMatrix(r, { annualization: 252 });
    const counts = new Set<number>();
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k += 3) {
        const d = overlapCov(r, i, k);
        counts.add(d.rows);
        expect(Math.abs(c[i]![k]! - 252 * d.cov)).toBeLessThan(1e-12 * Math.max(1, Math.abs(252 * d.cov)));
        expect(c[i]![k]).toBe(c[k]![i]);
      }
    }
    expect(counts.size).toBeGreaterThan(3); // the data really is ragged, pairs differ in length
  });

  it("complete: only rows without NaN; positive definite on real data; default annualization 252", () => {
    const c = covarianceMatrix(r, { missing: "complete", annualization: 1 });
    const complete = r.filter((row) => row.every((v) => !Number.isNaN(v)));
    expect(complete.length).toBeLessThan(r.length);
    const d = overlapCov(complete, 2, 9);
    expect(c[2]![9]).toBeCloseTo(d.cov, 15);
    expect(cholesky(c)).toBeDefined();
    const annual = covarianceMatrix(r, { missing: "complete" });
    expect(annual[2]![9]! / c[2]![9]!).toBeCloseTo(252, 10);
  });

  it("NaN where fewer than two rows overlap", () => {
    const c = covarianceMatrix([
      [0.1, Number.NaN],
      [0.2, 0.3],
      [0.1, 0.2],
    ]);
    expect(c[0]![1]).not.toBeNaN();
    const none = covarianceMatrix([
      [0.1, Number.NaN],
      [Number.NaN, 0.3],
      [0.1, Number.NaN],
    ]);
    expect(none[0]![1]).toBeNaN();
  });
});

describe("ewmaCovariance", () => {
  it("matches the weighted sum written out for three rows", () => {
    const rows = [
      [0.01, -0.02],
      [0.03, 0.01],
      [-0.02, 0.02],
    ];
    const l = 0.9;
    const w = [l * l, l, 1];
    const ws = w[0]! + w[1]! + w[2]!;
    const c = ewmaCovariance(rows, { lambda: l, annualization: 1 });
    const c01 = (w[0]! * 0.01 * -0.02 + w[1]! * 0.03 * 0.01 + w[2]! * -0.02 * 0.02) / ws;
    expect(c[0]![1]).toBeCloseTo(c01, 16);
    const h = ewmaCovariance(rows, { halfLife: Math.log(0.5) / Math.log(l), annualization: 1 });
    expect(h[0]![1]).toBeCloseTo(c01, 14);
  });

  it("tends to the (1/T, demeaned) sample covariance as λ → 1", () => {
    const s = sp500Universe(5, 250);
    const e = ewmaCovariance(s.returns, { lambda: 1 - 1e-12, annualization: 1, demean: true });
    const t = s.returns.length;
    for (let i = 0; i < 5; i++) {
      for (let k = 0; k < 5; k++) expect(e[i]![k]! / ((s.cov[i]![k]! * (t - 1)) / t)).toBeCloseTo(1, 6);
    }
  });
});

describe("ledoitWolf", () => {
  it("intensity in [0, 1], positive definite, trace kept, a convex combination of S and νI", () => {
    const s = sp500Universe(60, 120);
    const lw = ledoitWolf(s.returns, { annualization: 1 });
    expect(lw.shrinkage).toBeGreaterThan(0);
    expect(lw.shrinkage).toBeLessThanOrEqual(1);
    expect(cholesky(lw.covariance)).toBeDefined();
    const t = s.returns.length;
    const sample = s.cov.map((row) => row.map((v) => (v * (t - 1)) / t)); // 1/T normalization
    expect(trace(lw.covariance)).toBeCloseTo(trace(sample), 12);
    expect(lw.target).toBeCloseTo(trace(sample) / 60, 14);
    expect(lw.covariance[3]![7]! / sample[3]![7]!).toBeCloseTo(1 - lw.shrinkage, 10);
  });

  it("shrinks more with fewer observations than with many", () => {
    const few = ledoitWolf(sp500Universe(60, 70).returns);
    const many = ledoitWolf(sp500Universe(60, 1200).returns);
    expect(few.shrinkage).toBeGreaterThan(many.shrinkage);
    expect(many.shrinkage).toBeGreaterThanOrEqual(0);
  });
});

describe("correlation ↔ covariance", () => {
  it("round-trips, with a unit diagonal", () => {
    const s = sp500Universe(8);
    const { correlation, volatilities } = covarianceToCorrelation(s.cov);
    correlation.forEach((row, i) => {
      expect(row[i]).toBe(1);
    });
    const back = correlationToCovariance(correlation, volatilities);
    back.forEach((row, i) => {
      row.forEach((v, k) => {
        expect(v).toBeCloseTo(s.cov[i]![k]!, 15);
      });
    });
  });
});
