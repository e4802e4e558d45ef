import pg from "pg";
import type { CoordinatedTradingDecisionEvent, PortfolioStateUpdateEvent } from "../events/index.js";
import {
  type AuditEvent,
  type AuditRow,
  type AuditTable,
  type AuditTopology,
  type AuditValidation,
  toAuditRow,
  validateAuditBatch,
} from "./audit-rows.js";
import {
  AUDIT_TABLES,
  auditSchemaStatements,
  EXTRA_COLUMNS,
  hypertableStatement,
  insertStatement,
  quoteSchema,
} from "./audit-schema.js";

/** Whether the decisions table is a TimescaleDB hypertable: `auto` when available, `require` or `off`. */
export type TimescaleMode = "auto" | "require" | "off";

export interface PostgresAuditLogOptions {
  /** A pool to use (not closed by `close()`); otherwise one is created from `connection` / PG* env. */
  readonly pool?: pg.Pool;
  readonly connection?: pg.PoolConfig;
  /** Schema holding the tables; default `consilium`. Lower-case identifier. */
  readonly schema?: string;
  /** Stamped on rows whose event carries no topology lineage (everything but decisions). */
  readonly topology?: AuditTopology;
  /** Default `auto`. */
  readonly timescale?: TimescaleMode;
  /** What `write()` checks of each item; default `full` (see {@link AuditValidation}). */
  readonly validate?: AuditValidation;
  /** Rows per INSERT statement inside one write's transaction; default 2000. */
  readonly chunkSize?: number;
}

/** What `ensureSchema()` found and did. */
export interface AuditSchemaReport {
  readonly schema: string;
  /** `hypertable`: decisions is a TimescaleDB hypertable keyed (event_id, event_time); `plain` otherwise. */
  readonly mode: "hypertable" | "plain";
  /** Why this mode (extension missing, installed, table already existed, ...). */
  readonly reason: string;
  /** Primary-key columns of each table, as read back from the catalog; used as the conflict target. */
  readonly keys: Readonly<Record<AuditTable, readonly string[]>>;
}

/** Event-time range, epoch ms, half-open `[from, to)`; either end optional. */
export interface AuditTimeRange {
  readonly from?: number;
  readonly to?: number;
  readonly limit?: number;
}

/** A decision with what it derives from and what it led to. */
export interface DecisionLineage {
  readonly decision: CoordinatedTradingDecisionEvent;
  /**
   * Every input id: listed in the decision, or else in its batch's state update (`lineage.batchId`);
   * undefined while that state update is not in the log.
   */
  readonly inputIds: readonly string[] | undefined;
  readonly contributingSignalIds: readonly string[];
  readonly topology: AuditTopology;
  readonly windowStart?: number;
  readonly windowEnd?: number;
  /** State updates that list this decision, in event-time order. */
  readonly stateUpdates: readonly PortfolioStateUpdateEvent[];
}

/**
 * Audit trail of consilium's outputs in PostgreSQL (TimescaleDB when available): decisions, dead
 * letters, state updates and analytics, each row keyed by its event id with the full event as
 * jsonb. Writes are batched and idempotent: a redelivered event never adds a row.
 *
 * As a runtime sink: `write(batch)` validates the items, inserts them in one transaction, and
 * resolves only after COMMIT, so the runtime can ack the inputs once it resolves.
 */
export class PostgresAuditLog {
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly topology: AuditTopology | null;
  private readonly timescale: TimescaleMode;
  private readonly chunkSize: number;
  private readonly validation: AuditValidation;
  private ready: Promise<AuditSchemaReport> | undefined;
  private inserts: Partial<Record<AuditTable, string>> = {};

  constructor(options: PostgresAuditLogOptions = {}) {
    this.schema = options.schema ?? "consilium";
    quoteSchema(this.schema);
    this.ownsPool = options.pool === undefined;
    this.pool = options.pool ?? new pg.Pool({ max: 4, ...options.connection });
    // An idle client of our own pool losing its connection must not crash the process: the pool
    // drops it, and the next write fails (and is retried by the runtime) if the server is gone.
    if (this.ownsPool) this.pool.on("error", () => undefined);
    this.topology = options.topology ?? null;
    this.timescale = options.timescale ?? "auto";
    this.chunkSize = Math.max(1, Math.floor(options.chunkSize ?? 2000));
    this.validation = options.validate ?? "full";
  }

  /**
   * Create the schema, tables and indexes if missing (safe to call repeatedly and concurrently:
   * serialized by an advisory lock). Memoized per instance; a failed attempt is retried next call.
   */
  ensureSchema(): Promise<AuditSchemaReport> {
    if (this.ready === undefined) {
      this.ready = this.createSchema();
      this.ready.catch(() => {
        this.ready = undefined;
      });
    }
    return this.ready;
  }

