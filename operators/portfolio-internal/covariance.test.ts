import { describe, expect, it } from "vitest";
import { covarianceFor, mulRowsSparse, mulVec, solveSubsystem, solveViaPrecision, universeVols } from "./covariance.js";
import { covarianceModel, loadSp500, marketData } from "./fixtures/sp500.js";

const u = loadSp500(120);
const model = covarianceModel(u);

describe("covariance helpers", () => {
  it("builds Σ = ρσσ from the model, with a market-volatility fallback and missing ids reported", () => {
    const market = marketData(u);
    const extra = new Map(market);
    extra.set("ZZZ", { instrumentId: "ZZZ", price: 10, averageDailyVolume: 1, volatility: 0.3 });
    const ids = [u.tickers[3]!, "ZZZ", u.tickers[7]!, "NOPE"];
    const cov = covarianceFor(ids, model, extra);
    expect(cov.data[0]).toBeCloseTo(u.covariance[3]![3]!, 12);
    expect(cov.data[2]).toBeCloseTo(u.covariance[3]![7]!, 12);
    expect(cov.data[1 * 4 + 1]).toBeCloseTo(0.09, 15);
    expect(cov.data[1 * 4 + 0]).toBe(0);
    expect(cov.missing).toEqual(["NOPE"]);
    expect(covarianceFor(ids, model, extra)).toBe(cov); // cached
  });

  it("solves Σ_SS x = b through the model's precision matrix (Schur complement) as accurately as directly", () => {
    const sIds = u.tickers.filter((_, i) => i % 13 !== 5); // all but a few
    const b = sIds.map((_, i) => Math.sin(i + 1) * 0.1);
    const x = solveViaPrecision(model, sIds, b)!;
    expect(x).toBeDefined();
    const rows = sIds.map((id) => u.tickers.indexOf(id));
    const cov = covarianceFor(u.tickers, model, undefined);
    const direct = solveSubsystem(cov, rows, b);
    let scale = 0;
    for (let a = 0; a < sIds.length; a++) {
      let r = 0;
      for (let c = 0; c < sIds.length; c++) r += u.covariance[rows[a]!]![rows[c]!]! * x[c]!;
      expect(r).toBeCloseTo(b[a]!, 9);
      scale = Math.max(scale, Math.abs(direct[a]!));
    }
    for (let a = 0; a < sIds.length; a++) expect(Math.abs(x[a]! - direct[a]!)).toBeLessThan(1e-8 * scale);
    expect(solveViaPrecision(model, [...sIds, "NOT-IN-MODEL"], [...b, 0])).toBeUndefined();
  });

  it("multiplies sparse columns without the dense matrix, bit-identical to the dense product", () => {
    const market = marketData(u);
    const extra = new Map(market);
    extra.set("ZZZ", { instrumentId: "ZZZ", price: 10, averageDailyVolume: 1, volatility: 0.3 });
    // Sorted universe (as the operators build it) over model order ≠ sorted order, plus a
    // market-data fallback and a missing id; n not a multiple of 4 exercises the tail accumulator.
    const ids = [...u.tickers.slice(0, 57), "ZZZ", "NOPE"].sort();
    const cov = covarianceFor(ids, model, extra);
    const uv = universeVols(ids, model, extra);
    expect(Array.from(uv.vols)).toEqual(Array.from(cov.vols));
    expect(uv.missing).toEqual(cov.missing);
    const x = new Float64Array(ids.length);
    const cols: number[] = [];
    for (let j = 0; j < ids.length; j += 3) {
      x[j] = Math.cos(j) * 0.02;
      cols.push(j);
    }
    cols.push(ids.indexOf("ZZZ"), ids.indexOf("NOPE"));
    cols.sort((a, b) => a - b);
    x[ids.indexOf("ZZZ")] = 0.01;
    x[ids.indexOf("NOPE")] = 0.01;
    const rows = ids.map((_, i) => i);
    const dense = mulVec(cov, x);
    const sparse = mulRowsSparse(uv, rows, [...new Set(cols)], x);
    for (let i = 0; i < ids.length; i++) expect(Object.is(sparse[i], dense[i])).toBe(true);
  });

  it("solves through the sorted-order precision matrix (contiguous rows) like a fresh factorization", () => {
    const sIds = u.tickers.filter((_, i) => i % 17 !== 2).sort();
    const b = sIds.map((_, i) => Math.sin(0.3 * i + 1) * 0.1);
    const x = solveViaPrecision(model, sIds, b)!;
    const rows = sIds.map((id) => u.tickers.indexOf(id));
    const cov = covarianceFor(u.tickers, model, undefined);
    const direct = solveSubsystem(cov, rows, b);
    let scale = 0;
    for (const v of direct) scale = Math.max(scale, Math.abs(v));
    for (let a = 0; a < sIds.length; a++) expect(Math.abs(x[a]! - direct[a]!)).toBeLessThan(1e-8 * scale);
    // The same set in another order (element-by-element path) gives the same solution, permuted.
    const perm = sIds.map((_, i) => i).reverse();
    const xr = solveViaPrecision(
      model,
      perm.map((i) => sIds[i]!),
      perm.map((i) => b[i]!),
    )!;
    for (let a = 0; a < sIds.length; a++) expect(Math.abs(xr[a]! - x[perm[a]!]!)).toBeLessThan(1e-10 * scale);
  });
});
