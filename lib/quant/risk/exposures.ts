/** Gross/net exposure aggregation by sector, country and single name. */

export interface Holding {
  readonly id: string;
  /** Signed weight (fraction of NAV) or signed notional — any consistent unit. */
  readonly weight: number;
  readonly sector?: string | undefined;
  readonly country?: string | undefined;
}

export interface Exposure {
  /** Σ max(w, 0) */
  readonly long: number;
  /** Σ max(−w, 0) (positive number) */
  readonly short: number;
  /** long + short = Σ|w| */
  readonly gross: number;
  /** long − short = Σ w */
  readonly net: number;
}

export interface ExposureReport {
  readonly total: Exposure;
  readonly bySector: Record<string, Exposure>;
  readonly byCountry: Record<string, Exposure>;
  /** Per instrument id; repeated ids are netted first. */
  readonly byName: Record<string, Exposure>;
}

/** Label used for holdings without a sector or country. */
export const UNKNOWN_BUCKET = "unknown";

function add(map: Map<string, number[]>, key: string, w: number): void {
  const list = map.get(key);
  if (list) list.push(w);
  else map.set(key, [w]);
}

function exposureOf(weights: readonly number[]): Exposure {
  let long = 0;
  let short = 0;
  for (const w of weights) {
    if (w > 0) long += w;
    else short -= w;
  }
  return { long, short, gross: long + short, net: long - short };
}

/**
 * Exposures. Names are netted per id first; sector and country buckets then sum those net name
 * positions (a long and a short in one sector both count towards its gross). Keys are sorted.
 */
export function exposures(holdings: readonly Holding[]): ExposureReport {
  const netByName = new Map<string, { w: number; sector: string; country: string }>();
  for (const h of holdings) {
    if (!Number.isFinite(h.weight)) continue;
    const cur = netByName.get(h.id);
    if (cur) cur.w += h.weight;
    else netByName.set(h.id, { w: h.weight, sector: h.sector ?? UNKNOWN_BUCKET, country: h.country ?? UNKNOWN_BUCKET });
  }
  const sectors = new Map<string, number[]>();
  const countries = new Map<string, number[]>();
  const all: number[] = [];
  const byName: Record<string, Exposure> = {};
  for (const id of [...netByName.keys()].sort()) {
    const h = netByName.get(id)!;
    byName[id] = exposureOf([h.w]);
    add(sectors, h.sector, h.w);
    add(countries, h.country, h.w);
    all.push(h.w);
  }
  const toRecord = (m: Map<string, number[]>) => {
    const out: Record<string, Exposure> = {};
    for (const k of [...m.keys()].sort()) out[k] = exposureOf(m.get(k)!);
    return out;
  };
  return { total: exposureOf(all), bySector: toRecord(sectors), byCountry: toRecord(countries), byName };
}
