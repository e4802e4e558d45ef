import fc from "fast-check";
import type pg from "pg";
import {
  type CoordinatedTradingDecisionEvent,
  type CoordinationAnalyticsEvent,
  type DeadLetterEvent,
  type PortfolioStateUpdateEvent,
  SCHEMA_VERSION,
} from "../../lib/events/index.js";
import { listedInputs } from "../../lib/events/lineage.js";

/** Connection for the integration suites: PG* env, defaulting to the local trust-auth server. */
export function pgConfig(): pg.PoolConfig {
  return {
    host: process.env.PGHOST ?? "127.0.0.1",
    port: Number(process.env.PGPORT ?? 5432),
    database: process.env.PGDATABASE ?? "test",
    user: process.env.PGUSER ?? "postgres",
    max: 8,
  };
}

let schemaCounter = 0;
/** A throw-away schema name, unique per process and call. */
export function scratchSchema(prefix: string): string {
  schemaCounter += 1;
  return `${prefix}_${process.pid}_${schemaCounter}`;
}

export const topology = { name: "portfolio-coordination", version: "1.0.0", hash: "a1b2c3d4" };

const risk = { volatility: 0.18, valueAtRisk: 0.021, expectedShortfall: 0.03 };

export function decision(
  eventId: string,
  eventTime: number,
  overrides: Partial<CoordinatedTradingDecisionEvent> = {},
): CoordinatedTradingDecisionEvent {
  return {
    eventType: "CoordinatedTradingDecision",
    eventId,
    eventTime,
    schemaVersion: SCHEMA_VERSION,
    portfolioId: "pf-1",
    instrumentId: "AAPL",
    side: "buy",
    quantity: 120,
    notional: 22_815.6,
    currentWeight: 0.01,
    targetWeight: 0.035,
    confidence: 0.7,
    executionPriority: 3,
    urgency: "normal",
    timing: { notBefore: eventTime, notAfter: eventTime + 60_000, style: "twap" },
    contributingSignalIds: [`sig-${eventId}-a`, `sig-${eventId}-b`],
    checks: [
      { kind: "policy", rule: "max-position-weight", value: 0.035, limit: 0.05, passed: true, action: "pass" },
      { kind: "risk", rule: "var-1d", value: 0.021, limit: 0.02, passed: false, action: "clip", detail: "clipped" },
    ],
    riskBefore: risk,
    riskAfter: { ...risk, volatility: 0.17, trackingError: 0.02 },
    reasonCodes: ["signal-consensus", "risk-clipped"],
    lineage: {
      ...listedInputs([`sig-${eventId}-a`, `sig-${eventId}-b`, "corr-7"]),
      topology,
      windowStart: Math.max(0, eventTime - 1000),
      windowEnd: eventTime,
    },
    ...overrides,
  };
}

export function deadLetter(eventId: string, eventTime: number, original: unknown): DeadLetterEvent {
  return {
    eventType: "DeadLetter",
    eventId,
    eventTime,
    schemaVersion: SCHEMA_VERSION,
    sourceTopic: "persistent://public/default/signals",
    reason: "schema-violation",
    message: "strength: Too big: expected number to be <=1",
    issues: [{ path: "strength", message: "Too big: expected number to be <=1" }],
    originalBase64: Buffer.from(typeof original === "string" ? original : JSON.stringify(original)).toString("base64"),
    redeliveryCount: 0,
  };
}

export function stateUpdate(
  eventId: string,
  eventTime: number,
  decisionIds: string[],
  inputIds: string[] = [],
): PortfolioStateUpdateEvent {
  return {
    eventType: "PortfolioStateUpdate",
    eventId,
    eventTime,
    schemaVersion: SCHEMA_VERSION,
    portfolioId: "pf-1",
    nav: 1_000_000,
    cash: 250_000,
    positions: [{ instrumentId: "AAPL", quantity: 120, price: 190.13, weight: 0.0228 }],
    grossExposure: 0.75,
    netExposure: 0.75,
    decisionIds,
    inputIds,
  };
}

export function analytics(eventId: string, windowStart: number, windowEnd: number): CoordinationAnalyticsEvent {
  return {
    eventType: "CoordinationAnalytics",
    eventId,
    eventTime: windowEnd,
    schemaVersion: SCHEMA_VERSION,
    portfolioId: "pf-1",
    windowStart,
    windowEnd,
    signalsIn: 10,
    decisionsOut: 3,
    conflicts: 1,
    clipped: 1,
    rejected: 0,
    turnover: 0.012,
    expectedAlpha: 0.0004,
    riskAfter: 0.17,
  };
}

/** Finite doubles (zod's z.number() refuses NaN and ±Infinity). */
const num = fc.double({ noNaN: true, noDefaultInfinity: true });
const nonNeg = fc.double({ noNaN: true, noDefaultInfinity: true, min: 0 });
const unit = fc.double({ noNaN: true, min: 0, max: 1 });
const ms = fc.integer({ min: 0, max: 4_102_444_800_000 }); // up to 2100-01-01
/** Any well-formed Unicode text without U+0000 (which jsonb cannot hold; see toJsonbText). */
const text = fc.string({ unit: "binary", maxLength: 12 }).filter((s) => !s.includes(String.fromCharCode(0)));
const id = fc
  .string({ unit: "binary", minLength: 1, maxLength: 24 })
  .filter((s) => !s.includes(String.fromCharCode(0)));

/** Arbitrary valid decision events, with awkward strings and extreme doubles. */
export const decisionArb: fc.Arbitrary<CoordinatedTradingDecisionEvent> = fc
  .record({
    eventId: id,
    eventTime: ms,
    portfolioId: id,
    instrumentId: id,
    side: fc.constantFrom("buy", "sell", "hold"),
    quantity: nonNeg,
    notional: nonNeg,
    currentWeight: num,
    targetWeight: num,
    confidence: unit,
    executionPriority: fc.integer({ min: 1, max: 10 }),
    urgency: fc.constantFrom("low", "normal", "high", "critical"),
    reasonCodes: fc.array(text, { maxLength: 4 }),
    checkValue: num,
    detail: fc.option(text, { nil: undefined }),
    vol: nonNeg,
  })
  .map((r) =>
    decision(r.eventId, r.eventTime, {
      portfolioId: r.portfolioId,
      instrumentId: r.instrumentId,
      side: r.side,
      quantity: r.quantity,
      notional: r.notional,
      currentWeight: r.currentWeight,
      targetWeight: r.targetWeight,
      confidence: r.confidence,
      executionPriority: r.executionPriority,
      urgency: r.urgency,
      reasonCodes: r.reasonCodes,
      checks: [
        {
          kind: "risk",
          rule: "gross",
          value: r.checkValue,
          limit: 1,
          passed: r.checkValue <= 1,
          action: "pass",
          ...(r.detail !== undefined ? { detail: r.detail } : {}),
        },
      ],
      riskAfter: { volatility: r.vol, valueAtRisk: r.checkValue, expectedShortfall: r.checkValue },
    }),
  );
