import { z } from "zod";
import { EpochMs, eventBase, PortfolioId } from "./common.js";

/** Per-portfolio, per-window counters of what coordination did. */
export const CoordinationAnalyticsEvent = z.object({
  eventType: z.literal("CoordinationAnalytics"),
  ...eventBase,
  portfolioId: PortfolioId,
  windowStart: EpochMs,
  windowEnd: EpochMs,
  signalsIn: z.number().int().nonnegative(),
  decisionsOut: z.number().int().nonnegative(),
  conflicts: z.number().int().nonnegative(),
  clipped: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  turnover: z.number().nonnegative(),
  expectedAlpha: z.number(),
  riskAfter: z.number().nonnegative(),
});
export type CoordinationAnalyticsEvent = z.infer<typeof CoordinationAnalyticsEvent>;
