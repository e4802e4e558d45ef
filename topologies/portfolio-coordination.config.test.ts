import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../examples/recordings/format.js";
import { PortfolioCoordinationConfig } from "./portfolio-coordination.config.js";

describe("PortfolioCoordinationConfig", () => {
  it("is complete from an empty object, with a mandate and limits for every portfolio", () => {
    const c = PortfolioCoordinationConfig.parse({});
    expect(c.window).toEqual({ kind: "tumbling", sizeMs: 3_600_000 });
    expect(c.policies["*"]?.singleName?.maxWeight).toBeGreaterThan(0);
    expect(c.riskLimits["*"]?.volatility?.max).toBeGreaterThan(0);
    expect(c.conflicts.riskAversion).toBeGreaterThan(0);
    // The default starting books are the bundled recording's portfolios.
    const summary = JSON.parse(
      readFileSync(resolve(projectRoot(), "examples/recordings/portfolio-coordination.summary.json"), "utf8"),
    ) as { portfolios: Record<string, string[]> };
    expect(Object.keys(c.portfolios).sort()).toEqual(Object.keys(summary.portfolios).sort());
  });

  it("overrides only what a partial config names", () => {
    const c = PortfolioCoordinationConfig.parse({ window: { sizeMs: 60_000 }, sizing: { kellyFraction: 0.5 } });
    expect(c.window.sizeMs).toBe(60_000);
    expect(c.window.kind).toBe("tumbling");
    expect(c.sizing.kellyFraction).toBe(0.5);
    expect(c.sizing.maxWeight).toBe(PortfolioCoordinationConfig.parse({}).sizing.maxWeight);
  });

  it("rejects invalid values with the path of the problem", () => {
    const r = PortfolioCoordinationConfig.safeParse({ quality: { minConfidence: 1.5 }, sizing: { kellyFraction: 0 } });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toContain("quality.minConfidence");
    expect(paths).toContain("sizing.kellyFraction");
  });
});
