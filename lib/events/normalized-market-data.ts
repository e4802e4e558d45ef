import { z } from "zod";
import { eventBase, InstrumentId } from "./common.js";

/** A normalized market-data snapshot for one instrument (end of day, bar, or quote). */
export const NormalizedMarketDataEvent = z.object({
  eventType: z.literal("NormalizedMarketData"),
  ...eventBase,
  instrumentId: InstrumentId,
  price: z.number().positive(),
  bid: z.number().positive().optional(),
  ask: z.number().positive().optional(),
  /** Shares traded in the bar. */
  volume: z.number().nonnegative(),
  /** Average daily volume in shares (for liquidity limits). */
  averageDailyVolume: z.number().nonnegative(),
  /** Annualized volatility estimate, if the feed provides one. */
  volatility: z.number().nonnegative().max(10).optional(),
  currency: z.string().length(3),
  sector: z.string().min(1).max(64).optional(),
  country: z.string().min(1).max(64).optional(),
});
export type NormalizedMarketDataEvent = z.infer<typeof NormalizedMarketDataEvent>;
