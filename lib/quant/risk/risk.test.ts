import { describe, expect, it } from "vitest";
import { loadWidePrices, sp500Universe } from "../../../test/fixtures/quant-data.js";
import { portfolioReturns } from "../estimation/returns.js";
import { dot, quadForm } from "../linalg.js";
import { expectedShortfall, parametricExpectedShortfall } from "./expected-shortfall.js";
import { exposures } from "./exposures.js";
import { normalPdf, normalQuantile } from "./normal.js";
import {
  componentRiskContributions,
  marginalRiskContributions,
  percentRiskContributions,
} from "./risk-contributions.js";
import { historicalScenario, stressTest, worstPeriod } from "./stress.js";
import { trackingError } from "./tracking-error.js";
import { historicalVaR, parametricVaR } from "./var.js";
import { portfolioVolatility } from "./volatility.js";

const s = sp500Universe(40);
const n = 40;
const w = s.tickers.map((_, i) => (1 + (i % 4)) / 100);
const wsum = w.reduce((a, b) => a + b, 0);
const weights = w.map((v) => v / wsum);

/** Φ(z) by Simpson integration of the density (first principles, no library). */
function cdf(z: number): number {
  const a = -12;
  const m = 20000;
  const h = (z - a) / m;
  let acc = normalPdf(a) + normalPdf(z);
  for (let i = 1; i < m; i++) acc += (i % 2 === 1 ? 4 : 2) * normalPdf(a + i * h);
  return (acc * h) / 3;
}

describe("normal quantile", () => {
  it("inverts the numerically integrated CDF", () => {
    for (const p of [0.001, 0.01, 0.05, 0.3, 0.5, 0.9, 0.95, 0.975, 0.99, 0.9999]) {
      expect(Math.abs(cdf(normalQuantile(p)) - p)).toBeLessThan(1e-8);
    }
  });
});

describe("volatility, VaR, ES", () => {
  it("parametric VaR closed form z·σ − μ, and its horizon scaling", () => {
    const sigma = Math.sqrt(quadForm(s.cov, weights));
    expect(portfolioVolatility(weights, s.cov)).toBeCloseTo(sigma, 15);
    const z99 = normalQuantile(0.99);
    expect(parametricVaR(weights, s.cov, { confidence: 0.99 })).toBeCloseTo(z99 * sigma, 14);
    const mu = dot(s.mu, weights);
    expect(parametricVaR(weights, s.cov, { confidence: 0.99, mu: s.mu, horizon: 10 })).toBeCloseTo(
      z99 * sigma * Math.sqrt(10) - 10 * mu,
      14,
    );
    // ES ≥ VaR for the Gaussian, and ES = σφ(z)/(1 − c)
    const es = parametricExpectedShortfall(weights, s.cov, { confidence: 0.99 });
    expect(es).toBeCloseTo((sigma * normalPdf(z99)) / 0.01, 14);
    expect(es).toBeGreaterThan(parametricVaR(weights, s.cov, { confidence: 0.99 }));
  });

  it("historical VaR/ES: the k-th worst loss and the mean of the k worst, ES ≥ VaR", () => {
    const series = portfolioReturns(s.returns, weights);
    for (const c of [0.9, 0.95, 0.99]) {
      const v = historicalVaR(series, { confidence: c });
      const e = expectedShortfall(series, { confidence: c });
      expect(e).toBeGreaterThanOrEqual(v);
      const k = Math.ceil(series.length * (1 - c) - 1e-9);
      const worse = series.filter((r) => -r > v).length;
      expect(worse).toBeLessThan(k); // strictly fewer than k losses exceed the k-th worst
      expect(series.filter((r) => -r >= v).length).toBeGreaterThanOrEqual(k);
    }
    expect(historicalVaR([0.01, -0.05, 0.02, -0.01], { confidence: 0.75 })).toBeCloseTo(0.05, 15);
    expect(expectedShortfall([0.01, -0.05, 0.02, -0.01], { confidence: 0.5 })).toBeCloseTo(0.03, 15);
    expect(historicalVaR([])).toBeNaN();
  });
});

