import { z } from "zod";
import { CoordinatedTradingDecisionEvent } from "./coordinated-trading-decision.js";
import { CoordinationAnalyticsEvent } from "./coordination-analytics.js";
import { CorrelationMatrixUpdatedEvent } from "./correlation-matrix-updated.js";
import { DeadLetterEvent } from "./dead-letter.js";
import { NormalizedMarketDataEvent } from "./normalized-market-data.js";
import { PortfolioOptimizationEvent } from "./portfolio-optimization.js";
import { PortfolioStateUpdateEvent } from "./portfolio-state-update.js";
import { RebalanceRequestEvent } from "./rebalance-request.js";
import { TradingSignalEvent } from "./trading-signal.js";

/** Every consilium event schema by name: the single source for validation, topics and JSON Schema. */
export const eventSchemas = {
  TradingSignalEvent,
  RebalanceRequestEvent,
  PortfolioOptimizationEvent,
  CorrelationMatrixUpdatedEvent,
  NormalizedMarketDataEvent,
  CoordinatedTradingDecisionEvent,
  PortfolioStateUpdateEvent,
  CoordinationAnalyticsEvent,
  DeadLetterEvent,
} as const;

export type EventName = keyof typeof eventSchemas;
export type EventOf<N extends EventName> = z.infer<(typeof eventSchemas)[N]>;

export const inputEventNames = [
  "TradingSignalEvent",
  "RebalanceRequestEvent",
  "PortfolioOptimizationEvent",
  "CorrelationMatrixUpdatedEvent",
  "NormalizedMarketDataEvent",
] as const satisfies readonly EventName[];

/** One JSON Schema (draft 2020-12) per event, for producers written in other languages. */
export function eventJsonSchemas(): Record<EventName, unknown> {
  const out = {} as Record<EventName, unknown>;
  for (const [name, schema] of Object.entries(eventSchemas) as [EventName, z.ZodType][]) {
    out[name] = {
      $id: `https://consilium.dev/schemas/${name}.json`,
      title: name,
      ...z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }),
    };
  }
  return out;
}
