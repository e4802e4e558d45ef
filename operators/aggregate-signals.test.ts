import fc from "fast-check";
import type { Observable } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import type { TradingSignalEvent } from "../lib/events/trading-signal.js";
import { record, type StreamItem, watermark } from "../lib/stream/item.js";
import {
  accountingIdentityLaw,
  determinismLaw,
  orderedRecordsArb,
  reorderWithinBound,
  runOperator,
  tradingSignalArb,
  withLateEvents,
} from "../lib/testing/index.js";
import { type AggregateSignalsOptions, aggregateSignals, combineSignals } from "./aggregate-signals.js";
import { hasOrderKeys, unionIds } from "./internal/lineage.js";
import { withWatermarks } from "./with-watermarks.js";

/** The long and the short weight of `list` (confidence × strength, reliability 1), summed in its order. */
function weightSums(list: readonly TradingSignalEvent[]): [long: number, short: number] {
  let long = 0;
  let short = 0;
  for (const s of list) {
    if (s.direction === "long") long += s.confidence * s.strength;
    else if (s.direction === "short") short += s.confidence * s.strength;
  }
  return [long, short];
}

/**
 * Whether the long and the short weight of `list` compare the same way summed in both orders. Sums
 * of doubles depend on the order at the last bit, and the minority side (`conflictingSources`) is
 * the one with the smaller sum: when the two sums are equal to within that rounding, either answer
 * is correct (long 0.1 + 0.2 + 0.3 against short 0.6 is a tie in one order and a long majority in
 * the other).
 */
function minorityIsOrderFree(list: readonly TradingSignalEvent[]): boolean {
  const sides = (xs: readonly TradingSignalEvent[]) => {
    const [long, short] = weightSums(xs);
    return `long minority ${long <= short}, short minority ${short <= long}`;
  };
  return sides(list) === sides([...list].reverse());
}

/** The long and short weight of `list`, summed in one pass, are equal to within rounding (1e-12). */
function minorityNearTie(list: readonly TradingSignalEvent[]): boolean {
  const [long, short] = weightSums(list);
  return Math.abs(long - short) <= 1e-12 * (long + short);
}

const sig = (over: Partial<TradingSignalEvent>): TradingSignalEvent => ({
  eventType: "TradingSignal",
  eventId: "s1",
  eventTime: 1,
  schemaVersion: 1,
  portfolioId: "p1",
  instrumentId: "AAPL",
  source: "a",
  strategy: "m",
  direction: "long",
  strength: 0.5,
  confidence: 0.8,
  horizonMs: 86_400_000,
  expectedReturn: 0.02,
  urgency: "normal",
  ...over,
});
const env = (s: TradingSignalEvent) => record(s, s.eventTime, s.portfolioId, [s.eventId]);
const W = { start: 0, end: 10 };

