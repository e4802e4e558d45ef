import { describe, expect, it } from "vitest";
import { ConsiliumMetrics } from "./consilium-metrics.js";
import { parseExposition } from "./parse-exposition.js";
import { combineObservers, type RuntimeObserver } from "./runtime-observer.js";

/** A recording observer implementing only the required part of the contract. */
function recorder(log: string[]): RuntimeObserver {
  return {
    onIn: (topic, n) => log.push(`in ${topic} ${n}`),
    onOut: (topic, n) => log.push(`out ${topic} ${n}`),
    onDeadLetter: (reason, n = 1) => log.push(`dead ${reason} ${n}`),
    onSide: (tag, n = 1) => log.push(`side ${tag} ${n}`),
    onAck: (n) => log.push(`ack ${n}`),
    onNack: (n) => log.push(`nack ${n}`),
    onLatency: (s) => log.push(`latency ${s}`),
  };
}

describe("combineObservers", () => {
  it("fans every report out in order, and skips optional methods an observer lacks", async () => {
    const log: string[] = [];
    const metrics = new ConsiliumMetrics();
    const all = combineObservers(recorder(log), metrics);
    all.onIn("signals", 3);
    all.onDeadLetter("invalid-json");
    all.onSide("late", 2);
    all.onOut("decisions", 2);
    all.onAck(3);
    all.onNack(1);
    all.onLatency(0.001);
    all.onRedelivery(1);
    all.onInFlight(4);
    all.onWatermarkLag(20);
    all.onWindowLatency(0.0012);
    expect(log).toEqual([
      "in signals 3",
      "dead invalid-json 1",
      "side late 2",
      "out decisions 2",
      "ack 3",
      "nack 1",
      "latency 0.001",
    ]);
    const s = parseExposition(await metrics.metricsText());
    expect(s.get('consilium_dead_letters_total{reason="invalid-json"}')).toBe(1);
    expect(s.get("consilium_redeliveries_total")).toBe(1);
    expect(s.get("consilium_in_flight")).toBe(4);
    expect(s.get("consilium_watermark_lag_ms")).toBe(20);
    expect(s.get("consilium_end_to_end_latency_seconds_count")).toBe(1);
    expect(s.get("consilium_window_output_latency_seconds_count")).toBe(1);
  });
});
