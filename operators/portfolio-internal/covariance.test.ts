import { describe, expect, it } from "vitest";
import { covarianceFor, solveSubsystem, solveViaPrecision } from "./covariance.js";
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
});
