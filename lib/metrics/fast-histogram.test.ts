import fc from "fast-check";
import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { LATENCY_BUCKETS_SECONDS } from "./consilium-metrics.js";
import { FastHistogram } from "./fast-histogram.js";

describe("FastHistogram", () => {
  it("property: exposes exactly what prom-client's own Histogram exposes for the same samples", async () => {
    const sample = fc.oneof(
      fc.double({ min: 0, max: 3, noNaN: true }),
      fc.constantFrom(0, ...LATENCY_BUCKETS_SECONDS),
      fc.double({ min: 0, max: 0.002, noNaN: true }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(sample, { maxLength: 100 }), fc.boolean(), async (samples, reset) => {
        const mine = new Registry();
        const theirs = new Registry();
        mine.setDefaultLabels({ worker: "w" });
        theirs.setDefaultLabels({ worker: "w" });
        const fast = new FastHistogram({ name: "lat", help: "h", buckets: LATENCY_BUCKETS_SECONDS, registers: [mine] });
        const ref = new Histogram({
          name: "lat",
          help: "h",
          buckets: [...LATENCY_BUCKETS_SECONDS],
          registers: [theirs],
        });
        for (const v of samples) {
          fast.record(v);
          ref.observe(v);
        }
        if (reset) {
          fast.reset();
          ref.reset();
          ref.zero({});
          fast.record(0.0007);
          ref.observe(0.0007);
        }
        expect(await mine.metrics()).toBe(await theirs.metrics());
        expect(await mine.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
      }),
      { numRuns: 300 },
    );
  });

  it("sorts unsorted bucket bounds", async () => {
    const r = new Registry();
    const h = new FastHistogram({ name: "x", help: "h", buckets: [1, 0.1, 0.5], registers: [r] });
    h.record(0.3);
    const lines = (await r.metrics()).split("\n").filter((l) => l.startsWith("x_bucket"));
    expect(lines).toEqual([
      'x_bucket{le="0.1"} 0',
      'x_bucket{le="0.5"} 1',
      'x_bucket{le="1"} 1',
      'x_bucket{le="+Inf"} 1',
    ]);
  });
});