describe("tracking error and risk contributions", () => {
  it("tracking error is zero against itself and equals the active-weight volatility otherwise", () => {
    expect(trackingError(weights, weights, s.cov)).toBe(0);
    const eq = new Array(n).fill(1 / n);
    const active = weights.map((v, i) => v - eq[i]!);
    expect(trackingError(weights, eq, s.cov)).toBeCloseTo(Math.sqrt(quadForm(s.cov, active)), 15);
  });

  it("component contributions sum to σ (Euler); marginal ones are the gradient of σ", () => {
    const sigma = portfolioVolatility(weights, s.cov);
    const comp = componentRiskContributions(weights, s.cov);
    expect(comp.reduce((a, b) => a + b, 0)).toBeCloseTo(sigma, 14);
    expect(percentRiskContributions(weights, s.cov).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    const marg = marginalRiskContributions(weights, s.cov);
    const h = 1e-7;
    for (const i of [0, 7, 33]) {
      const up = weights.slice();
      up[i]! += h;
      const dn = weights.slice();
      dn[i]! -= h;
      const fd = (portfolioVolatility(up, s.cov) - portfolioVolatility(dn, s.cov)) / (2 * h);
      expect(Math.abs(fd - marg[i]!)).toBeLessThan(1e-7);
    }
    expect(marginalRiskContributions(new Array(n).fill(0), s.cov).every((v) => v === 0)).toBe(true);
  });
});

describe("stress", () => {
  it("shock vector: portfolio return is Σ wᵢ·shockᵢ", () => {
    const shocks = s.tickers.map((_, i) => -0.1 + 0.005 * i);
    const r = stressTest(weights, shocks);
    expect(r.portfolioReturn).toBeCloseTo(dot(weights, shocks), 15);
    expect(r.loss).toBe(-r.portfolioReturn);
  });

  it("historical episode: compounded returns over the date range, consistent with the prices", () => {
    const wide = loadWidePrices("sp500-2013-2018/close.csv");
    const from = wide.dates.indexOf("2015-08-17");
    const to = wide.dates.indexOf("2015-08-25");
    expect(from).toBeGreaterThan(0);
    // returns row t is the move from price row t to t + 1
    const shocks = historicalScenario(s.returns, from, to);
    const full = wide.tickers.map((_, j) => j).filter((j) => wide.prices.every((row) => Number.isFinite(row[j]!)));
    shocks.forEach((sh, i) => {
      const j = full[i]!;
      expect(sh).toBeCloseTo(wide.prices[to]![j]! / wide.prices[from]![j]! - 1, 12);
    });
    expect(stressTest(weights, shocks).loss).toBeGreaterThan(0.05); // the August 2015 sell-off
    const worst = worstPeriod(s.returns, weights);
    const series = portfolioReturns(s.returns, weights);
    expect(worst.portfolioReturn).toBeCloseTo(Math.min(...series), 15);
  });
});

describe("exposures", () => {
  it("gross and net by sector, country and name; names netted first", () => {
    const rep = exposures([
      { id: "A", weight: 0.3, sector: "Tech", country: "US" },
      { id: "B", weight: -0.2, sector: "Tech", country: "US" },
      { id: "C", weight: 0.25, sector: "Energy" },
      { id: "A", weight: -0.1, sector: "Tech", country: "US" },
    ]);
    expect(rep.byName.A!.net).toBeCloseTo(0.2, 15);
    expect(rep.byName.A!.short).toBe(0);
    expect(rep.byName.B).toEqual({ long: 0, short: 0.2, gross: 0.2, net: -0.2 });
    expect(rep.bySector.Tech!.gross).toBeCloseTo(0.4, 15);
    expect(rep.bySector.Tech!.net).toBeCloseTo(0, 15);
    expect(rep.byCountry.unknown!.net).toBeCloseTo(0.25, 15);
    expect(rep.total.gross).toBeCloseTo(0.65, 15);
    expect(rep.total.net).toBeCloseTo(0.25, 15);
    expect(rep.total.long - rep.total.short).toBeCloseTo(rep.total.net, 15);
  });
});
