import fc from "fast-check";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import type { TradingSignalEvent } from "../lib/events/trading-signal.js";
import { record, type StreamItem, sideOutput, watermark } from "../lib/stream/item.js";
import {
  accountingIdentityLaw,
  determinismLaw,
  orderedRecordsArb,
  runOperator,
  tradingSignalArb,
  withHeartbeats,
} from "../lib/testing/index.js";
import { QualityRejectReason, qualityFilter } from "./quality-filter.js";

type Q = { confidence: number; source: string; strength?: number };
const q = (confidence: number, source = "s1", t = 0, strength?: number) =>
  record<Q>({ confidence, source, ...(strength === undefined ? {} : { strength }) }, t, "p", [
    `${source}-${confidence}-${t}`,
  ]);

describe("qualityFilter", () => {
  it("rejects below the confidence threshold with a reason code (marbles)", () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const values = { s: q(0.9), t: q(0.2), w: watermark(10) };
      const input = cold<StreamItem<Q>>("-s-t-w-|", values);
      expectObservable(input.pipe(qualityFilter<Q>({ minConfidence: 0.5 }))).toBe("-s-r-w-|", {
        ...values,
        r: sideOutput("rejected", "low-confidence", values.t),
      });
    });
  });

  it("checks staleness against the watermark, source reliability, strength and quality, in that order", () => {
    const op = qualityFilter<Q>({
      maxStalenessMs: 100,
      sourceReliability: { good: 0.9, bad: 0.1 },
      defaultReliability: 0.5,
      minReliability: 0.3,
      minConfidence: 0.2,
      minStrength: 0.1,
      minQuality: 0.3,
    });
    const run = runOperator(op, [
      q(0.9, "good", 950),
      watermark(1000),
      q(0.9, "good", 850), // 150 behind the watermark
      q(0.05, "bad", 900), // stale? no (100); unreliable first
      q(0.1, "good", 990),
      q(0.9, "good", 990, 0.05),
      q(0.5, "unknown", 990), // 0.5 × 0.5 = 0.25 < 0.3
      q(0.7, "unknown", 990), // 0.35
    ]);
    expect(run.sides["rejected"]?.map((s) => s.reason)).toEqual([
      QualityRejectReason.stale,
      QualityRejectReason.unreliableSource,
      QualityRejectReason.lowConfidence,
      QualityRejectReason.lowStrength,
      QualityRejectReason.lowQuality,
    ]);
    expect(run.main.map((m) => m.value.confidence)).toEqual([0.9, 0.7]);
  });

  it("law: accounting identity (1:1) and determinism on realistic signals", () => {
    const stream = orderedRecordsArb<TradingSignalEvent>({ value: tradingSignalArb(), maxLength: 20 }).chain((recs) =>
      withHeartbeats(recs),
    );
    const make = () =>
      qualityFilter<TradingSignalEvent>({
        minConfidence: 0.3,
        maxStalenessMs: 5,
        sourceReliability: { "nlp-news": 0.2, "macro-desk": 0.9 },
        minReliability: 0.5,
      });
    fc.assert(accountingIdentityLaw(make, stream, { oneToOne: true }), { numRuns: 1000 });
    fc.assert(determinismLaw(make, stream), { numRuns: 1000 });
  });
});
