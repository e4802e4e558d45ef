import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RuntimeStats } from "../runtime/types.js";
import { ConsiliumMetrics } from "./consilium-metrics.js";
import { parseExposition } from "./parse-exposition.js";
import type { RuntimeStatsLike } from "./stats-tracker.js";

// Compile-time contract: the runtime's live stats object can be tracked as is.
const statsFit = (s: RuntimeStats): RuntimeStatsLike => s;

function liveStats() {
  return {
    in: {} as Record<string, number>,
    out: {} as Record<string, number>,
    deadLettered: {} as Record<string, number>,
    sideOutputs: {} as Record<string, number>,
    acked: 0,
    nacked: 0,
    inFlight: 0,
  };
}

describe("ConsiliumMetrics.trackStats", () => {
  it("property: counters equal the stats' final values, however scrapes interleave with updates", async () => {
    expect(typeof statsFit).toBe("function");
    const step = fc.record({
      source: fc.constantFrom("signals", "rebalances"),
      sink: fc.constantFrom("decisions", "state"),
      reason: fc.constantFrom("invalid-json", "schema-violation"),
      n: fc.integer({ min: 0, max: 50 }),
      inFlight: fc.integer({ min: 0, max: 100 }),
      scrape: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const stats = liveStats();
        const m = new ConsiliumMetrics();
        m.trackStats(stats);
        for (const s of steps) {
          stats.in[s.source] = (stats.in[s.source] ?? 0) + s.n;
          stats.out[s.sink] = (stats.out[s.sink] ?? 0) + s.n;
          stats.deadLettered[s.reason] = (stats.deadLettered[s.reason] ?? 0) + 1;
          stats.sideOutputs.late = (stats.sideOutputs.late ?? 0) + s.n;
          stats.acked += s.n;
          stats.nacked += s.n % 3;
          stats.inFlight = s.inFlight;
          if (s.scrape) await m.metricsText();
        }
        const got = parseExposition(await m.metricsText());
        for (const [k, v] of Object.entries(stats.in))
          expect(got.get(`consilium_events_in_total{topic="${k}"}`)).toBe(v);
        for (const [k, v] of Object.entries(stats.out))
          expect(got.get(`consilium_events_out_total{topic="${k}"}`)).toBe(v);
        for (const [k, v] of Object.entries(stats.deadLettered)) {
          expect(got.get(`consilium_dead_letters_total{reason="${k}"}`)).toBe(v);
        }
        expect(got.get('consilium_side_outputs_total{tag="late"}')).toBe(stats.sideOutputs.late);
        expect(got.get("consilium_acks_total")).toBe(stats.acked);
        expect(got.get("consilium_nacks_total")).toBe(stats.nacked);
        expect(got.get("consilium_in_flight")).toBe(stats.inFlight);
      }),
      { numRuns: 200 },
    );
  });

  it("adds observer reports on top, treats a count going down as a restart, and stops when untracked", async () => {
    const stats = liveStats();
    const m = new ConsiliumMetrics();
    const untrack = m.trackStats(stats);
    stats.acked = 10;
    m.onAck(1);
    expect(parseExposition(await m.metricsText()).get("consilium_acks_total")).toBe(11);
    stats.acked = 4; // a new run reusing the object: 4 more acks
    expect(parseExposition(await m.metricsText()).get("consilium_acks_total")).toBe(15);
    stats.acked = 6;
    untrack(); // takes the last growth, then no more
    stats.acked = 100;
    expect(parseExposition(await m.metricsText()).get("consilium_acks_total")).toBe(17);
  });
});
