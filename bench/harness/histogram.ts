import * as hdr from "hdr-histogram-js";

/** Latency percentiles in microseconds, from an HDR histogram of nanosecond samples. */
export interface LatencySummary {
  readonly samples: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
}

/** An HDR histogram of nanosecond latencies (3 significant digits, auto-resizing). */
export class LatencyHistogram {
  private readonly h = hdr.build({
    bitBucketSize: 64,
    autoResize: true,
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: 3,
  });

  record(ns: number): void {
    this.h.recordValue(Math.max(1, Math.round(ns)));
  }

  summary(): LatencySummary {
    const h = this.h;
    const us = (ns: number): number => Math.round(ns / 10) / 100;
    if (h.totalCount === 0)
      return {
        samples: 0,
        p50Us: Number.NaN,
        p99Us: Number.NaN,
        p999Us: Number.NaN,
        maxUs: Number.NaN,
        meanUs: Number.NaN,
      };
    return {
      samples: h.totalCount,
      p50Us: us(h.getValueAtPercentile(50)),
      p99Us: us(h.getValueAtPercentile(99)),
      p999Us: us(h.getValueAtPercentile(99.9)),
      maxUs: us(h.maxValue),
      meanUs: us(h.mean),
    };
  }
}
