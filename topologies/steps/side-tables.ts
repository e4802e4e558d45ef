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
 * Market facts by instrument: a view over the latest market-data table that converts an event the
 * first time it is read (and again only when the table holds a new event for that instrument),
 * re-emitted after every update like the runtime's own tables. An update costs O(1), not a scan of
 * the table: market data updates every instrument every day, and most are never read.
 */
export function instrumentsOf(
  table$: Observable<ReadonlyMap<string, NormalizedMarketDataEvent>>,
): Observable<ReadonlyMap<string, InstrumentInfo>> {
  let view: InstrumentView | undefined;
  return table$.pipe(
    map((t) => {
      if (view === undefined || view.table !== t) view = new InstrumentView(t);
      return view;
    }),
  );
}

/** {@link InstrumentInfo} by instrument, read through a market-data table (see {@link instrumentsOf}). */
class InstrumentView implements ReadonlyMap<string, InstrumentInfo> {
  private readonly cache = new Map<string, { readonly md: NormalizedMarketDataEvent; readonly info: InstrumentInfo }>();

  constructor(readonly table: ReadonlyMap<string, NormalizedMarketDataEvent>) {}

  get(id: string): InstrumentInfo | undefined {
    const md = this.table.get(id);
    return md === undefined ? undefined : this.info(id, md);
  }

  has(id: string): boolean {
    return this.table.has(id);
  }

  get size(): number {
    return this.table.size;
  }

  private info(id: string, md: NormalizedMarketDataEvent): InstrumentInfo {
    const hit = this.cache.get(id);
    if (hit !== undefined && hit.md === md) return hit.info;
    const info = toInstrumentInfo(md);
    this.cache.set(id, { md, info });
    return info;
  }

  *entries(): MapIterator<[string, InstrumentInfo]> {
    for (const [id, md] of this.table) yield [id, this.info(id, md)];
  }

  keys(): MapIterator<string> {
    return this.table.keys();
  }

  *values(): MapIterator<InstrumentInfo> {
    for (const [, info] of this.entries()) yield info;
  }

  [Symbol.iterator](): MapIterator<[string, InstrumentInfo]> {
    return this.entries();
  }

  forEach(
    cb: (value: InstrumentInfo, key: string, map: ReadonlyMap<string, InstrumentInfo>) => void,
    thisArg?: unknown,
  ): void {
    for (const [id, info] of this.entries()) cb.call(thisArg, info, id, this);
  }
}
