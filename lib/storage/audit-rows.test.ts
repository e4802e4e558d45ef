import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SCHEMA_VERSION } from "../events/index.js";
import { AuditValidationError, keysOfOriginal, toAuditRow, toJsonbText, validateAuditBatch } from "./audit-rows.js";
import { auditSchemaStatements, insertStatement, quoteSchema } from "./audit-schema.js";

const NUL = String.fromCharCode(0);
/** What PostgreSQL's jsonb input refuses: a NUL escape or a surrogate escape not in a valid pair. */
const jsonbRefuses = (text: string) =>
  /\\u0000/.test(text) ||
  /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i.test(text);

describe("toJsonbText", () => {
  it("property: accepted by jsonb, and exact (same JSON) whenever no string or key holds NUL", () => {
    const hasNul = (v: unknown): boolean =>
      typeof v === "string"
        ? v.includes(NUL)
        : v !== null && typeof v === "object" && Object.entries(v).some(([k, x]) => k.includes(NUL) || hasNul(x));
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: "binary" }), (value) => {
        const text = toJsonbText(value);
        expect(jsonbRefuses(text)).toBe(false);
        if (!hasNul(value)) expect(text).toBe(JSON.stringify(value));
      }),
      { numRuns: 1000 },
    );
  });

  it("property: output never holds what jsonb refuses, and keeps the shape (same keys count, same numbers)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: "binary" }), fc.string({ unit: "binary", maxLength: 3 }), (value, raw) => {
        // Inject the awkward characters the arbitrary rarely yields: NUL and unpaired surrogates.
        const awkward = { [`k${NUL}`]: `${raw}${NUL}\ud800x\udc00`, v: value };
        const text = toJsonbText(awkward);
        expect(jsonbRefuses(text)).toBe(false);
        const back = JSON.parse(text) as Record<string, unknown>;
        expect(Object.keys(back)).toEqual(["k\uFFFD", "v"]);
        expect(back["k\uFFFD"]).toBe(`${raw.replaceAll(NUL, "\uFFFD")}\uFFFD\uFFFDx\uFFFD`);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("validateAuditBatch", () => {
  it("accepts the four output events and rejects anything else with its index", () => {
    const analytics = {
      eventType: "CoordinationAnalytics",
      eventId: "a-1",
      eventTime: 10,
      schemaVersion: SCHEMA_VERSION,
      portfolioId: "pf",
      windowStart: 0,
      windowEnd: 10,
      signalsIn: 1,
      decisionsOut: 1,
      conflicts: 0,
      clipped: 0,
      rejected: 0,
      turnover: 0,
      expectedAlpha: 0,
      riskAfter: 0,
    };
    expect(validateAuditBatch([analytics])).toEqual([analytics]);
    const signal = { eventType: "TradingSignal", eventId: "s" };
    try {
      validateAuditBatch([analytics, signal, null, { ...analytics, signalsIn: -1 }]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AuditValidationError);
      const { rejections } = e as AuditValidationError;
      expect(rejections.map((r) => r.index)).toEqual([1, 2, 3]);
      expect(rejections[0]!.message).toContain('"TradingSignal"');
      expect(rejections[2]!.message).toContain("signalsIn");
    }
    expect(toAuditRow(analytics as never, null)).toMatchObject({ table: "analytics", extra: [0, 10], topology: null });
  });
});

describe("validateAuditBatch keys mode", () => {
  it("checks only the row fields and returns the items as given", () => {
    const stateUpdate = {
      eventType: "PortfolioStateUpdate",
      eventId: "su-1",
      eventTime: 5,
      schemaVersion: SCHEMA_VERSION,
      portfolioId: "pf",
      decisionIds: ["d-1"],
      nav: -1, // invalid for the full schema, not a row field
      extra: "kept",
    };
    expect(() => validateAuditBatch([stateUpdate])).toThrow(AuditValidationError);
    const [kept] = validateAuditBatch([stateUpdate], "keys");
    expect(kept).toBe(stateUpdate);
    const { decisionIds: _, ...noIds } = stateUpdate;
    expect(() => validateAuditBatch([noIds], "keys")).toThrow(/decisionIds/);
    expect(() => validateAuditBatch([{ ...stateUpdate, eventTime: -1 }], "keys")).toThrow(/eventTime/);
  });
});

describe("keysOfOriginal", () => {
  it("reads portfolio and instrument ids from a JSON object's bytes, else null", () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    expect(keysOfOriginal(b64('{"portfolioId":"pf-3","instrumentId":"IBM"}'))).toEqual({
      portfolioId: "pf-3",
      instrumentId: "IBM",
    });
    expect(keysOfOriginal(b64('{"portfolioId":7}'))).toEqual({ portfolioId: null, instrumentId: null });
    expect(keysOfOriginal(b64("[1,2]"))).toEqual({ portfolioId: null, instrumentId: null });
    expect(keysOfOriginal(b64("\xff\xfe garbage"))).toEqual({ portfolioId: null, instrumentId: null });
    expect(keysOfOriginal(b64(JSON.stringify({ portfolioId: "x".repeat(129) })))).toEqual({
      portfolioId: null,
      instrumentId: null,
    });
  });
});

describe("audit schema SQL", () => {
  it("keys decisions on (event_id, event_time) only for a hypertable", () => {
    const plain = auditSchemaStatements("s1", { hypertableKey: false }).join("\n");
    const ht = auditSchemaStatements("s1", { hypertableKey: true }).join("\n");
    expect(plain).not.toContain("PRIMARY KEY (event_id, event_time)");
    expect(ht.match(/PRIMARY KEY \(event_id, event_time\)/g)).toHaveLength(1);
    expect(ht.match(/PRIMARY KEY \(event_id\)/g)).toHaveLength(3);
  });

  it("uses one parameter per column, whatever the batch size, and the given conflict target", () => {
    const sql = insertStatement("s1", "dead_letters", ["event_id"]);
    expect(sql.match(/\$\d+::/g)).toHaveLength(10);
    expect(sql).toMatch(/ON CONFLICT \(event_id\) DO NOTHING$/);
    expect(insertStatement("s1", "decisions", ["event_id", "event_time"])).toMatch(
      /ON CONFLICT \(event_id, event_time\) DO NOTHING$/,
    );
  });

  it("refuses schema names that would need quoting", () => {
    expect(quoteSchema("consilium_test_1")).toBe('"consilium_test_1"');
    for (const bad of ["", "Upper", "1abc", 'a"b', "a;b", "x".repeat(64)]) expect(() => quoteSchema(bad)).toThrow();
  });
});
