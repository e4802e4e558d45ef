import { URGENCY_RANK, type Urgency } from "../../lib/events/common.js";
import type { TradingSignalEvent } from "../../lib/events/trading-signal.js";
import type { NetSignal } from "../../lib/domain/signals.js";
import { sortedUnique } from "./lineage.js";
import { sortStrings } from "./sort-strings.js";

/** How signals are weighted when they are combined. */
export interface SignalWeighting {
  /** Reliability score per source, 0..1. */
  readonly sourceReliability?: Readonly<Record<string, number>>;
  /** Reliability of sources missing from the map. Default 1. */
  readonly defaultReliability?: number;
  /** `|score| <= flatThreshold` gives direction `flat`. Default 0 (only an exact 0 is flat). */
  readonly flatThreshold?: number;
}

/**
 * The running sums behind a {@link NetSignal} (formulae: `combineSignals`), folded one signal at a
 * time, so that a window holds a dozen numbers instead of its signals and its firing costs O(sources),
 * not O(signals). Sums are added in arrival order, so the result equals one pass over the window's
 * signals in that order; {@link merge} (session windows) adds the other window's sums as a block.
 *
 * `contributingSignalIds` are the signals' event ids, sorted and distinct: when every record added
 * carried exactly its signal's event id as lineage (what the runtime gives a source record), the
 * window's sorted lineage ids are those ids and {@link result} takes them as they are.
 */
export class NetSignalAccumulator {
  count = 0;
  portfolioId = "";
  instrumentId = "";
  sumQ = 0;
  sumSigned = 0;
  sumW = 0;
  sumWConf = 0;
  sumWEr = 0;
  sumWH = 0;
  sumConf = 0;
  sumEr = 0;
  sumH = 0;
  longW = 0;
  shortW = 0;
  longs = 0;
  shorts = 0;
  urgencyRank: number = URGENCY_RANK.low;
  urgency: Urgency = "low";
  /**
   * Sources in first-seen order, and which of them sent long / short signals (arrays: a window
   * has a handful of sources, and an empty array costs far less than an empty Set).
   */
  readonly sources: string[] = [];
  readonly longSources: string[] = [];
  readonly shortSources: string[] = [];
  /** Event ids, duplicates kept (in arrival order until a result sorts them in place). */
  readonly ids: string[] = [];
  /** Every record added had lineage ids `[value.eventId]`. */
  idsAreLineage = true;

  constructor(private readonly weighting: SignalWeighting = {}) {}

  add(s: TradingSignalEvent, lineage?: readonly string[]): this {
    if (this.count++ === 0) {
      this.portfolioId = s.portfolioId;
      this.instrumentId = s.instrumentId;
    }
    const rel = this.weighting.sourceReliability?.[s.source] ?? this.weighting.defaultReliability ?? 1;
    const q = s.confidence * rel;
    const w = q * s.strength;
    const d = s.direction === "long" ? 1 : s.direction === "short" ? -1 : 0;
    this.sumQ += q;
    this.sumSigned += w * d;
    this.sumW += w;
    this.sumWConf += w * s.confidence;
    this.sumWEr += w * s.expectedReturn;
    this.sumWH += w * s.horizonMs;
    this.sumConf += s.confidence;
    this.sumEr += s.expectedReturn;
    this.sumH += s.horizonMs;
    if (d > 0) {
      this.longW += w;
      this.longs++;
      addOnce(this.longSources, s.source);
    } else if (d < 0) {
      this.shortW += w;
      this.shorts++;
      addOnce(this.shortSources, s.source);
    }
    const rank = URGENCY_RANK[s.urgency];
    if (rank > this.urgencyRank) {
      this.urgency = s.urgency;
      this.urgencyRank = rank;
    }
    addOnce(this.sources, s.source);
    this.ids.push(s.eventId);
    if (lineage === undefined || lineage.length !== 1 || lineage[0] !== s.eventId) this.idsAreLineage = false;
    return this;
  }

  /** Add another accumulator's signals (they arrived after this one's). */
  merge(o: NetSignalAccumulator): this {
    if (o.count === 0) return this;
    if (this.count === 0) {
      this.portfolioId = o.portfolioId;
      this.instrumentId = o.instrumentId;
    }
    this.count += o.count;
    this.sumQ += o.sumQ;
    this.sumSigned += o.sumSigned;
    this.sumW += o.sumW;
    this.sumWConf += o.sumWConf;
    this.sumWEr += o.sumWEr;
    this.sumWH += o.sumWH;
    this.sumConf += o.sumConf;
    this.sumEr += o.sumEr;
    this.sumH += o.sumH;
    this.longW += o.longW;
    this.shortW += o.shortW;
    this.longs += o.longs;
    this.shorts += o.shorts;
    if (o.urgencyRank > this.urgencyRank) {
      this.urgency = o.urgency;
      this.urgencyRank = o.urgencyRank;
    }
    for (const s of o.sources) addOnce(this.sources, s);
    for (const s of o.longSources) addOnce(this.longSources, s);
    for (const s of o.shortSources) addOnce(this.shortSources, s);
    for (const id of o.ids) this.ids.push(id);
    this.idsAreLineage &&= o.idsAreLineage;
    return this;
  }

  /**
   * The net signal of the signals added so far (at least one). `lineageIds`: the window's lineage
   * ids, sorted and distinct — used as `contributingSignalIds` when they are the signals' ids.
   */
  result(window: { readonly start: number; readonly end: number }, lineageIds?: readonly string[]): NetSignal {
    const n = this.count;
    if (n === 0) throw new RangeError("combineSignals needs at least one signal");
    const flat = this.weighting.flatThreshold ?? 0;
    const score = this.sumQ > 0 ? clamp(this.sumSigned / this.sumQ) : 0;
    const { longW, shortW, sumW } = this;
    const directional = longW + shortW;
    const agreement = directional > 0 ? Math.abs(longW - shortW) / directional : 1;
    const meanConf = sumW > 0 ? this.sumWConf / sumW : this.sumConf / n;
    const conflict = this.longs > 0 && this.shorts > 0;
    let conflictingSources: string[] = [];
    if (conflict) {
      const minority = new Set<string>();
      if (longW <= shortW) for (const s of this.longSources) minority.add(s);
      if (shortW <= longW) for (const s of this.shortSources) minority.add(s);
      conflictingSources = sortStrings([...minority]);
    }
    return {
      portfolioId: this.portfolioId,
      instrumentId: this.instrumentId,
      windowStart: window.start,
      windowEnd: window.end,
      direction: score > flat ? "long" : score < -flat ? "short" : "flat",
      score,
      strength: Math.abs(score),
      confidence: meanConf * agreement,
      expectedReturn: sumW > 0 ? this.sumWEr / sumW : this.sumEr / n,
      horizonMs: Math.round(sumW > 0 ? this.sumWH / sumW : this.sumH / n),
      urgency: this.urgency,
      contributingSignalIds:
        this.idsAreLineage && lineageIds !== undefined ? lineageIds.slice() : sortedUnique(this.ids),
      sources: sortStrings(this.sources.slice()),
      conflict,
      conflictingSources,
    };
  }
}

function addOnce(xs: string[], x: string): void {
  if (!xs.includes(x)) xs.push(x);
}

function clamp(x: number): number {
  return Math.min(1, Math.max(-1, x));
}
