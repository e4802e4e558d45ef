/**
 * Small topologies and inputs for the runtime's end-to-end suites (not the full coordination
 * topology: that one has its own suites).
 */
import type { CoordinatedTradingDecisionEvent, TradingSignalEvent } from "../../lib/events/index.js";
import { encodeEvent } from "../../lib/events/index.js";
import type { ReplayMessage } from "../../lib/runtime/index.js";
import { defineTopology, filterRecords, mapRecords } from "../../lib/topology/index.js";
import { createHash } from "node:crypto";

export const T = {
  signals: "e2e-signals",
  decisions: "e2e-decisions",
  rejected: "e2e-rejected",
  dlq: "e2e-dead-letters",
} as const;

/** A valid signal; `n` makes it unique, `portfolio` keys it. */
export function signal(
  n: number,
  portfolio: string,
  eventTime: number,
  over: Partial<TradingSignalEvent> = {},
): TradingSignalEvent {
  return {
    eventType: "TradingSignal",
    eventId: `sig-${n}`,
    eventTime,
    schemaVersion: 1,
    portfolioId: portfolio,
    instrumentId: ["AAPL", "MSFT", "NVDA"][n % 3]!,
    source: "e2e",
    strategy: n % 2 === 0 ? "momentum" : "mean-reversion",
    direction: n % 5 === 0 ? "short" : "long",
    strength: ((n * 37) % 100) / 100,
    confidence: 0.5 + ((n * 13) % 50) / 100,
    horizonMs: 3_600_000,
    expectedReturn: 0.01,
    urgency: "normal",
    ...over,
  };
}

/** A decision derived from one signal, with an id that is a hash of its input (as `coordinate` does). */
export function decisionFor(s: TradingSignalEvent, topologyHash: string): CoordinatedTradingDecisionEvent {
  const id = createHash("sha256").update(s.eventId).update(topologyHash).digest("hex").slice(0, 24);
  const qty = Math.round(s.strength * 1000);
  return {
    eventType: "CoordinatedTradingDecision",
    eventId: `dec-${id}`,
    eventTime: s.eventTime,
    schemaVersion: 1,
    portfolioId: s.portfolioId,
    instrumentId: s.instrumentId,
    side: s.direction === "short" ? "sell" : "buy",
    quantity: qty,
    notional: qty * 100,
    currentWeight: 0,
    targetWeight: s.strength / 10,
    confidence: s.confidence,
    executionPriority: 5,
    urgency: s.urgency,
    timing: { notBefore: s.eventTime, notAfter: s.eventTime + 60_000, style: "twap" },
    contributingSignalIds: [s.eventId],
    checks: [],
    riskBefore: { volatility: 0, valueAtRisk: 0, expectedShortfall: 0 },
    riskAfter: { volatility: 0, valueAtRisk: 0, expectedShortfall: 0 },
    reasonCodes: ["e2e"],
    lineage: { inputIds: [s.eventId], topology: { name: "e2e", version: "1", hash: topologyHash } },
  };
}

/**
 * signals -> strong (filter strength >= 0.2, else "rejected" side output to a topic)
 *         -> decide (one decision per signal; throws on instrument "BOOM") -> decisions sink.
 */
export function passThroughTopology(opts: { topicPrefix?: string; maxRedeliverCount?: number; name?: string } = {}) {
  const p = opts.topicPrefix ?? "";
  return defineTopology({
    name: opts.name ?? "e2e",
    version: "1",
    sources: {
      signals: {
        topic: p + T.signals,
        schema: "TradingSignalEvent",
        subscription: { maxRedeliverCount: opts.maxRedeliverCount ?? 2, nAckRedeliverTimeoutMs: 5 },
      },
    },
    steps: {
      strong: {
        from: "signals",
        use: filterRecords((s: TradingSignalEvent) => s.strength >= 0.2, "strength-below-0.2"),
        outputSchema: "TradingSignalEvent",
      },
      decide: {
        from: "strong",
        inputSchema: "TradingSignalEvent",
        outputSchema: "CoordinatedTradingDecisionEvent",
        build: (ctx) =>
          mapRecords((s: TradingSignalEvent) => {
            if (s.instrumentId === "BOOM") throw new Error("instrument BOOM is not tradable");
            return decisionFor(s, ctx.topology.hash);
          }, "decide"),
      },
    },
    sinks: { decisions: { from: "decide", topic: p + T.decisions, schema: "CoordinatedTradingDecisionEvent" } },
    sideOutputs: { rejected: { topic: p + T.rejected } },
    deadLetters: { topic: p + T.dlq },
  });
}

/** Signals over `portfolios` portfolios, event time increasing by 1 ms per message. */
export function signals(count: number, portfolios: number, t0 = 1_700_000_000_000): TradingSignalEvent[] {
  return Array.from({ length: count }, (_, n) => signal(n, `pf-${n % portfolios}`, t0 + n));
}

export function asReplay(topic: string, events: readonly unknown[]): ReplayMessage[] {
  return events.map((e) => {
    const v = e as { portfolioId?: string; eventTime?: number };
    return { topic, data: encodeEvent(e), key: v.portfolioId ?? "", eventTime: v.eventTime ?? 0 };
  });
}