  private async createSchema(): Promise<AuditSchemaReport> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`consilium-audit:${this.schema}`]);
      const plan = await this.planMode(client);
      for (const sql of auditSchemaStatements(this.schema, { hypertableKey: plan.hypertable })) {
        await client.query(sql);
      }
      if (plan.hypertable) await client.query(hypertableStatement(this.schema));
      await client.query("COMMIT");
      const keys = await this.readKeys(client);
      const mode = (await this.isHypertable(client)) ? "hypertable" : "plain";
      if (this.timescale === "require" && mode !== "hypertable") {
        throw new Error(`timescale "require": decisions is not a hypertable (${plan.reason})`);
      }
      this.inserts = {};
      for (const table of AUDIT_TABLES) this.inserts[table] = insertStatement(this.schema, table, keys[table]);
      return { schema: this.schema, mode, reason: plan.reason, keys };
    } catch (e) {
      broken = e as Error;
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release(broken !== undefined && isConnectionError(broken));
    }
  }

  /** Decide plain vs hypertable inside the schema transaction. */
  private async planMode(client: pg.PoolClient): Promise<{ hypertable: boolean; reason: string }> {
    const s = quoteSchema(this.schema);
    const existing = await client.query<{ reg: string | null }>("SELECT to_regclass($1)::text AS reg", [
      `${s}.decisions`,
    ]);
    const exists = existing.rows[0]?.reg != null;
    if (this.timescale === "off") {
      return { hypertable: false, reason: "timescale disabled by option" };
    }
    const available = await client.query<{ installed_version: string | null }>(
      "SELECT installed_version FROM pg_available_extensions WHERE name = 'timescaledb'",
    );
    const ext = available.rows[0];
    if (ext === undefined) {
      if (this.timescale === "require") throw new Error('timescale "require": timescaledb extension not available');
      return { hypertable: false, reason: "timescaledb extension not available" };
    }
    if (ext.installed_version === null) {
      await client.query("SAVEPOINT consilium_timescale");
      try {
        await client.query("CREATE EXTENSION IF NOT EXISTS timescaledb");
      } catch (e) {
        await client.query("ROLLBACK TO SAVEPOINT consilium_timescale");
        if (this.timescale === "require") throw e;
        const reason = `timescaledb available but CREATE EXTENSION failed: ${(e as Error).message}`;
        return { hypertable: false, reason };
      }
    }
    if (exists) {
      return (await this.isHypertable(client))
        ? { hypertable: false, reason: "decisions already a hypertable" }
        : { hypertable: false, reason: "decisions existed as a plain table; kept as is" };
    }
    return { hypertable: true, reason: "timescaledb installed; decisions is a hypertable" };
  }

  /** Whether decisions is a hypertable, read from TimescaleDB's catalog (false without the extension). */
  private async isHypertable(client: pg.PoolClient): Promise<boolean> {
    const ext = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
    if (!ext.rowCount) return false;
    const ht = await client.query(
      "SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_schema = $1 AND hypertable_name = 'decisions'",
      [this.schema],
    );
    return (ht.rowCount ?? 0) > 0;
  }

  private async readKeys(client: pg.PoolClient): Promise<Record<AuditTable, readonly string[]>> {
    const s = quoteSchema(this.schema);
    const keys = {} as Record<AuditTable, readonly string[]>;
    for (const table of AUDIT_TABLES) {
      const r = await client.query<{ attname: string }>(
        `SELECT a.attname FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = $1::regclass AND i.indisprimary
          ORDER BY array_position(i.indkey::int2[], a.attnum)`,
        [`${s}.${table}`],
      );
      const cols = r.rows.map((row) => row.attname);
      if (!cols.includes("event_id")) throw new Error(`${this.schema}.${table} has no primary key on event_id`);
      keys[table] = cols;
    }
    return keys;
  }

  /**
   * Insert events (already typed) in one transaction; duplicates, within the batch or already
   * stored, are skipped. Resolves with the number of rows actually inserted, after COMMIT.
   */
  async append(events: readonly AuditEvent[]): Promise<number> {
    await this.ensureSchema();
    if (events.length === 0) return 0;
    const byTable = new Map<AuditTable, AuditRow[]>();
    for (const event of events) {
      const row = toAuditRow(event, this.topology);
      let rows = byTable.get(row.table);
      if (rows === undefined) byTable.set(row.table, (rows = []));
      rows.push(row);
    }
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      let inserted = 0;
      for (const table of AUDIT_TABLES) {
        const rows = byTable.get(table);
        if (rows === undefined) continue;
        // One lock order for every writer: by (event id, event time), tables in AUDIT_TABLES order.
        rows.sort(compareRows);
        for (let i = 0; i < rows.length; i += this.chunkSize) {
          const chunk = rows.slice(i, i + this.chunkSize);
          const result = await client.query(this.inserts[table]!, columnsOf(table, chunk));
          inserted += result.rowCount ?? 0;
        }
      }
      await client.query("COMMIT");
      return inserted;
    } catch (e) {
      broken = e as Error;
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release(broken !== undefined && isConnectionError(broken));
    }
  }

  /**
   * Sink adapter for the runtime: validates every item (zod, by `eventType`; all of it, or with
   * `validate: "keys"` only the fields the rows are built from), rejects the whole
   * batch with an `AuditValidationError` if any item is not an audit event, and otherwise resolves
   * once the batch is committed.
   */
  async write(batch: readonly unknown[]): Promise<void> {
    await this.append(validateAuditBatch(batch, this.validation));
  }

  /** Decisions of one portfolio in `[from, to)` event time, ordered by (event time, event id bytes). */
  async decisionsFor(portfolioId: string, range: AuditTimeRange = {}): Promise<CoordinatedTradingDecisionEvent[]> {
    return (await this.eventsFor("decisions", portfolioId, range)) as CoordinatedTradingDecisionEvent[];
  }

  /** Events of any audit table for one portfolio (null: rows without a portfolio), same order. */
  async eventsFor(table: AuditTable, portfolioId: string | null, range: AuditTimeRange = {}): Promise<AuditEvent[]> {
    await this.ensureSchema();
    if (!AUDIT_TABLES.includes(table)) throw new Error(`unknown audit table ${table}`);
    // Built per call so the (portfolio_id, event_time) index serves every variant.
    const params: unknown[] = [];
    const where: string[] = [];
    if (portfolioId === null) where.push("portfolio_id IS NULL");
    else where.push(`portfolio_id = $${params.push(portfolioId)}`);
    if (range.from !== undefined)
      where.push(`event_time >= to_timestamp($${params.push(range.from)}::float8 / 1000.0)`);
    if (range.to !== undefined) where.push(`event_time < to_timestamp($${params.push(range.to)}::float8 / 1000.0)`);
    const limit = range.limit !== undefined ? ` LIMIT $${params.push(range.limit)}` : "";
    const r = await this.pool.query<{ event: AuditEvent }>(
      `SELECT event FROM ${quoteSchema(this.schema)}.${table} WHERE ${where.join(" AND ")}
        ORDER BY event_time, event_id COLLATE "C"${limit}`,
      params,
    );
    return r.rows.map((row) => row.event);
  }

  /** The decision with this id, its inputs, topology and the state updates listing it; null if unknown. */
  async lineageOf(decisionId: string): Promise<DecisionLineage | null> {
    await this.ensureSchema();
    const s = quoteSchema(this.schema);
    const d = await this.pool.query<{ event: CoordinatedTradingDecisionEvent }>(
      `SELECT event FROM ${s}.decisions WHERE event_id = $1 ORDER BY event_time LIMIT 1`,
      [decisionId],
    );
    const decision = d.rows[0]?.event;
    if (decision === undefined) return null;
    const u = await this.pool.query<{ event: PortfolioStateUpdateEvent }>(
      `SELECT event FROM ${s}.state_updates WHERE decision_ids @> ARRAY[$1]::text[]
        ORDER BY event_time, event_id COLLATE "C"`,
      [decisionId],
    );
    const { topology, windowStart, windowEnd, batchId } = decision.lineage;
    const stateUpdates = u.rows.map((row) => row.event);
    return {
      decision,
      inputIds: decision.lineage.inputIds ?? stateUpdates.find((s) => s.eventId === batchId)?.inputIds,
      contributingSignalIds: decision.contributingSignalIds,
      topology,
      ...(windowStart !== undefined ? { windowStart } : {}),
      ...(windowEnd !== undefined ? { windowEnd } : {}),
      stateUpdates,
    };
  }

  /** Row count per table. */
  async counts(): Promise<Record<AuditTable, number>> {
    await this.ensureSchema();
    const s = quoteSchema(this.schema);
    const parts = AUDIT_TABLES.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM ${s}.${t}`);
    const r = await this.pool.query<{ t: AuditTable; n: number }>(parts.join(" UNION ALL "));
    const out = {} as Record<AuditTable, number>;
    for (const row of r.rows) out[row.t] = row.n;
    return out;
  }

  /** Drop the whole schema (tests, throw-away environments). */
  async dropSchema(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${quoteSchema(this.schema)} CASCADE`);
    this.ready = undefined;
  }

  /** Close the pool if this instance created it. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}

function compareRows(a: AuditRow, b: AuditRow): number {
  if (a.eventId !== b.eventId) return a.eventId < b.eventId ? -1 : 1;
  return a.eventTimeMs - b.eventTimeMs;
}

function columnsOf(table: AuditTable, rows: readonly AuditRow[]): unknown[][] {
  const paramExtras = EXTRA_COLUMNS[table].filter((c) => c.param !== undefined).length;
  const cols: unknown[][] = Array.from({ length: 8 + paramExtras }, () => new Array(rows.length));
  rows.forEach((row, i) => {
    cols[0]![i] = row.eventId;
    cols[1]![i] = row.portfolioId;
    cols[2]![i] = row.instrumentId;
    cols[3]![i] = row.eventTimeMs;
    cols[4]![i] = row.topology?.name ?? null;
    cols[5]![i] = row.topology?.version ?? null;
    cols[6]![i] = row.topology?.hash ?? null;
    cols[7]![i] = row.json;
    for (let k = 0; k < paramExtras; k++) cols[8 + k]![i] = row.extra[k] ?? null;
  });
  return cols;
}

/** Errors after which the connection must not go back to the pool. */
function isConnectionError(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code !== "string" || code.startsWith("08") || code === "57P01";
}
