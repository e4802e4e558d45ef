import { Observable } from "rxjs";
import type { InstrumentInfo } from "../../lib/domain/portfolio.js";
import type { TradingSignalEvent } from "../../lib/events/trading-signal.js";
import { record, SideTag, type StreamItem, sideOutput } from "../../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../../lib/stream/operator.js";

export interface VolatilityTargetOptions {
  /** Annualized volatility a full-strength signal is meant to carry, e.g. 0.2. */
  readonly targetVolatility: number;
  /** Latest market facts by instrument (the operator reads `volatility`). */
  readonly market$: Observable<ReadonlyMap<string, InstrumentInfo>>;
}

/** The scaled strength: `min(1, strength · target / σ)`. */
export function volatilityTargetStrength(strength: number, targetVolatility: number, volatility: number): number {
  return Math.min(1, (strength * targetVolatility) / volatility);
}

/**
 * A user-written operator: volatility targeting of signal strength. A signal on an instrument
 * whose realized volatility σ is above the target is weakened in proportion (`strength ·
 * target / σ`), one on a calmer instrument is strengthened up to 1, so that equally strong views
 * carry comparable risk. The instrument's σ comes from the latest market data (a side input).
 * A signal on an instrument without a known volatility goes to the `rejected` side output with
 * reason `no-volatility`. 1:1; watermarks and upstream side outputs pass through.
 *
 * ```
 * targetVolatility: 0.2, σ(AAPL) = 0.4, σ(XOM) unknown
 * input:  -a(AAPL, strength 0.8)--x(XOM)--W--|
 * output: -a'(AAPL, strength 0.4)-r-------W--|   r = sideOutput("rejected", "no-volatility", x)
 * ```
 */
export function volatilityTarget(
  options: VolatilityTargetOptions,
): DescribedOperator<TradingSignalEvent, TradingSignalEvent> {
  if (!(options.targetVolatility > 0)) throw new RangeError("targetVolatility must be > 0");
  return describeOperator(
    (source: Observable<StreamItem<TradingSignalEvent>>) =>
      new Observable<StreamItem<TradingSignalEvent>>((sub) => {
        let market: ReadonlyMap<string, InstrumentInfo> | undefined;
        const side = options.market$.subscribe({ next: (m) => (market = m), error: (e) => sub.error(e) });
        const main = source.subscribe({
          next(item) {
            if (item.kind !== "record") {
              sub.next(item);
              return;
            }
            const vol = market?.get(item.value.instrumentId)?.volatility;
            if (vol === undefined || !(vol > 0)) {
              sub.next(sideOutput(SideTag.rejected, "no-volatility", item));
              return;
            }
            const strength = volatilityTargetStrength(item.value.strength, options.targetVolatility, vol);
            sub.next(record({ ...item.value, strength }, item.eventTime, item.key, item.ids));
          },
          error: (e) => sub.error(e),
          complete: () => sub.complete(),
        });
        return () => {
          side.unsubscribe();
          main.unsubscribe();
        };
      }),
    { operatorName: "volatilityTarget", sideOutputs: [SideTag.rejected] },
  );
}
