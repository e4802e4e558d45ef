/**
 * The thin default pipeline: decode -> validate -> dedup -> one decision per signal, in process,
 * over a recording. It is the fallback `consilium run --thin` and the reference the CLI compares
 * nothing against: the full topology replaces it as the default.
 */
import { SCHEMA_VERSION } from "../events/common.js";
import type { CoordinatedTradingDecisionEvent } from "../events/coordinated-trading-decision.js";
import { decodeEvent, encodeEvent } from "../events/decode.js";
import { listedInputs } from "../events/lineage.js";
import type { NormalizedMarketDataEvent } from "../events/normalized-market-data.js";
import { type EventName, eventSchemas } from "../events/registry.js";
import type { TradingSignalEvent } from "../events/trading-signal.js";
import { createHash } from "node:crypto";

export interface ThinMessage {
  readonly topic: string;
  readonly bytes: Uint8Array;
}

export interface ThinResult {
  readonly decisions: CoordinatedTradingDecisionEvent[];
  readonly deadLettered: Record<string, number>;
  readonly sideOutputs: Record<string, number>;
}

/**
 * Run the thin pipeline. `schemaOf` maps a topic to its event schema; `navOf` gives a portfolio's
 * NAV. A signal becomes a decision sized at `strength × confidence × maxWeight` of NAV at the last
 * known price; a signal without a price is set aside as `rejected/no-price`.
 */
export function runThinPipeline(
  messages: Iterable<ThinMessage>,
  schemaOf: (topic: string) => EventName | undefined,
  navOf: (portfolioId: string) => number,
  onMessage: (index: number) => void = () => {},
  maxWeight = 0.04,
): ThinResult {
  const decisions: CoordinatedTradingDecisionEvent[] = [];
  const deadLettered: Record<string, number> = {};
  const sideOutputs: Record<string, number> = {};
  const seen = new Set<string>();
  const prices = new Map<string, number>();
  const bump = (m: Record<string, number>, k: string) => {
    m[k] = (m[k] ?? 0) + 1;
  };
  let i = 0;
  for (const m of messages) {
    onMessage(i++);
    const name = schemaOf(m.topic);
    if (name === undefined) {
      bump(deadLettered, "unknown-topic");
      continue;
    }
    const r = decodeEvent(eventSchemas[name], m.bytes);
    if (!r.ok) {
      bump(deadLettered, r.reason);
      continue;
    }
    const event = r.value as { eventId: string; eventType: string };
    if (seen.has(event.eventId)) {
      bump(sideOutputs, "duplicate");
      continue;
    }
    seen.add(event.eventId);
    if (event.eventType === "NormalizedMarketData") {
      const md = event as NormalizedMarketDataEvent;
      prices.set(md.instrumentId, md.price);
    } else if (event.eventType === "TradingSignal") {
      const s = event as TradingSignalEvent;
      const price = prices.get(s.instrumentId);
      if (price === undefined) {
        bump(sideOutputs, "rejected");
        continue;
      }
      decisions.push(thinDecision(s, price, navOf(s.portfolioId), maxWeight));
    }
  }
  return { decisions, deadLettered, sideOutputs };
}

function thinDecision(
  s: TradingSignalEvent,
  price: number,
  nav: number,
  maxWeight: number,
): CoordinatedTradingDecisionEvent {
  const sign = s.direction === "long" ? 1 : s.direction === "short" ? -1 : 0;
  const targetWeight = sign * s.strength * s.confidence * maxWeight;
  const quantity = Math.floor(Math.abs(targetWeight * nav) / price);
  const eventId = `thin-${createHash("sha256").update(encodeEvent(s)).digest("hex").slice(0, 32)}`;
  const flat = { volatility: 0, valueAtRisk: 0, expectedShortfall: 0 };
  return {
    eventType: "CoordinatedTradingDecision",
    eventId,
    eventTime: s.eventTime,
    schemaVersion: SCHEMA_VERSION,
    portfolioId: s.portfolioId,
    instrumentId: s.instrumentId,
    side: quantity === 0 ? "hold" : sign > 0 ? "buy" : "sell",
    quantity,
    notional: quantity * price,
    currentWeight: 0,
    targetWeight,
    confidence: s.confidence,
    executionPriority: 5,
    urgency: s.urgency,
    timing: { notBefore: s.eventTime, notAfter: s.eventTime + s.horizonMs, style: "twap" },
    contributingSignalIds: [s.eventId],
    checks: [],
    riskBefore: flat,
    riskAfter: flat,
    reasonCodes: ["thin-pipeline"],
    lineage: {
      ...listedInputs([s.eventId]),
      topology: { name: "thin", version: "1", hash: "thin" },
    },
  };
}
