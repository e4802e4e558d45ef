import { z } from "zod";
import { EpochMs, eventBase, InstrumentId, PortfolioId, Urgency } from "./common.js";

/** A request to move a portfolio towards target weights (a scheduled rebalance, a mandate change). */
export const RebalanceRequestEvent = z.object({
  eventType: z.literal("RebalanceRequest"),
  ...eventBase,
  portfolioId: PortfolioId,
  source: z.string().min(1).max(128),
  reason: z.string().min(1).max(512),
  targets: z
    .array(z.object({ instrumentId: InstrumentId, targetWeight: z.number().min(-1).max(1) }))
    .min(1)
    .max(5000),
  urgency: Urgency,
  /** Latest time by which the rebalance should be executed. */
  deadline: EpochMs.optional(),
  /** Fraction of the distance to the target to trade now, 0..1 (1 = all the way). */
  participation: z.number().gt(0).max(1).default(1),
});
export type RebalanceRequestEvent = z.infer<typeof RebalanceRequestEvent>;
