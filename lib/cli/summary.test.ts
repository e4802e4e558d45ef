import { describe, expect, it } from "vitest";
import { formatSummary } from "./summary.js";

describe("formatSummary", () => {
  it("prints every count, the totals and the latency", () => {
    const text = formatSummary({
      topology: "t",
      transport: "embedded",
      workers: 3,
      eventsIn: 12_345,
      decisionsOut: 10,
      otherOutputs: { analytics: 2 },
      deadLettered: { "invalid-json": 2, undecodable: 1 },
      sideOutputs: { late: 4, duplicate: 5 },
      elapsedMs: 500,
      latencyMs: { p50: 0.25, p99: 1.5 },
      windowLatencyMs: { p50: 0.4, p99: 1.75 },
      decisionsSha256: "abc",
    });
    expect(text).toMatch(/\| events in +\| 12,345 +\|/);
    expect(text).toMatch(/\| dead-lettered +\| 3 +\|/);
    expect(text).toMatch(/\| {3}invalid-json +\| 2 +\|/);
    expect(text).toMatch(/\| side outputs +\| 9 +\|/);
    expect(text).toMatch(/\| throughput +\| 24,690 events\/s +\|/);
    expect(text).toMatch(/\| latency p99 +\| 1\.500 ms +\|/);
    expect(text).toMatch(/\| window latency p99 +\| 1\.750 ms +\|/);
    expect(text).toContain("3 workers");
    const widths = new Set(text.split("\n").map((l) => l.length));
    expect(widths.size).toBe(1);
  });
});
