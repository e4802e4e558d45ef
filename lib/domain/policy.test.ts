import { describe, expect, it } from "vitest";
import { InvestmentPolicy } from "./policy.js";
import { RiskLimits } from "./risk-limits.js";

describe("InvestmentPolicy schema", () => {
  it("accepts a full policy and keeps every rule with its action", () => {
    const p = InvestmentPolicy.parse({
      policyId: "core",
      allowedInstruments: { instruments: ["AAPL"], action: "reject" },
      allowedAssetClasses: { assetClasses: ["equity"], action: "clip" },
      restrictedList: { instruments: ["XOM"], action: "reject" },
      esg: { excluded: ["MO"], minScore: 40, missingScore: "fail", action: "clip" },
      singleName: { maxWeight: 0.05, action: "clip" },
      sector: { maxWeight: 0.25, overrides: { Energy: 0.05 }, action: "clip" },
      country: { maxWeight: 0.8, action: "reject" },
      turnover: { maxTurnover: 0.2, action: "clip" },
    });
    expect(p.sector?.overrides).toEqual({ Energy: 0.05 });
    expect(p.esg?.missingScore).toBe("fail");
  });

  it("rejects negative limits, unknown actions, ESG scores outside 0..100 and a missing id", () => {
    expect(InvestmentPolicy.safeParse({ policyId: "x", singleName: { maxWeight: -0.1, action: "clip" } }).success).toBe(
      false,
    );
    expect(InvestmentPolicy.safeParse({ policyId: "x", turnover: { maxTurnover: 0.1, action: "warn" } }).success).toBe(
      false,
    );
    expect(
      InvestmentPolicy.safeParse({
        policyId: "x",
        esg: { excluded: [], minScore: 120, missingScore: "pass", action: "clip" },
      }).success,
    ).toBe(false);
    expect(InvestmentPolicy.safeParse({ singleName: { maxWeight: 0.1, action: "clip" } }).success).toBe(false);
  });
});

describe("RiskLimits schema", () => {
  const base = { limitsId: "l", confidence: 0.99, horizonDays: 1, tradingDaysPerYear: 252 };
  it("accepts limits with methods and stress scenarios", () => {
    const l = RiskLimits.parse({
      ...base,
      valueAtRisk: { max: 0.02, action: "clip", method: "historical" },
      stress: { maxLoss: 0.1, action: "reject", scenarios: [{ name: "crash", shocks: { AAPL: -0.3 } }] },
    });
    expect(l.valueAtRisk?.method).toBe("historical");
    expect(l.stress?.scenarios[0]?.shocks.AAPL).toBe(-0.3);
  });

  it("rejects confidence outside (0.5, 1), non-positive limits and empty scenario lists", () => {
    expect(RiskLimits.safeParse({ ...base, confidence: 1 }).success).toBe(false);
    expect(RiskLimits.safeParse({ ...base, confidence: 0.4 }).success).toBe(false);
    expect(RiskLimits.safeParse({ ...base, volatility: { max: 0, action: "clip" } }).success).toBe(false);
    expect(RiskLimits.safeParse({ ...base, stress: { maxLoss: 0.1, action: "clip", scenarios: [] } }).success).toBe(
      false,
    );
  });
});
