import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../lib/storage/index.js";
import { PostgresAuditLog, startAuditConsumer } from "../../lib/storage/index.js";
import { EmbeddedBroker } from "../../lib/transports/index.js";
import { waitUntil } from "../fixtures/wait-until.js";
import { analytics, deadLetter, decision, pgConfig, scratchSchema, stateUpdate, topology } from "./fixtures.js";

// The audit consumer over the embedded broker (real time) into the real PostgreSQL.

const pool = new pg.Pool(pgConfig());
const logs: PostgresAuditLog[] = [];
afterAll(async () => {
  for (const log of logs) await log.dropSchema();
  await pool.end();
});

const T = { decisions: "decisions", dead: "dead-letters", state: "state", analytics: "analytics" };

async function publish(broker: EmbeddedBroker, topic: string, values: readonly unknown[]): Promise<void> {
  const producer = await broker.createClient().createProducer({ topic });
  for (const v of values) {
    const data = typeof v === "string" ? Buffer.from(v) : Buffer.from(JSON.stringify(v));
    await producer.send({ data, eventTimestamp: 1_700_000_000_000 });
  }
  await producer.close();
}

describe("startAuditConsumer", () => {
  it("audits every output topic once, redeliveries included, and dead-letters what is not an event", async () => {
    const log = new PostgresAuditLog({ pool, schema: scratchSchema("audit_consumer"), topology });
    logs.push(log);
    const broker = new EmbeddedBroker();
    const client = broker.createClient();
    const auditor = await startAuditConsumer({ client, topics: Object.values(T), log, maxBatch: 7, pollMs: 20 });

    const decisions = Array.from({ length: 40 }, (_, i) => decision(`cd-${i}`, 1_000 * i));
    await publish(broker, T.decisions, [...decisions, ...decisions.slice(0, 10)]); // 10 sent twice
    await publish(broker, T.state, [stateUpdate("cs-1", 5_000, ["cd-1", "cd-2"])]);
    await publish(broker, T.analytics, [analytics("ca-1", 0, 60_000)]);
    await publish(broker, T.dead, [deadLetter("cdl-1", 7_000, { portfolioId: "pf-1" })]);
    await publish(broker, T.decisions, ["{not json", JSON.stringify({ eventType: "CoordinatedTradingDecision" })]);
    const sent = 50 + 1 + 1 + 1 + 2;

    await waitUntil(() => auditor.stats.acked === sent, 15_000, "all messages acked");
    await auditor.stop();
    expect(auditor.stats).toMatchObject({ received: sent, acked: sent, deadLettered: 2, nacked: 0, failedWrites: 0 });
    expect(auditor.stats.inserted).toBe(40 + 1 + 1 + 1 + 2);
    expect(await log.counts()).toEqual({ decisions: 40, dead_letters: 3, state_updates: 1, analytics: 1 });
    const dead = await pool.query<{ reason: string; source_topic: string }>(
      `SELECT reason, source_topic FROM "${log.schema}".dead_letters WHERE event_id <> 'cdl-1' ORDER BY reason`,
    );
    expect(dead.rows.map((r) => r.reason)).toEqual(["invalid-json", "schema-violation"]);
    expect(dead.rows.every((r) => r.source_topic.endsWith(T.decisions))).toBe(true);
    expect((await log.lineageOf("cd-1"))?.stateUpdates.map((s) => s.eventId)).toEqual(["cs-1"]);
  });

  it("negatively acknowledges a batch whose write fails, and stores it once when the broker redelivers", async () => {
    const real = new PostgresAuditLog({ pool, schema: scratchSchema("audit_consumer_retry") });
    logs.push(real);
    let failuresLeft = 2;
    const flaky = {
      append(events: readonly AuditEvent[]) {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          return Promise.reject(new Error("database unavailable"));
        }
        return real.append(events);
      },
    };
    const errors: string[] = [];
    const broker = new EmbeddedBroker();
    const auditor = await startAuditConsumer({
      client: broker.createClient(),
      topics: [T.decisions],
      log: flaky,
      pollMs: 20,
      nackRedeliverMs: 50,
      retryDelayMs: 10,
      onError: (e) => errors.push(e.message),
    });
    const decisions = Array.from({ length: 25 }, (_, i) => decision(`rd-${i}`, 1_000 * i));
    await publish(broker, T.decisions, decisions);
    await waitUntil(() => auditor.stats.acked === 25, 15_000, "all messages acked after retries");
    await auditor.stop();
    expect(errors).toEqual(["database unavailable", "database unavailable"]);
    expect(auditor.stats.failedWrites).toBe(2);
    expect(auditor.stats.nacked).toBeGreaterThan(0);
    expect(auditor.stats.received).toBe(25 + auditor.stats.nacked);
    expect(auditor.stats.inserted).toBe(25);
    expect((await real.decisionsFor("pf-1")).map((d) => d.eventId)).toEqual(decisions.map((d) => d.eventId));
  });
});
