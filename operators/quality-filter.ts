import type { Subscriber } from "rxjs";
import { type StreamItem, SideTag, sideOutput } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { type ItemHandler, streamOperator } from "./internal/operate.js";
import { checkNonNegative } from "./internal/window-types.js";

/** Reason codes of the `rejected` side output, checked in this order (the first failing one is reported). */
export const QualityRejectReason = {
  stale: "stale",
  unreliableSource: "unreliable-source",
  lowConfidence: "low-confidence",
  lowStrength: "low-strength",
  lowQuality: "low-quality",
} as const;
export type QualityRejectReason = (typeof QualityRejectReason)[keyof typeof QualityRejectReason];

/** The fields the quality filter reads by default (a `TradingSignalEvent` has them). */
export interface QualityFields {
  readonly confidence: number;
  readonly source: string;
  readonly strength?: number;
}

export interface QualityFilterOptions<T> {
  /** Reject when `confidence < minConfidence`. Default 0. */
  readonly minConfidence?: number;
  /** Reject when `strength < minStrength` (values without a strength pass). Default 0. */
  readonly minStrength?: number;
  /** Reject when `watermark - eventTime > maxStalenessMs`. Default: no staleness check. */
  readonly maxStalenessMs?: number;
  /** Reliability score per source, 0..1. */
  readonly sourceReliability?: Readonly<Record<string, number>>;
  /** Reliability of a source missing from the map. Default 1. */
  readonly defaultReliability?: number;
  /** Reject when the source's reliability `< minReliability`. Default 0. */
  readonly minReliability?: number;
  /** Reject when `confidence × reliability < minQuality`. Default 0. */
  readonly minQuality?: number;
  /** Accessors, for values that are not shaped like {@link QualityFields}. */
  readonly confidence?: (value: T) => number;
  readonly source?: (value: T) => string;
  readonly strength?: (value: T) => number | undefined;
}

class QualityHandler<T> implements ItemHandler<T> {
  private wm = Number.NEGATIVE_INFINITY;
  private readonly reliability: Map<string, number>;
  private readonly minConfidence: number;
  private readonly minStrength: number;
  private readonly maxStaleness: number;
  private readonly defaultReliability: number;
  private readonly minReliability: number;
  private readonly minQuality: number;
  private readonly confidenceOf: (value: T) => number;
  private readonly sourceOf: (value: T) => string;
  private readonly strengthOf: (value: T) => number | undefined;

  constructor(
    private readonly out: Subscriber<StreamItem<T>>,
    o: QualityFilterOptions<T>,
  ) {
    this.reliability = new Map(Object.entries(o.sourceReliability ?? {}));
    this.minConfidence = o.minConfidence ?? 0;
    this.minStrength = o.minStrength ?? 0;
    this.maxStaleness = o.maxStalenessMs ?? Number.POSITIVE_INFINITY;
    this.defaultReliability = o.defaultReliability ?? 1;
    this.minReliability = o.minReliability ?? 0;
    this.minQuality = o.minQuality ?? 0;
    this.confidenceOf = o.confidence ?? readConfidence;
    this.sourceOf = o.source ?? readSource;
    this.strengthOf = o.strength ?? readStrength;
  }

  next(item: StreamItem<T>): void {
    if (item.kind === "record") {
      const reason = this.check(item.value, item.eventTime);
      this.out.next(reason === undefined ? item : sideOutput(SideTag.rejected, reason, item));
    } else {
      if (item.kind === "watermark" && item.time > this.wm) this.wm = item.time;
      this.out.next(item);
    }
  }

  complete(): void {}

  private check(v: T, eventTime: number): QualityRejectReason | undefined {
    if (this.wm - eventTime > this.maxStaleness) return QualityRejectReason.stale;
    const rel = this.reliability.get(this.sourceOf(v)) ?? this.defaultReliability;
    if (rel < this.minReliability) return QualityRejectReason.unreliableSource;
    const conf = this.confidenceOf(v);
    if (!(conf >= this.minConfidence)) return QualityRejectReason.lowConfidence;
    const strength = this.strengthOf(v);
    if (strength !== undefined && !(strength >= this.minStrength)) return QualityRejectReason.lowStrength;
    if (!(conf * rel >= this.minQuality)) return QualityRejectReason.lowQuality;
    return undefined;
  }
}

function readConfidence(v: unknown): number {
  return (v as QualityFields).confidence;
}
function readSource(v: unknown): string {
  return (v as QualityFields).source;
}
function readStrength(v: unknown): number | undefined {
  return (v as QualityFields).strength;
}

/**
 * Rejects low-quality records to the `rejected` side output with a reason code
 * ({@link QualityRejectReason}): stale (older than `maxStalenessMs` behind the watermark seen so
 * far), unreliable source, low confidence, low strength, low quality (confidence × reliability).
 * A 1:1 operator: main + rejected = input. Watermarks and upstream side outputs pass through.
 *
 * ```
 * minConfidence: 0.5
 * input:  -s(conf 0.9)--t(conf 0.2)--W10--|
 * output: -s------------r------------W10--|   r = sideOutput("rejected", "low-confidence", t)
 * ```
 */
export function qualityFilter<T = QualityFields>(options: QualityFilterOptions<T> = {}): DescribedOperator<T, T> {
  checkNonNegative("maxStalenessMs", options.maxStalenessMs);
  const op = streamOperator<T, T>((out) => new QualityHandler(out, options));
  return describeOperator(op, { operatorName: "qualityFilter", sideOutputs: [SideTag.rejected], retentionMs: 0 });
}
