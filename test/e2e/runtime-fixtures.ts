/**
 * Small topologies and inputs for the runtime's end-to-end suites (not the full coordination
 * topology: that one has its own suites).
 */
import { Observable } from "rxjs";
import type {
  CoordinatedTradingDecisionEvent,
  NormalizedMarketDataEvent,
  TradingSignalEvent,
} from "../../lib/events/index.js";
import { encodeEvent } from "../../lib/events/index.js";
import type { ReplayMessage } from "../../lib/runtime/index.js";
import { defineTopology, filterRecords, mapRecords } from "../../lib/topology/index.js";
import { createHash } from "node:crypto";
import { transportName } from "../contract/binding.js";
import { listedInputs } from "../../lib/events/lineage.js";

/**
 * Waits a suite needs on a transport. The embedded broker delivers in-process within a tick; a
 * real broker (WebSocket API) takes a round trip per subscription, producer and acknowledgment,
 * and redelivers negatively acknowledged messages only after its own delay (100 ms or more).
 */
export interface TransportTimings {
  /**
   * `idleTimeoutMs` for runs that stop by themselves (`stopWhenIdle`): longer than the broker's
   * negative-ack redelivery delay and its delivery latency, so a run does not end before a
   * redelivered or still-travelling message arrives.
   */
  readonly idleTimeoutMs: number;
  /** Upper bound for waiting on something the broker does (subscriptions ready, first delivery). */
  readonly readyTimeoutMs: number;
  /** A pause long enough for the broker to deliver what it is going to deliver (for "nothing more arrives" checks). */
  readonly settleMs: number;
}

/** {@link TransportTimings} for `transport` (default: the one CONSILIUM_TRANSPORT selects). */
export function transportTimings(transport: string = transportName): TransportTimings {
  return transport === "embedded"
    ? { idleTimeoutMs: 60, readyTimeoutMs: 5_000, settleMs: 20 }
    : { idleTimeoutMs: 1_000, readyTimeoutMs: 30_000, settleMs: 300 };
}

export { waitUntil } from "../fixtures/wait-until.js";

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
    lineage: { ...listedInputs([s.eventId]), topology: { name: "e2e", version: "1", hash: topologyHash } },
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

export const P = {
  signalsA: "e2e-signals-a",
  signalsB: "e2e-signals-b",
  prices: "e2e-prices",
  decisions: "e2e-priced-decisions",
  rejected: "e2e-priced-rejected",
  dlq: "e2e-priced-dead-letters",
} as const;

/** A market-data update for one instrument. */
export function price(instrumentId: string, eventTime: number, px: number): NormalizedMarketDataEvent {
  return {
    eventType: "NormalizedMarketData",
    eventId: `md-${instrumentId}-${eventTime}`,
    eventTime,
    schemaVersion: 1,
    instrumentId,
    price: px,
    volume: 1000,
    averageDailyVolume: 1e6,
    currency: "USD",
  };
}

/**
 * Two signal topics merged, a side input of prices (latest by instrument), and a decide step
 * with per-portfolio keyed state (a running decision count, persisted in a changelog): the
 * decision's quantity depends on the latest price at the signal's event time, its priority on the
 * portfolio's history. Tests determinism of the merge, of side-input timing and of state moves.
 */
export function pricedTopology(prefix = "", receiverQueueSize = 1000) {
  return defineTopology({
    name: "e2e-priced",
    version: "1",
    changelogPrefix: `${prefix}e2e-priced-changelog-`,
    sources: {
      a: { topic: prefix + P.signalsA, schema: "TradingSignalEvent", subscription: { receiverQueueSize } },
      b: { topic: prefix + P.signalsB, schema: "TradingSignalEvent", subscription: { receiverQueueSize } },
    },
    sideInputs: {
      prices: { topic: prefix + P.prices, schema: "NormalizedMarketDataEvent" },
    },
    steps: {
      strong: {
        from: ["a", "b"],
        use: filterRecords((s: TradingSignalEvent) => s.strength >= 0.1, "strength-below-0.1"),
        outputSchema: "TradingSignalEvent",
      },
      decide: {
        from: "strong",
        sideInputs: ["prices"],
        state: ["count"],
        outputSchema: "CoordinatedTradingDecisionEvent",
        build: (ctx) => {
          let prices: ReadonlyMap<string, NormalizedMarketDataEvent> = new Map();
          const count = ctx.keyedState<number>("count");
          const sub = ctx.sideInput<NormalizedMarketDataEvent>("prices");
          return (source) =>
            new Observable((out) => {
              const s1 = sub.subscribe((t) => {
                prices = t;
              });
              const s2 = mapRecords((s: TradingSignalEvent, key: string) => {
                const px = prices.get(s.instrumentId);
                if (!px) throw new Error(`no price for ${s.instrumentId}`);
                const n = (count.get(key) ?? 0) + 1;
                count.set(key, n);
                const d = decisionFor(s, ctx.topology.hash);
                const qty = Math.floor((s.strength * 100_000) / px.price);
                return {
                  ...d,
                  quantity: qty,
                  notional: qty * px.price,
                  executionPriority: 1 + (n % 10),
                  reasonCodes: [`price:${px.price}@${px.eventTime}`, `n:${n}`],
                };
              }, "decide")(source).subscribe(out);
              return () => {
                s1.unsubscribe();
                s2.unsubscribe();
              };
            });
        },
      },
    },
    sinks: { decisions: { from: "decide", topic: prefix + P.decisions, schema: "CoordinatedTradingDecisionEvent" } },
    sideOutputs: { rejected: { topic: prefix + P.rejected } },
    deadLetters: { topic: prefix + P.dlq },
  });
}

/** Inputs for {@link pricedTopology}: prices every 40 ms for 3 instruments, signals on two topics. */
export function pricedInputs(count: number, portfolios: number, t0 = 1_700_000_000_000) {
  const instruments = ["AAPL", "MSFT", "NVDA"];
  const prices: NormalizedMarketDataEvent[] = [];
  for (let t = 0; t <= count * 3 + 40; t += 40) {
    instruments.forEach((id, i) => {
      prices.push(price(id, t0 + t, 100 + i * 50 + ((t / 40) % 17)));
    });
  }
  const a: TradingSignalEvent[] = [];
  const b: TradingSignalEvent[] = [];
  for (let n = 0; n < count; n++) {
    // Several signals share an event time (ties broken by source name, key, arrival).
    const s = signal(n, `pf-${(n * 7) % portfolios}`, t0 + 1 + Math.floor(n / 2) * 3);
    (n % 3 === 0 ? b : a).push(s);
  }
  return { prices, a, b };
}
