import fc from "fast-check";
import { register as globalRegistry } from "prom-client";
import { describe, expect, it } from "vitest";
import { OVERFLOW_LABEL } from "./bounded-counter.js";
import { ConsiliumMetrics, LATENCY_BUCKETS_SECONDS } from "./consilium-metrics.js";
import { parseExposition } from "./parse-exposition.js";

const series = async (m: ConsiliumMetrics) => parseExposition(await m.metricsText());

type Op =
  | { kind: "in" | "out"; label: string; n: number }
  | { kind: "dead" | "side"; label: string; n: number }
  | { kind: "ack" | "nack" | "redelivery"; n: number }
  | { kind: "scrape" };

const label = fc.constantFrom("a", "b", "c", "persistent://public/default/signals", 'we"ird\\label');
const count = fc.integer({ min: 0, max: 1000 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom("in" as const, "out" as const), label, n: count }),
  fc.record({ kind: fc.constantFrom("dead" as const, "side" as const), label, n: count }),
  fc.record({ kind: fc.constantFrom("ack" as const, "nack" as const, "redelivery" as const), n: count }),
  fc.constant({ kind: "scrape" as const }),
);

const escapeLabel = (v: string) => v.replaceAll("\\", "\\\\").replaceAll('"', '\\"');

describe("ConsiliumMetrics counters", () => {
  it("property: every counter equals the sum of what was reported, however scrapes interleave", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        const m = new ConsiliumMetrics();
        const model = new Map<string, number>();
        const add = (key: string, n: number) => model.set(key, (model.get(key) ?? 0) + n);
        const names = {
          in: "events_in_total",
          out: "events_out_total",
          dead: "dead_letters_total",
          side: "side_outputs_total",
        };
        const labelName = { in: "topic", out: "topic", dead: "reason", side: "tag" };
        for (const op of ops) {
          switch (op.kind) {
            case "in":
            case "out":
            case "dead":
            case "side": {
              if (op.kind === "in") m.onIn(op.label, op.n);
              else if (op.kind === "out") m.onOut(op.label, op.n);
              else if (op.kind === "dead") m.onDeadLetter(op.label, op.n);
              else m.onSide(op.label, op.n);
              if (op.n > 0) add(`consilium_${names[op.kind]}{${labelName[op.kind]}="${escapeLabel(op.label)}"}`, op.n);
              break;
            }
            case "ack":
              m.onAck(op.n);
              add("consilium_acks_total", op.n);
              break;
            case "nack":
              m.onNack(op.n);
              add("consilium_nacks_total", op.n);
              break;
            case "redelivery":
              m.onRedelivery(op.n);
              add("consilium_redeliveries_total", op.n);
              break;
            case "scrape":
              await m.metricsText();
              break;
          }
        }
        const got = await series(m);
        for (const [key, value] of model) expect(got.get(key), key).toBe(value);
        // No other counter series carries a non-zero count.
        for (const [key, value] of got) {
          if (/_total(\{|$)/.test(key) && !key.startsWith("consilium_metric_label_overflow") && value !== 0) {
            expect(model.has(key), key).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("ignores counts that are negative, NaN or infinite; 0 only creates the series", async () => {
    const m = new ConsiliumMetrics();
    for (const n of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      m.onIn("t", n);
      m.onAck(n);
      m.onDeadLetter("schema-violation", n);
    }
    m.onIn("t", 2);
    const s = await series(m);
    expect(s.get('consilium_events_in_total{topic="t"}')).toBe(2);
    expect(s.get("consilium_acks_total")).toBe(0);
    expect(s.get('consilium_dead_letters_total{reason="schema-violation"}')).toBe(0);
    m.onSide("never-zero", -1);
    expect((await series(m)).has('consilium_side_outputs_total{tag="never-zero"}')).toBe(false);
  });

  it("writes the expected exposition lines", async () => {
    const m = new ConsiliumMetrics({ defaultLabels: { worker: "w1" } });
    m.onIn("signals", 3);
    m.onOut("decisions", 2);
    m.onDeadLetter("invalid-json");
    m.onSide("late", 4);
    m.onAck(3);
    m.onNack(1);
    m.onRedelivery(1);
    m.onInFlight(17);
    m.onWatermarkLag(1250);
    m.onLatency(0.0003);
    m.onWindowLatency(0.0015);
    m.onWindowLatency(0.0031);
    m.onWindowLatency(Number.NaN); // ignored
    m.setTopology({ name: "portfolio-coordination", version: "1.0.0", hash: "abc123" });
    const text = await m.metricsText();
    const lines = text.split("\n");
    for (const expected of [
      "# TYPE consilium_events_in_total counter",
      'consilium_events_in_total{topic="signals",worker="w1"} 3',
      'consilium_events_out_total{topic="decisions",worker="w1"} 2',
      'consilium_dead_letters_total{reason="invalid-json",worker="w1"} 1',
      'consilium_side_outputs_total{tag="late",worker="w1"} 4',
      'consilium_acks_total{worker="w1"} 3',
      'consilium_nacks_total{worker="w1"} 1',
      'consilium_redeliveries_total{worker="w1"} 1',
      "# TYPE consilium_in_flight gauge",
      'consilium_in_flight{worker="w1"} 17',
      'consilium_watermark_lag_ms{worker="w1"} 1250',
      "# TYPE consilium_end_to_end_latency_seconds histogram",
      'consilium_end_to_end_latency_seconds_bucket{le="0.00025",worker="w1"} 0',
      'consilium_end_to_end_latency_seconds_bucket{le="0.0005",worker="w1"} 1',
      'consilium_end_to_end_latency_seconds_bucket{le="+Inf",worker="w1"} 1',
      'consilium_end_to_end_latency_seconds_sum{worker="w1"} 0.0003',
      'consilium_end_to_end_latency_seconds_count{worker="w1"} 1',
      "# TYPE consilium_window_output_latency_seconds histogram",
      'consilium_window_output_latency_seconds_bucket{le="0.001",worker="w1"} 0',
      'consilium_window_output_latency_seconds_bucket{le="0.002",worker="w1"} 1',
      'consilium_window_output_latency_seconds_bucket{le="0.005",worker="w1"} 2',
      'consilium_window_output_latency_seconds_count{worker="w1"} 2',
      'consilium_topology_info{name="portfolio-coordination",version="1.0.0",hash="abc123",worker="w1"} 1',
    ]) {
      expect(lines, expected).toContain(expected);
    }
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("keeps gauges at the last value reported", async () => {
    const m = new ConsiliumMetrics();
    m.onInFlight(5);
    m.onInFlight(2);
    m.onWatermarkLag(300);
    m.onWatermarkLag(Number.NaN);
    const s = await series(m);
    expect(s.get("consilium_in_flight")).toBe(2);
    expect(s.get("consilium_watermark_lag_ms")).toBe(300);
  });

  it("property: histogram buckets are cumulative counts of samples <= le, 50 µs .. 1 s", async () => {
    expect(LATENCY_BUCKETS_SECONDS[0]).toBe(0.00005);
    expect(LATENCY_BUCKETS_SECONDS.at(-1)).toBe(1);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(fc.double({ min: -0.001, max: 2, noNaN: true }), fc.constantFrom(...LATENCY_BUCKETS_SECONDS)),
          {
            maxLength: 50,
          },
        ),
        async (samples) => {
          const m = new ConsiliumMetrics();
          m.observeLatencies(samples);
          const s = await series(m);
          for (const le of LATENCY_BUCKETS_SECONDS) {
            const expected = samples.filter((x) => Math.max(x, 0) <= le).length;
            expect(s.get(`consilium_end_to_end_latency_seconds_bucket{le="${le}"}`)).toBe(expected);
          }
          expect(s.get('consilium_end_to_end_latency_seconds_bucket{le="+Inf"}')).toBe(samples.length);
          expect(s.get("consilium_end_to_end_latency_seconds_count")).toBe(samples.length);
          const sum = samples.reduce((a, x) => a + Math.max(x, 0), 0);
          expect(s.get("consilium_end_to_end_latency_seconds_sum")).toBeCloseTo(sum, 9);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("ConsiliumMetrics label cardinality", () => {
  it("gives at most maxLabelValues series per label and folds the rest into _overflow, losing no count", async () => {
    const m = new ConsiliumMetrics({ maxLabelValues: 3 });
    let total = 0;
    for (let i = 0; i < 50; i++) {
      m.onIn(`topic-${i % 10}`, i + 1);
      total += i + 1;
    }
    const s = await series(m);
    const inSeries = [...s].filter(([k]) => k.startsWith("consilium_events_in_total{"));
    expect(inSeries.map(([k]) => k).sort()).toEqual(
      [
        'consilium_events_in_total{topic="topic-0"}',
        'consilium_events_in_total{topic="topic-1"}',
        'consilium_events_in_total{topic="topic-2"}',
        `consilium_events_in_total{topic="${OVERFLOW_LABEL}"}`,
      ].sort(),
    );
    expect(inSeries.reduce((a, [, v]) => a + v, 0)).toBe(total);
    const folded = s.get(`consilium_events_in_total{topic="${OVERFLOW_LABEL}"}`);
    expect(s.get('consilium_metric_label_overflow_total{metric="consilium_events_in_total"}')).toBe(folded);
  });

  it("property: series per labelled counter never exceed cap + 1, whatever the labels", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.integer({ min: 1, max: 5 })), { maxLength: 80 }),
        async (cap, reports) => {
          const m = new ConsiliumMetrics({ maxLabelValues: cap });
          for (const [tag, n] of reports) m.onSide(tag, n);
          const s = await series(m);
          const sides = [...s].filter(([k]) => k.startsWith("consilium_side_outputs_total{"));
          expect(sides.length).toBeLessThanOrEqual(cap + 1);
          expect(sides.reduce((a, [, v]) => a + v, 0)).toBe(reports.reduce((a, [, n]) => a + n, 0));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("ConsiliumMetrics registry", () => {
  it("uses its own registry: several instances coexist and the global registry stays clean", async () => {
    const a = new ConsiliumMetrics();
    const b = new ConsiliumMetrics();
    a.onAck(2);
    b.onAck(5);
    expect((await series(a)).get("consilium_acks_total")).toBe(2);
    expect((await series(b)).get("consilium_acks_total")).toBe(5);
    expect(await globalRegistry.metrics()).not.toContain("consilium_");
  });

  it("honours a custom prefix and opt-in process metrics", async () => {
    const m = new ConsiliumMetrics({ prefix: "desk_", processMetrics: true });
    m.onIn("x", 1);
    const text = await m.metricsText();
    expect(text).toContain('desk_events_in_total{topic="x"} 1');
    expect(text).toContain("# TYPE desk_process_cpu_user_seconds_total counter");
    expect(text).not.toContain("consilium_");
  });
});
