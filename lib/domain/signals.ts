import type { Direction, Urgency } from "../events/common.js";

/**
 * The net view of one (portfolio, instrument) over one window: the quality-weighted combination
 * of the signals that survived dedup and the quality filter. Output of `aggregateSignals`.
 */
export interface NetSignal {
  readonly portfolioId: string;
  readonly instrumentId: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly direction: Direction;
  /** Signed net score in [-1, 1]: positive long, negative short. */
  readonly score: number;
  /** |score|, in [0, 1]. */
  readonly strength: number;
  readonly confidence: number;
  /** Quality-weighted expected return over the horizon (fraction). */
  readonly expectedReturn: number;
  /** Quality-weighted horizon, ms. */
  readonly horizonMs: number;
  /** Highest urgency among the contributors. */
  readonly urgency: Urgency;
  /** Sorted ids of the contributing signal events. */
  readonly contributingSignalIds: readonly string[];
  /** Sorted distinct sources that contributed. */
  readonly sources: readonly string[];
  /** True when contributors disagree in direction (long vs short). */
  readonly conflict: boolean;
  /** Sources on the minority side of a conflict (sorted); empty when no conflict. */
  readonly conflictingSources: readonly string[];
  /**
   * Why the window emitted this view (set by `aggregateSignals`): `final` when the watermark closed
   * the window, `update` for an early result (emit mode "update"), `late` when a late signal within
   * the allowed lateness re-fired an already closed window.
   */
  readonly firing?: "update" | "final" | "late";
}

/** A target weight that enters coordination beside signals (rebalance request or optimizer result). */
export interface TargetIntent {
  readonly kind: "rebalance" | "optimization";
  readonly portfolioId: string;
  readonly instrumentId: string;
  readonly targetWeight: number;
  readonly urgency: Urgency;
  readonly source: string;
  /** Id of the originating event. */
  readonly eventId: string;
  /** Fraction of the way to the target to go now, 0..1. */
  readonly participation: number;
}

/** Everything one portfolio's coordination step considers for one window. */
export interface PortfolioBatch {
  readonly portfolioId: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly signals: readonly NetSignal[];
  readonly targets: readonly TargetIntent[];
}
