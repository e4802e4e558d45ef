import { Histogram, type Registry } from "prom-client";

type Sample = { value: number; labels: Record<string, string | number>; metricName?: string; exemplar?: null };
type Snapshot = { name: string; help: string; type: "histogram"; values: Sample[]; aggregator: string };

/**
 * An unlabelled prom-client histogram whose `record(v)` costs a binary search and three adds on
 * typed arrays (prom-client's `observe` hashes labels and stringifies the bucket bound on every
 * call). It is a real `Histogram` in its registry; at collection it reports its own counts in
 * the exposition prom-client's histograms use (`_bucket{le}` cumulative, `+Inf`, `_sum`, `_count`).
 * Use `record`, not `observe` (which would go to prom-client's own, unreported, store).
 */
export class FastHistogram extends Histogram<string> {
  // Set by prom-client's Metric constructor; not in its type declarations.
  declare readonly name: string;
  declare readonly help: string;
  declare readonly aggregator: string;
  private readonly bounds: Float64Array;
  /** Per-bucket (not cumulative) counts; the last slot is above the largest bound. */
  private readonly counts: Float64Array;
  private total = 0;
  private sum = 0;

  constructor(config: { name: string; help: string; buckets: readonly number[]; registers: Registry[] }) {
    const buckets = [...config.buckets].sort((a, b) => a - b);
    super({ name: config.name, help: config.help, buckets, registers: config.registers });
    this.bounds = Float64Array.from(buckets);
    this.counts = new Float64Array(buckets.length + 1);
  }

  /** One sample; the caller guarantees a finite number. Lands in the first bucket with v <= le. */
  record(v: number): void {
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo]! += 1;
    this.total += 1;
    this.sum += v;
  }

  override reset(): void {
    super.reset();
    this.counts?.fill(0); // also called by prom-client's constructor, before the fields exist
    this.total = 0;
    this.sum = 0;
  }

  /** What the registry reads for the text exposition. */
  async getForPromString(): Promise<Snapshot> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i]!;
      values.push({ labels: { le: this.bounds[i]! }, value: cumulative, metricName: bucket, exemplar: null });
    }
    values.push({ labels: { le: "+Inf" }, value: this.total, metricName: bucket, exemplar: null });
    values.push({ labels: {}, value: this.sum, metricName: `${this.name}_sum` });
    values.push({ labels: {}, value: this.total, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: "histogram", values, aggregator: this.aggregator };
  }

  override async get() {
    return (await this.getForPromString()) as unknown as Awaited<ReturnType<Histogram<string>["get"]>>;
  }
}
