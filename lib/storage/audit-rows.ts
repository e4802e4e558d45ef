import {
  CoordinatedTradingDecisionEvent,
  CoordinationAnalyticsEvent,
  DeadLetterEvent,
  PortfolioStateUpdateEvent,
  validateEvent,
} from "../events/index.js";

/** The four audit tables, one per output event type. */
export type AuditTable = "decisions" | "dead_letters" | "state_updates" | "analytics";

/** Every event the audit log stores. */
export type AuditEvent =
  | CoordinatedTradingDecisionEvent
  | DeadLetterEvent
  | PortfolioStateUpdateEvent
  | CoordinationAnalyticsEvent;

/** Name, version and hash of the topology that produced an event. */
export interface AuditTopology {
  readonly name: string;
  readonly version: string;
  readonly hash: string;
}

/** One row ready to insert; `json` is the event as JSON text that PostgreSQL's jsonb accepts. */
export interface AuditRow {
  readonly table: AuditTable;
  readonly eventId: string;
  readonly eventTimeMs: number;
  readonly portfolioId: string | null;
  readonly instrumentId: string | null;
  readonly topology: AuditTopology | null;
  readonly json: string;
  /** Values of the table's parameter columns (`EXTRA_COLUMNS` with a `param`), in that order. */
  readonly extra: readonly (string | number | null)[];
}

const schemaByType = {
  CoordinatedTradingDecision: CoordinatedTradingDecisionEvent,
  DeadLetter: DeadLetterEvent,
  PortfolioStateUpdate: PortfolioStateUpdateEvent,
  CoordinationAnalytics: CoordinationAnalyticsEvent,
} as const;

type AuditEventType = keyof typeof schemaByType;

const base = { eventType: true, eventId: true, eventTime: true, schemaVersion: true } as const;
/** Only the fields the audit rows are made of (keys, times, topology, table columns). */
const keySchemaByType = {
  CoordinatedTradingDecision: CoordinatedTradingDecisionEvent.pick({
    ...base,
    portfolioId: true,
    instrumentId: true,
    side: true,
    lineage: true,
  }),
  DeadLetter: DeadLetterEvent.pick({ ...base, sourceTopic: true, reason: true, originalBase64: true }),
  PortfolioStateUpdate: PortfolioStateUpdateEvent.pick({ ...base, portfolioId: true, decisionIds: true }),
  CoordinationAnalytics: CoordinationAnalyticsEvent.pick({
    ...base,
    portfolioId: true,
    windowStart: true,
    windowEnd: true,
  }),
} as const;

/**
 * How much of an item the audit sink checks: `full` (default) validates the whole event against
 * its schema and stores the parsed event; `keys` checks only the fields the rows are built from
 * and stores the item as given — for callers (the runtime's sinks) that validated it already.
 */
export type AuditValidation = "full" | "keys";

/** Why an item handed to the audit sink is not an event it can store. */
export interface AuditRejection {
  readonly index: number;
  readonly message: string;
}

/** Thrown (as a rejected promise) when a batch holds items that are not valid audit events. */
export class AuditValidationError extends Error {
  constructor(readonly rejections: readonly AuditRejection[]) {
    const first = rejections[0];
    super(
      `audit batch has ${rejections.length} invalid item(s)` +
        (first ? `; first at index ${first.index}: ${first.message}` : ""),
    );
    this.name = "AuditValidationError";
  }
}

/**
 * Validate untrusted items (zod, by `eventType`) and return them as audit events. Items that are
 * not one of the four output events are collected and reported together in one
 * {@link AuditValidationError}; nothing is dropped silently.
 */
export function validateAuditBatch(batch: readonly unknown[], validation: AuditValidation = "full"): AuditEvent[] {
  const events: AuditEvent[] = [];
  const rejections: AuditRejection[] = [];
  batch.forEach((item, index) => {
    const type = (item as { eventType?: unknown } | null)?.eventType;
    if (typeof type !== "string" || !Object.hasOwn(schemaByType, type)) {
      rejections.push({ index, message: `unknown eventType ${JSON.stringify(type) ?? "undefined"}` });
      return;
    }
    const full = validation === "full";
    const schema = (full ? schemaByType : keySchemaByType)[type as AuditEventType];
    const result = validateEvent(schema, item);
    if (result.ok) events.push((full ? result.value : item) as AuditEvent);
    else rejections.push({ index, message: result.message });
  });
  if (rejections.length > 0) throw new AuditValidationError(rejections);
  return events;
}

// A NUL escape or a UTF-16 surrogate escape; JSON.stringify writes both only as \uXXXX escapes.
const suspiciousEscape = /\\u(?:0000|d[89a-f])/i;

/**
 * JSON text for a jsonb column. PostgreSQL's jsonb cannot hold U+0000 and rejects unpaired
 * surrogates, so (only when the text contains such an escape) strings and keys are rewritten:
 * U+0000 and unpaired surrogates become U+FFFD. Everything else round-trips exactly.
 */
export function toJsonbText(value: unknown): string {
  const text = JSON.stringify(value);
  if (!suspiciousEscape.test(text)) return text;
  return JSON.stringify(sanitize(value));
}

const NUL = String.fromCharCode(0);
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function sanitizeString(s: string): string {
  return s.replaceAll(NUL, "\uFFFD").replace(loneSurrogate, "\uFFFD");
}

function sanitize(value: unknown): unknown {
  if (typeof value === "string") return sanitizeString(value);
  if (Array.isArray(value)) return value.map(sanitize);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[sanitizeString(k)] = sanitize(v);
    return out;
  }
  return value;
}

/** Map a validated event to the row of its table. `defaultTopology` stamps events without lineage. */
export function toAuditRow(event: AuditEvent, defaultTopology: AuditTopology | null): AuditRow {
  const base = { eventId: event.eventId, eventTimeMs: event.eventTime, json: toJsonbText(event) };
  switch (event.eventType) {
    case "CoordinatedTradingDecision":
      return {
        ...base,
        table: "decisions",
        portfolioId: event.portfolioId,
        instrumentId: event.instrumentId,
        topology: event.lineage.topology,
        extra: [event.side],
      };
    case "DeadLetter":
      return {
        ...base,
        table: "dead_letters",
        ...keysOfOriginal(event.originalBase64),
        topology: defaultTopology,
        extra: [event.sourceTopic, event.reason],
      };
    case "PortfolioStateUpdate":
      return {
        ...base,
        table: "state_updates",
        portfolioId: event.portfolioId,
        instrumentId: null,
        topology: defaultTopology,
        extra: [],
      };
    case "CoordinationAnalytics":
      return {
        ...base,
        table: "analytics",
        portfolioId: event.portfolioId,
        instrumentId: null,
        topology: defaultTopology,
        extra: [event.windowStart, event.windowEnd],
      };
  }
}

/**
 * Best effort: the portfolio and instrument ids of a dead letter's original message, when its
 * bytes are a JSON object carrying them as strings (a schema violation elsewhere, say), so the
 * audit trail can list a portfolio's dead letters too. Null when they cannot be read.
 */
export function keysOfOriginal(originalBase64: string): { portfolioId: string | null; instrumentId: string | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(originalBase64, "base64").toString("utf8"));
  } catch {
    return { portfolioId: null, instrumentId: null };
  }
  const pick = (key: string, max: number): string | null => {
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return null;
    const v = (parsed as Record<string, unknown>)[key];
    return typeof v === "string" && v.length > 0 && v.length <= max ? sanitizeString(v) : null;
  };
  return { portfolioId: pick("portfolioId", 128), instrumentId: pick("instrumentId", 64) };
}
