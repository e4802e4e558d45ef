import type { AuditTable } from "./audit-rows.js";

/** Tables in the fixed order every write visits them (one lock order, so concurrent writers never deadlock). */
export const AUDIT_TABLES: readonly AuditTable[] = ["decisions", "dead_letters", "state_updates", "analytics"];

/** A column beside the common ones, filled from a parameter array or computed from the event. */
export interface ExtraColumn {
  readonly name: string;
  readonly ddl: string;
  /** Parameter array type (`text` or `float8`), or undefined for a column computed by `expr`. */
  readonly param?: "text" | "float8";
  /** SQL over the unnested row `u` (its `doc` is the event as jsonb, its parameter columns by name). */
  readonly expr: string;
}

const ms = (column: string) => `to_timestamp(u.${column} / 1000.0)`;

/** Table-specific columns; the order matches `AuditRow.extra` for the parameter columns. */
export const EXTRA_COLUMNS: Readonly<Record<AuditTable, readonly ExtraColumn[]>> = {
  decisions: [{ name: "side", ddl: "side text NOT NULL", param: "text", expr: "u.side" }],
  dead_letters: [
    { name: "source_topic", ddl: "source_topic text NOT NULL", param: "text", expr: "u.source_topic" },
    { name: "reason", ddl: "reason text NOT NULL", param: "text", expr: "u.reason" },
  ],
  state_updates: [
    {
      name: "decision_ids",
      ddl: "decision_ids text[] NOT NULL",
      expr: "ARRAY(SELECT jsonb_array_elements_text(u.doc -> 'decisionIds'))",
    },
  ],
  analytics: [
    { name: "window_start", ddl: "window_start timestamptz NOT NULL", param: "float8", expr: ms("window_start") },
    { name: "window_end", ddl: "window_end timestamptz NOT NULL", param: "float8", expr: ms("window_end") },
  ],
};

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Validate and double-quote a schema name (lower-case letters, digits, underscore). */
export function quoteSchema(schema: string): string {
  if (!IDENT.test(schema)) {
    throw new Error(`invalid audit schema name ${JSON.stringify(schema)}: use [a-z_][a-z0-9_]* (max 63 chars)`);
  }
  return `"${schema}"`;
}

/**
 * DDL for the audit schema, idempotent (`IF NOT EXISTS` throughout). With `hypertableKey`, the
 * decisions table's primary key is (event_id, event_time), as TimescaleDB requires every unique
 * index of a hypertable to include its time column; otherwise it is (event_id) alone. The
 * `create_hypertable` call itself is not part of this list.
 */
export function auditSchemaStatements(schema: string, options: { hypertableKey: boolean }): string[] {
  const s = quoteSchema(schema);
  const out = [`CREATE SCHEMA IF NOT EXISTS ${s}`];
  for (const table of AUDIT_TABLES) {
    const key = table === "decisions" && options.hypertableKey ? "event_id, event_time" : "event_id";
    const columns = [
      "event_id text NOT NULL",
      "portfolio_id text",
      "instrument_id text",
      "event_time timestamptz NOT NULL",
      "topology_name text",
      "topology_version text",
      "topology_hash text",
      "event jsonb NOT NULL",
      "recorded_at timestamptz NOT NULL DEFAULT now()",
      ...EXTRA_COLUMNS[table].map((c) => c.ddl),
      `PRIMARY KEY (${key})`,
    ];
    out.push(`CREATE TABLE IF NOT EXISTS ${s}.${table} (\n  ${columns.join(",\n  ")}\n)`);
    out.push(`CREATE INDEX IF NOT EXISTS ${table}_portfolio_time_idx ON ${s}.${table} (portfolio_id, event_time)`);
  }
  out.push(`CREATE INDEX IF NOT EXISTS dead_letters_reason_time_idx ON ${s}.dead_letters (reason, event_time)`);
  out.push(`CREATE INDEX IF NOT EXISTS state_updates_decision_ids_idx ON ${s}.state_updates USING gin (decision_ids)`);
  return out;
}

/** `SELECT create_hypertable(...)` for the decisions table (TimescaleDB 2.x, partitioned on event_time). */
export function hypertableStatement(schema: string): string {
  const regclass = `${quoteSchema(schema)}.decisions`;
  return `SELECT create_hypertable('${regclass}', 'event_time', if_not_exists => TRUE, migrate_data => TRUE)`;
}

/**
 * The batched, idempotent INSERT for one table: all rows arrive as parallel arrays (one parameter
 * per column, whatever the batch size) and `ON CONFLICT (<key>) DO NOTHING` drops redeliveries.
 */
export function insertStatement(schema: string, table: AuditTable, conflictKey: readonly string[]): string {
  const s = quoteSchema(schema);
  const extras = EXTRA_COLUMNS[table];
  const paramExtras = extras.filter((c) => c.param !== undefined);
  const params = [
    ["event_id", "text"],
    ["portfolio_id", "text"],
    ["instrument_id", "text"],
    ["event_time_ms", "float8"],
    ["topology_name", "text"],
    ["topology_version", "text"],
    ["topology_hash", "text"],
    ["event_text", "text"],
    ...paramExtras.map((c) => [c.name, c.param] as const),
  ] as const;
  const unnest = params.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ");
  const aliases = params.map(([name]) => name).join(", ");
  const target = [
    "event_id",
    "portfolio_id",
    "instrument_id",
    "event_time",
    "topology_name",
    "topology_version",
    "topology_hash",
    "event",
    ...extras.map((c) => c.name),
  ];
  const values = [
    "u.event_id",
    "u.portfolio_id",
    "u.instrument_id",
    ms("event_time_ms"),
    "u.topology_name",
    "u.topology_version",
    "u.topology_hash",
    "u.doc",
    ...extras.map((c) => c.expr),
  ];
  return (
    `INSERT INTO ${s}.${table} (${target.join(", ")})\n` +
    `SELECT ${values.join(", ")}\n` +
    `FROM (SELECT p.*, p.event_text::jsonb AS doc FROM unnest(${unnest}) AS p(${aliases})) AS u\n` +
    `ON CONFLICT (${conflictKey.join(", ")}) DO NOTHING`
  );
}
