import { z } from "zod";
import { eventBase, InstrumentId, PortfolioId, Urgency } from "./common.js";

/** The result of an optimizer run for a portfolio: target weights with their expected risk/return. */
export const PortfolioOptimizationEvent = z.object({
  eventType: z.literal("PortfolioOptimization"),
  ...eventBase,
  portfolioId: PortfolioId,
  source: z.string().min(1).max(128),
  method: z.enum([
    "min-variance",
    "max-sharpe",
    "risk-parity",
    "kelly",
    "efficient-risk",
    "efficient-return",
    "custom",
  ]),
  targetWeights: z
    .array(z.object({ instrumentId: InstrumentId, weight: z.number().min(-1).max(1) }))
    .min(1)
    .max(5000),
  expectedReturn: z.number().min(-1).max(10),
  expectedVolatility: z.number().nonnegative().max(10),
  urgency: Urgency,
});
export type PortfolioOptimizationEvent = z.infer<typeof PortfolioOptimizationEvent>;
