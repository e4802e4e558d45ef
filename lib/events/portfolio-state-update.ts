import { z } from "zod";
import { eventBase, InstrumentId, PortfolioId } from "./common.js";

/** The portfolio's targeted state after a batch of decisions (holdings as the decisions leave them). */
export const PortfolioStateUpdateEvent = z.object({
  eventType: z.literal("PortfolioStateUpdate"),
  ...eventBase,
  portfolioId: PortfolioId,
  nav: z.number().nonnegative(),
  cash: z.number(),
  positions: z.array(
    z.object({
      instrumentId: InstrumentId,
      quantity: z.number(),
      price: z.number().nonnegative(),
      weight: z.number(),
    }),
  ),
  grossExposure: z.number().nonnegative(),
  netExposure: z.number(),
  decisionIds: z.array(z.string()),
  /**
   * Ids of every input message of the batch (sorted): the lineage its decisions name by reference
   * (`lineage.batchId` = this event's id).
   */
  inputIds: z.array(z.string()),
});
export type PortfolioStateUpdateEvent = z.infer<typeof PortfolioStateUpdateEvent>;
