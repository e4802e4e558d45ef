import { z } from "zod";
import {
  Direction,
  eventBase,
  FiniteNumber,
  InstrumentId,
  PortfolioId,
  Probability,
  StringMap,
  Urgency,
} from "./common.js";

/** A directional view on one instrument for one portfolio, from one strategy. */
export const TradingSignalEvent = z.object({
  eventType: z.literal("TradingSignal"),
  ...eventBase,
  portfolioId: PortfolioId,
  instrumentId: InstrumentId,
  /** Producer that emitted the signal (a strategy engine, a desk, a model server). */
  source: z.string().min(1).max(128),
  /** Strategy within the source, e.g. `momentum-12-1`. */
  strategy: z.string().min(1).max(128),
  direction: Direction,
  /** Conviction in the direction, 0..1. */
  strength: Probability,
  /** Producer's confidence in its own estimate, 0..1. */
  confidence: Probability,
  /** Holding horizon in milliseconds. */
  horizonMs: z.number().int().positive(),
  /** Expected return over the horizon, as a fraction (0.01 = 1 %). */
  expectedReturn: FiniteNumber.min(-1).max(10),
  urgency: Urgency,
  /** Reference price the producer saw, if any. */
  referencePrice: z.number().positive().optional(),
  attributes: StringMap.optional(),
});
export type TradingSignalEvent = z.infer<typeof TradingSignalEvent>;
