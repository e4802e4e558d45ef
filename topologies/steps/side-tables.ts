/**
 * Adapters from the runtime's side-input tables (latest event by key) to the shapes the portfolio
 * operators read: a {@link CovarianceModel} from the latest correlation matrix of a universe, and
 * {@link InstrumentInfo} by instrument from the latest market data.
 */
import { filter, map, type Observable } from "rxjs";
import type { CovarianceModel, InstrumentInfo } from "../../lib/domain/portfolio.js";
import type { CorrelationMatrixUpdatedEvent } from "../../lib/events/correlation-matrix-updated.js";
import type { NormalizedMarketDataEvent } from "../../lib/events/normalized-market-data.js";

export function toCovarianceModel(m: CorrelationMatrixUpdatedEvent): CovarianceModel {
  return { instrumentIds: m.instrumentIds, correlations: m.correlations, volatilities: m.volatilities, asOf: m.asOf };
}

export function toInstrumentInfo(md: NormalizedMarketDataEvent): InstrumentInfo {
  return {
    instrumentId: md.instrumentId,
    price: md.price,
    averageDailyVolume: md.averageDailyVolume,
    ...(md.volatility !== undefined ? { volatility: md.volatility } : {}),
    ...(md.sector !== undefined ? { sector: md.sector } : {}),
    ...(md.country !== undefined ? { country: md.country } : {}),
    assetClass: "equity",
  };
}

/** The covariance model of one universe, each time its matrix changes. */
export function covarianceOf(
  table$: Observable<ReadonlyMap<string, CorrelationMatrixUpdatedEvent>>,
  universeId: string,
): Observable<CovarianceModel> {
  let last: CorrelationMatrixUpdatedEvent | undefined;
  let model: CovarianceModel | undefined;
  return table$.pipe(
    map((t) => {
      const m = t.get(universeId);
      if (m !== undefined && m !== last) {
        last = m;
        model = toCovarianceModel(m);
      }
      return model;
    }),
    filter((m): m is CovarianceModel => m !== undefined),
  );
}

/**
 * Market facts by instrument. The returned map is kept up to date in place (only changed events are
 * converted) and re-emitted after every update, like the runtime's own tables.
 */
export function instrumentsOf(
  table$: Observable<ReadonlyMap<string, NormalizedMarketDataEvent>>,
): Observable<ReadonlyMap<string, InstrumentInfo>> {
  const seen = new Map<string, NormalizedMarketDataEvent>();
  const infos = new Map<string, InstrumentInfo>();
  return table$.pipe(
    map((t) => {
      for (const [id, md] of t) {
        if (seen.get(id) !== md) {
          seen.set(id, md);
          infos.set(id, toInstrumentInfo(md));
        }
      }
      return infos;
    }),
  );
}
