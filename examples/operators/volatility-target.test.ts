import fc from "fast-check";
import { BehaviorSubject } from "rxjs";
import { describe, expect, it } from "vitest";
import type { InstrumentInfo } from "../../lib/domain/portfolio.js";
import type { TradingSignalEvent } from "../../lib/events/trading-signal.js";
import { record, type StreamItem, watermark } from "../../lib/stream/item.js";
import { tradingSignalArb } from "../../lib/testing/event-arbitraries.js";
import { checkAccountingIdentity } from "../../lib/testing/laws.js";
import { runOperator } from "../../lib/testing/run-operator.js";
import { volatilityTarget, volatilityTargetStrength } from "./volatility-target.js";

const info = (instrumentId: string, volatility?: number): InstrumentInfo => ({
  instrumentId,
  price: 100,
  averageDailyVolume: 1e6,
  ...(volatility !== undefined ? { volatility } : {}),
});

describe("volatilityTarget (user-written operator)", () => {
  it("scales strength by target / σ, capped at 1, and sets aside instruments without a volatility", () => {
    const market = new BehaviorSubject<ReadonlyMap<string, InstrumentInfo>>(
      new Map([
        ["AAPL", info("AAPL", 0.4)],
        ["KO", info("KO", 0.1)],
        ["XOM", info("XOM")],
      ]),
    );
    const signal = (id: string, instrumentId: string, strength: number) =>
      record({ eventId: id, instrumentId, strength } as TradingSignalEvent, 1, "p", [id]);
    const input: StreamItem<TradingSignalEvent>[] = [
      signal("a", "AAPL", 0.8),
      signal("k", "KO", 0.8),
      signal("x", "XOM", 0.8),
      watermark(5),
    ];
    const run = runOperator(volatilityTarget({ targetVolatility: 0.2, market$: market }), input);
    expect(run.main.map((r) => r.value.eventId)).toEqual(["a", "k"]);
    expect(run.main[0]!.value.strength).toBeCloseTo(0.4, 12); // 0.8 · 0.2 / 0.4
    expect(run.main[1]!.value.strength).toBe(1); // 0.8 · 0.2 / 0.1 = 1.6, capped
    expect(run.sides.rejected?.map((s) => [s.reason, s.record.ids])).toEqual([["no-volatility", ["x"]]]);
    expect(run.watermarks).toEqual([5]);
  });

  it("is 1:1 (accounting identity) and never raises a strength above 1 or changes its sign", () => {
    fc.assert(
      fc.property(
        fc.array(tradingSignalArb(), { maxLength: 20 }),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        (signals, vol) => {
          const market = new BehaviorSubject<ReadonlyMap<string, InstrumentInfo>>(
            new Map(signals.filter((_, i) => i % 3 !== 0).map((s) => [s.instrumentId, info(s.instrumentId, vol)])),
          );
          const input = signals.map((s) => record(s, s.eventTime, s.portfolioId, [s.eventId]));
          const run = runOperator(volatilityTarget({ targetVolatility: 0.15, market$: market }), input);
          expect(checkAccountingIdentity(input, run, { oneToOne: true })).toEqual([]);
          for (const r of run.main) {
            expect(r.value.strength).toBeGreaterThanOrEqual(0);
            expect(r.value.strength).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("is monotone in σ: a more volatile instrument never gets a stronger signal", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 3, noNaN: true }),
        fc.double({ min: 0.01, max: 3, noNaN: true }),
        (s, v1, v2) => {
          const [lo, hi] = v1 <= v2 ? [v1, v2] : [v2, v1];
          expect(volatilityTargetStrength(s, 0.2, hi)).toBeLessThanOrEqual(volatilityTargetStrength(s, 0.2, lo));
        },
      ),
    );
  });
});