describe("combineSignals", () => {
  it("one signal: score = ±strength, confidence = its confidence, no conflict", () => {
    const n = combineSignals([sig({ direction: "short", strength: 0.4, confidence: 0.7 })], W);
    expect(n.score).toBeCloseTo(-0.4, 12);
    expect(n.direction).toBe("short");
    expect(n.strength).toBeCloseTo(0.4, 12);
    expect(n.confidence).toBeCloseTo(0.7, 12);
    expect(n.expectedReturn).toBe(0.02);
    expect([n.conflict, n.conflictingSources]).toEqual([false, []]);
  });

  it("two equal and opposite signals cancel: flat, zero confidence, both sources in conflict", () => {
    const n = combineSignals(
      [sig({ eventId: "x", source: "b" }), sig({ eventId: "y", source: "a", direction: "short" })],
      W,
    );
    expect(n.score).toBe(0);
    expect(n.direction).toBe("flat");
    expect(n.confidence).toBe(0);
    expect(n.conflict).toBe(true);
    expect(n.conflictingSources).toEqual(["a", "b"]);
    expect(n.contributingSignalIds).toEqual(["x", "y"]);
  });

  it("reliability weights: an unreliable minority is outvoted and listed as conflicting", () => {
    const n = combineSignals(
      [
        sig({ eventId: "1", source: "good", strength: 0.6, confidence: 0.9 }),
        sig({ eventId: "2", source: "noisy", direction: "short", strength: 0.9, confidence: 0.9 }),
      ],
      W,
      { sourceReliability: { good: 1, noisy: 0.2 } },
    );
    // q = 0.9 and 0.18; score = (0.9·0.6 − 0.18·0.9) / (0.9 + 0.18)
    expect(n.score).toBeCloseTo((0.54 - 0.162) / 1.08, 12);
    expect(n.conflictingSources).toEqual(["noisy"]);
    expect(n.urgency).toBe("normal");
  });

  const sigs = fc.array(tradingSignalArb({ portfolioIds: ["p"], instrumentIds: ["X"] }), {
    minLength: 1,
    maxLength: 8,
  });

  it("property: bounds, sign consistency, conflict iff both directions, order invariance, reliability scale invariance", () => {
    fc.assert(
      fc.property(sigs, fc.double({ min: 0.1, max: 10, noNaN: true }), (list, k) => {
        const n = combineSignals(list, W);
        expect(Math.abs(n.score)).toBeLessThanOrEqual(1);
        expect(n.strength).toBe(Math.abs(n.score));
        expect(n.confidence).toBeGreaterThanOrEqual(0);
        expect(n.confidence).toBeLessThanOrEqual(1 + 1e-12);
        expect(n.direction).toBe(n.score > 0 ? "long" : n.score < 0 ? "short" : "flat");
        const longs = list.filter((s) => s.direction === "long").length;
        const shorts = list.filter((s) => s.direction === "short").length;
        expect(n.conflict).toBe(longs > 0 && shorts > 0);
        if (!n.conflict) expect(n.conflictingSources).toEqual([]);
        const rev = combineSignals([...list].reverse(), W);
        expect(rev.score).toBeCloseTo(n.score, 9);
        if (minorityIsOrderFree(list)) expect(rev.conflictingSources).toEqual(n.conflictingSources);
        const rel = Object.fromEntries(list.map((s) => [s.source, 0.5]));
        const scaled = Object.fromEntries(list.map((s) => [s.source, 0.5 * k]));
        expect(combineSignals(list, W, { sourceReliability: scaled }).score).toBeCloseTo(
          combineSignals(list, W, { sourceReliability: rel }).score,
          9,
        );
        if (shorts === 0 && longs > 0 && list.some((s) => s.direction === "long" && s.confidence > 0)) {
          // all views long or flat: the score is a weighted mean of signed strengths in [0, max strength]
          expect(n.score).toBeGreaterThanOrEqual(0);
          expect(n.score).toBeLessThanOrEqual(Math.max(...list.map((s) => s.strength)) + 1e-12);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("combineSignals at a rounding tie", () => {
  it("takes the minority from its sums as added: a tie to within rounding goes either way", () => {
    // long 0.1 + 0.2 + 0.3 is 0.6000000000000001 in this order and exactly 0.6 reversed
    const list = [
      sig({ eventId: "1", source: "a", confidence: 1, strength: 0.1 }),
      sig({ eventId: "2", source: "b", confidence: 1, strength: 0.2 }),
      sig({ eventId: "3", source: "c", confidence: 1, strength: 0.3 }),
      sig({ eventId: "4", source: "d", confidence: 1, strength: 0.6, direction: "short" }),
    ];
    expect(combineSignals(list, W).conflictingSources).toEqual(["d"]);
    expect(combineSignals([...list].reverse(), W).conflictingSources).toEqual(["a", "b", "c", "d"]);
    expect(minorityIsOrderFree(list)).toBe(false);
    expect(minorityNearTie(list)).toBe(true);
  });
});

describe("aggregateSignals", () => {
  it("emits one net signal per (portfolio, instrument) window, keyed by portfolio (marbles)", () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const l = env(sig({ eventId: "l", eventTime: 1, source: "a" }));
      const s = env(sig({ eventId: "s", eventTime: 3, source: "b", direction: "short", strength: 0.2 }));
      const input = cold<StreamItem<TradingSignalEvent>>("-l-s-w-------|", { l, s, w: watermark(9) });
      const net = combineSignals([l.value, s.value], W);
      expectObservable(input.pipe(aggregateSignals({ window: { kind: "tumbling", sizeMs: 10 } }))).toBe(
        "-----(nw)----|",
        { n: record({ ...net, firing: "final" }, 9, "p1", ["l", "s"]), w: watermark(9) },
      );
      expect(net.conflict).toBe(true);
      expect(net.conflictingSources).toEqual(["b"]);
    });
  });

  const stream = orderedRecordsArb<TradingSignalEvent>({
    value: tradingSignalArb({ portfolioIds: ["p1", "p2"], instrumentIds: ["A", "B", "C"] }),
    keyOf: (v) => v.portfolioId,
    maxLength: 15,
  }).map((recs) =>
    recs.map((r) => record({ ...r.value, eventId: r.ids[0]!, eventTime: r.eventTime }, r.eventTime, r.key, r.ids)),
  );

  it("property: groups exactly by (portfolio, instrument, window) and lists every contributing id", () => {
    fc.assert(
      fc.property(stream, (recs) => {
        const run = runOperator(
          (s: Observable<StreamItem<TradingSignalEvent>>) =>
            s.pipe(
              withWatermarks({ outOfOrdernessMs: 0 }),
              aggregateSignals({ window: { kind: "tumbling", sizeMs: 20 } }),
            ),
          recs,
        );
        const want = new Map<string, string[]>();
        for (const r of recs) {
          const k = `${r.value.portfolioId}/${r.value.instrumentId}/${Math.floor(r.eventTime / 20) * 20}`;
          want.set(k, [...(want.get(k) ?? []), r.value.eventId]);
        }
        const got = new Map<string, readonly string[]>();
        for (const m of run.main) {
          expect(m.key).toBe(m.value.portfolioId);
          expect(m.ids).toEqual(m.value.contributingSignalIds);
          got.set(
            `${m.value.portfolioId}/${m.value.instrumentId}/${m.value.windowStart}`,
            m.value.contributingSignalIds,
          );
        }
        expect(got.size).toBe(want.size);
        for (const [k, ids] of want) expect(got.get(k)).toEqual([...ids].sort());
      }),
      { numRuns: 1000 },
    );
  });

  const specs = fc.constantFrom<AggregateSignalsOptions>(
    { window: { kind: "tumbling", sizeMs: 20 } },
    { window: { kind: "hopping", sizeMs: 20, advanceMs: 5 }, emit: "update" },
    { window: { kind: "session", gapMs: 4 } },
    { window: { kind: "session", gapMs: 4 }, emit: "update", accumulation: "discarding" },
    { window: { kind: "tumbling", sizeMs: 10 }, allowedLatenessMs: 10, accumulation: "discarding" },
  );
  /**
   * Dense signals out of order (within the watermark's bound, so that a record can bridge two
   * sessions: merges), some with more lineage than their event id (the accumulator's general path).
   */
  const dense = orderedRecordsArb<TradingSignalEvent>({
    value: tradingSignalArb({ portfolioIds: ["p1"], instrumentIds: ["A", "B"] }),
    keyOf: (v) => v.portfolioId,
    maxStepMs: 5,
    maxLength: 20,
  }).map((recs) =>
    recs.map((r) => record({ ...r.value, eventId: r.ids[0]!, eventTime: r.eventTime }, r.eventTime, r.key, r.ids)),
  );
  const mixedLineage = dense
    .chain((recs) => reorderWithinBound(recs, 8))
    .chain((recs) =>
      fc
        .array(fc.boolean(), { minLength: recs.length, maxLength: recs.length })
        .map((extra) =>
          recs.map((r, i) => (extra[i] ? record(r.value, r.eventTime, r.key, [`x-${r.value.eventId}`, ...r.ids]) : r)),
        ),
    );

  it("property: every firing equals combineSignals over the signals it lists (incremental = batch)", () => {
    fc.assert(
      fc.property(mixedLineage, specs, (recs, spec) => {
        const byId = new Map(recs.map((r) => [r.value.eventId, r.value]));
        const run = runOperator(
          (s: Observable<StreamItem<TradingSignalEvent>>) =>
            s.pipe(withWatermarks({ outOfOrdernessMs: 8 }), aggregateSignals(spec)),
          recs,
        );
        if (recs.length > 0) expect(run.main.length).toBeGreaterThan(0);
        for (const m of run.main) {
          const signals = m.value.contributingSignalIds.map((id) => byId.get(id)!);
          const { firing, ...net } = m.value;
          const want = combineSignals(signals, { start: net.windowStart, end: net.windowEnd });
          expect(net.contributingSignalIds).toEqual(want.contributingSignalIds);
          for (const id of m.ids) expect(byId.has(id) || id.startsWith("x-")).toBe(true);
          // a session merge adds partial sums as blocks: equal up to rounding
          const close = (a: number, b: number) =>
            expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(b)));
          for (const k of ["score", "strength", "confidence", "expectedReturn"] as const) close(net[k], want[k]);
          expect(Math.abs(net.horizonMs - want.horizonMs)).toBeLessThanOrEqual(1);
          expect({ ...net, score: 0, strength: 0, confidence: 0, expectedReturn: 0, horizonMs: 0 }).toEqual({
            ...want,
            score: 0,
            strength: 0,
            confidence: 0,
            expectedReturn: 0,
            horizonMs: 0,
          });
        }
      }),
      { numRuns: 500 },
    );
  });

  it("property: session merges add partial sums exactly as one pass would (up to rounding)", () => {
    const signal = tradingSignalArb({ portfolioIds: ["p1"], instrumentIds: ["A"] });
    fc.assert(
      fc.property(fc.array(fc.tuple(signal, signal), { minLength: 2, maxLength: 8 }), (pairs) => {
        // sessions at 0, 10, 20, … (gap 6: each alone), then bridges at 5, 15, … join them into one
        const at = (v: TradingSignalEvent, t: number, id: string) =>
          record({ ...v, eventId: id, eventTime: t }, t, "p1", [id]);
        const firsts = pairs.map(([v], i) => at(v, 10 * i, `s${i}`));
        const bridges = pairs.slice(1).map(([, v], i) => at(v, 10 * i + 5, `b${i}`));
        const run = runOperator(
          (s: Observable<StreamItem<TradingSignalEvent>>) =>
            s.pipe(
              withWatermarks({ outOfOrdernessMs: 1000 }),
              aggregateSignals({ window: { kind: "session", gapMs: 6 } }),
            ),
          [...firsts, ...bridges],
        );
        expect(run.main).toHaveLength(1);
        const { firing, ...net } = run.main[0]!.value;
        const want = combineSignals(
          [...firsts, ...bridges].map((r) => r.value),
          { start: 0, end: 10 * (pairs.length - 1) + 6 },
        );
        for (const k of ["score", "strength", "confidence", "expectedReturn"] as const) {
          expect(Math.abs(net[k] - want[k])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want[k])));
        }
        expect(net.contributingSignalIds).toEqual(want.contributingSignalIds);
        // The merge adds the sessions' sums as blocks, another order than one pass: the minority
        // and the sign of the score may differ only where they tie to within rounding.
        const values = [...firsts, ...bridges].map((r) => r.value);
        if (!minorityNearTie(values)) expect(net.conflictingSources).toEqual(want.conflictingSources);
        expect(net.sources).toEqual(want.sources);
        expect(net.urgency).toBe(want.urgency);
        expect(net.conflict).toBe(want.conflict);
        if (Math.abs(want.score) > 1e-12) expect(net.direction).toBe(want.direction);
      }),
      { numRuns: 300 },
    );
  });

  const lateStream = stream.chain((recs) =>
    withLateEvents<TradingSignalEvent>(recs, tradingSignalArb({ portfolioIds: ["p1"], instrumentIds: ["A"] }), {
      lateByMs: 15,
    }),
  );
  const op = () => (s: Observable<StreamItem<TradingSignalEvent>>) =>
    s.pipe(
      withWatermarks<TradingSignalEvent>({ outOfOrdernessMs: 2 }),
      aggregateSignals({ window: { kind: "hopping", sizeMs: 10, advanceMs: 5 }, allowedLatenessMs: 5, emit: "update" }),
    );

  it("law: accounting identity and determinism (hopping windows, lateness, update mode)", () => {
    fc.assert(accountingIdentityLaw(op, lateStream), { numRuns: 1000 });
    fc.assert(determinismLaw(op, lateStream), { numRuns: 1000 });
  });

  it("keeps the order keys of its net signals' id lists, so that a portfolio batch merges them by key", () => {
    // two instruments, 100 signals each, ids in time order but for pairs fed the other way round
    const input: StreamItem<TradingSignalEvent>[] = [];
    for (let i = 0; i < 200; i++) {
      const n = i % 10 === 0 ? i + 1 : i % 10 === 1 ? i - 1 : i;
      const s = sig({ eventId: `s${String(n).padStart(4, "0")}`, eventTime: i, instrumentId: i % 2 ? "MSFT" : "AAPL" });
      input.push(record(s, i, "p1", [s.eventId]));
    }
    input.push(watermark(1_000));
    const run = runOperator(aggregateSignals({ window: { kind: "tumbling", sizeMs: 1_000 } }), input);
    expect(run.main.map((r) => r.ids.length)).toEqual([100, 100]);
    for (const r of run.main) expect(hasOrderKeys(r.ids)).toBe(true);
    const union = unionIds(run.main.map((r) => r.ids));
    expect(union).toEqual(Array.from({ length: 200 }, (_, i) => `s${String(i).padStart(4, "0")}`));
    expect(hasOrderKeys(union)).toBe(true);
  });
});
