import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  type CoordinatedTradingDecisionEvent,
  encodeEvent,
  SCHEMA_VERSION,
  type TradingSignalEvent,
} from "../../lib/events/index.js";
import { ConsiliumMetrics, parseExposition } from "../../lib/metrics/index.js";
import { run } from "../../lib/runtime/index.js";
import { PostgresAuditLog, startAuditConsumer } from "../../lib/storage/index.js";
import { defineTopology } from "../../lib/topology/define-topology.js";
import { mapRecords } from "../../lib/topology/map-records.js";
import { EmbeddedBroker } from "../../lib/transports/index.js";
import { waitUntil } from "../fixtures/wait-until.js";
import { decision, pgConfig, scratchSchema } from "./fixtures.js";
import { listedInputs } from "../../lib/events/lineage.js";

// How the audit trail and the metrics hook onto a run today: the runtime writes its outputs to
// topics, an audit consumer stores them in PostgreSQL (ack after commit), and ConsiliumMetrics
// tracks the run's live stats plus its onLatency callback.

const pool = new pg.Pool(pgConfig());
const logs: PostgresAuditLog[] = [];
afterAll(async () => {
  for (const log of logs) await log.dropSchema();
  await pool.end();
});

function signal(i: number): TradingSignalEvent {
  return {
    eventType: "TradingSignal",
    eventId: `sig-${i}`,
    eventTime: 1_700_000_000_000 + i * 10,
    schemaVersion: SCHEMA_VERSION,
    portfolioId: `pf-${i % 3}`,
    instrumentId: "MSFT",
    source: "desk",
    strategy: "momentum",
    direction: "long",
    strength: 0.6,
    confidence: 0.8,
    horizonMs: 86_400_000,
    expectedReturn: 0.01,
    urgency: "normal",
  };
}

const toDecision = (s: TradingSignalEvent): CoordinatedTradingDecisionEvent =>
  decision(`dec-${s.eventId}`, s.eventTime, {
    portfolioId: s.portfolioId,
    instrumentId: s.instrumentId,
    contributingSignalIds: [s.eventId],
    lineage: { ...listedInputs([s.eventId]), topology: { name: "audit-demo", version: "1", hash: "h" } },
  });

describe("audit trail and metrics beside a run on the embedded broker", () => {
  it("stores every decision and dead letter once, and the metrics match the run's stats", async () => {
    const broker = new EmbeddedBroker();
    const binding = broker.binding();
    const topology = defineTopology({
      name: "audit-demo",
      version: "1",
      sources: { signals: { topic: "signals", schema: "TradingSignalEvent" } },
      steps: { decide: { from: "signals", use: mapRecords(toDecision, "decide") } },
      sinks: { decisions: { from: "decide", topic: "decisions", schema: "CoordinatedTradingDecisionEvent" } },
      sideOutputs: { failed: "absorb" },
      deadLetters: { topic: "dlq" },
    });
    const producer = await broker.createClient().createProducer({ topic: "signals" });
    const n = 60;
    for (let i = 0; i < n; i++) await producer.send({ data: encodeEvent(signal(i)), partitionKey: `pf-${i % 3}` });
    await producer.send({ data: Buffer.from("{oops"), partitionKey: "pf-0" });
    await producer.send({ data: encodeEvent({ ...signal(99), strength: 7 }), partitionKey: "pf-0" });
    await producer.close();

    const log = new PostgresAuditLog({ pool, schema: scratchSchema("audit_runtime") });
    logs.push(log);
    const auditor = await startAuditConsumer({
      client: broker.createClient(),
      topics: ["decisions", "dlq"],
      log,
      pollMs: 20,
    });
    const metrics = new ConsiliumMetrics();
    const handle = run(topology, {
      transport: binding,
      stopWhenIdle: true,
      idleTimeoutMs: 50,
      onLatency: (ns) => metrics.onLatency(ns / 1e9),
    });
    metrics.trackStats(handle.stats);
    const summary = await handle.done;
    expect(summary.error).toBeUndefined();
    await waitUntil(() => auditor.stats.acked >= n + 2, 20_000, "the auditor to ack every output");
    await auditor.stop();

    expect(await log.counts()).toMatchObject({ decisions: n, dead_letters: 2 });
    const pf0 = await log.decisionsFor("pf-0");
    expect(pf0.map((d) => d.contributingSignalIds[0])).toEqual(
      Array.from({ length: n }, (_, i) => i)
        .filter((i) => i % 3 === 0)
        .map((i) => `sig-${i}`),
    );
    const reasons = await pool.query<{ reason: string }>(
      `SELECT reason FROM "${log.schema}".dead_letters ORDER BY reason`,
    );
    expect(reasons.rows.map((r) => r.reason)).toEqual(["invalid-json", "schema-violation"]);

    const s = parseExposition(await metrics.metricsText());
    expect(s.get('consilium_events_in_total{topic="signals"}')).toBe(handle.stats.in.signals);
    expect(handle.stats.in.signals).toBe(n + 2);
    expect(s.get('consilium_events_out_total{topic="decisions"}')).toBe(n);
    expect(s.get('consilium_dead_letters_total{reason="invalid-json"}')).toBe(1);
    expect(s.get('consilium_dead_letters_total{reason="schema-violation"}')).toBe(1);
    expect(s.get("consilium_acks_total")).toBe(handle.stats.acked);
    expect(s.get("consilium_end_to_end_latency_seconds_count")).toBeGreaterThan(0);
    expect(s.get("consilium_in_flight")).toBe(0);
  });
});
