import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { bundledRecordingPath, messageBytes, readRecording } from "../../examples/recordings/format.js";
import { eventArbitraries } from "../testing/event-arbitraries.js";
import { decodeEvent } from "./decode.js";
import { jsonBytesPath } from "./json-bytes-path.js";
import { UNDECIDED } from "./json-fast-path.js";
import { eventSchemas, inputEventNames } from "./registry.js";

/**
 * decodeEvent (byte decoder → TextDecoder + JSON.parse + fast path → zod) against the plain
 * reference written out here: TextDecoder(fatal) + JSON.parse + zod's safeParse. Same `ok`, the
 * same value (deep-equal, -0 included, and the same key order), or the same failure.
 */
const utf8 = new TextDecoder("utf-8", { fatal: true });
function reference(schema: z.ZodType, bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: "undecodable", message: "message is not valid UTF-8", issues: [] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: "invalid-json", message: (e as Error).message, issues: [] };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
  return {
    ok: false,
    reason: "schema-violation",
    message: issues[0] ? `${issues[0].path || "(root)"}: ${issues[0].message}` : "schema violation",
    issues,
  };
}

function expectSame(schema: z.ZodType, bytes: Uint8Array): void {
  const actual = decodeEvent(schema, bytes);
  const expected = reference(schema, bytes);
  if (!isDeepStrictEqual(actual, expected) || JSON.stringify(actual) !== JSON.stringify(expected)) {
    // The failing input, readably (fast-check's counterexample shows the unmutated sample).
    throw new Error(
      `decodeEvent differs from the reference on ${JSON.stringify(Buffer.from(bytes).toString("latin1"))}:\n` +
        `actual   ${JSON.stringify(actual)}\nexpected ${JSON.stringify(expected)}`,
    );
  }
}

const inputSchemas = inputEventNames.map((n) => eventSchemas[n] as z.ZodType);
const allSchemas = Object.values(eventSchemas) as z.ZodType[];
const recorded = readRecording(bundledRecordingPath()).map(messageBytes);
const schemaOf = (text: string): z.ZodType | undefined => {
  const m = /"eventType":"(\w+)"/.exec(text);
  return m ? (eventSchemas as Record<string, z.ZodType>)[`${m[1]}Event`] : undefined;
};
/** Recorded messages that are JSON objects of a known type (the ones worth mutating). */
const samples = recorded
  .map((bytes) => ({ bytes, text: bytes.toString("utf8"), schema: schemaOf(bytes.toString("utf8")) }))
  .filter((s): s is { bytes: Buffer; text: string; schema: z.ZodType } => {
    if (!s.schema) return false;
    try {
      return typeof JSON.parse(s.text) === "object";
    } catch {
      return false;
    }
  });
/** A few of each type, so that rare types are mutated as often as signals. */
const byType = new Map<z.ZodType, typeof samples>();
for (const s of samples) byType.set(s.schema, [...(byType.get(s.schema) ?? []), s]);
const sampleArb = fc.noShrink(
  fc.constantFrom(...byType.values()).chain((list) => fc.nat(list.length - 1).map((i) => list[i]!)),
);

/** Paths to every object key / array index of a JSON value. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof v === "object" && v !== null) {
    for (const k of Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v)) {
      const p = [...prefix, k];
      out.push(p);
      paths((v as Record<string | number, unknown>)[k], p, out);
    }
  }
  return out;
}

const MARK = "\u0000mark\u0000";
/** The sample's JSON with the value at one path replaced by raw text (valid JSON or not). */
function withRaw(text: string, pick: number, raw: string): string {
  const json = JSON.parse(text) as unknown;
  const ps = paths(json);
  const path = ps[pick % ps.length]!;
  let o = json as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) o = o[path[i]!] as Record<string | number, unknown>;
  o[path[path.length - 1]!] = MARK;
  return JSON.stringify(json).replace(JSON.stringify(MARK), () => raw);
}

/** Number spellings: valid JSON ones JSON.parse reads in every way, and invalid ones. */
const numberTokens = [
  "0",
  "-0",
  "-0.0",
  "0.0",
  "1",
  "1e2",
  "1E2",
  "1e+2",
  "1E-7",
  "0.1e+1",
  "-1.5e-3",
  "1e400",
  "-1e400",
  "1e-400",
  "5e-324",
  "2.2250738585072014e-308",
  "1.7976931348623157e308",
  "9007199254740991",
  "9007199254740992",
  "9007199254740993",
  "123456789012345678901234567890",
  "0.1234567890123456789",
  "0.30000000000000004",
  "1.00000000000000000000001",
  "0.0000000000000000000000001",
  "100000000000000000000000",
  "1506954661768",
  "1506954661768.0",
  "0.5",
  "0.9999999999999999",
  "1.0000000000000001",
  "01",
  "-01",
  "00",
  "1.",
  ".5",
  "+1",
  "-",
  "--1",
  "1e",
  "1e+",
  "1.e1",
  "0x10",
  "NaN",
  "Infinity",
  "-Infinity",
  "1_000",
  "1 2",
];
const numberTokenArb = fc.oneof(
  fc.constantFrom(...numberTokens),
  fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : String(d))),
  fc.integer().map(String),
  fc
    .tuple(fc.nat(99999), fc.nat(30), fc.boolean())
    .map(([m, f, neg]) => `${neg ? "-" : ""}${(m / 10 ** Math.min(f, 5)).toString()}${"0".repeat(f % 3)}`),
  fc.tuple(fc.integer({ min: -9999, max: 9999 }), fc.integer({ min: -400, max: 400 })).map(([m, e]) => `${m}e${e}`),
);

/** Raw JSON (or not) to put at a value position. */
const rawValueArb = fc.oneof(
  numberTokenArb,
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: "grapheme", maxLength: 6 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: "binary", maxLength: 4 }).map((s) => JSON.stringify(s)),
  fc.constantFrom(
    '"\\u0041"',
    '"\\/"',
    '"a\\"b"',
    '"\\n"',
    '"\\ud800"',
    '"é"',
    '"😀"',
    '"a\tb"',
    '"a\u007fb"',
    "true",
    "false",
    "null",
    "tru",
    "nul",
    "True",
    '""',
    "[]",
    "{}",
    "[1,]",
    '{"a":1,}',
    '"low"',
    '"long"',
    '"TradingSignal"',
    "1",
  ),
);

/** Insert JSON whitespace (and, rarely, non-JSON whitespace) after structural characters. */
function respace(text: string, seed: number, rate: number): string {
  const ws = [" ", "\t", "\n", "\r", "  ", "\r\n", " \n\t"];
  const bad = ["\u00a0", "\f", "\v", "\u2028", "\ufeff"];
  let out = "";
  let inString = false;
  let x = seed >>> 0;
  const rnd = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    out += ch;
    if (inString) {
      if (ch === "\\") out += text[++i]!;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      continue;
    }
    if ("{}[],:".includes(ch) && rnd() < rate)
      out += rnd() < 0.02 ? bad[Math.floor(rnd() * bad.length)] : ws[Math.floor(rnd() * ws.length)];
  }
  return rnd() < 0.5 ? `${ws[Math.floor(rnd() * ws.length)]}${out}\n` : out;
}

/** Reorder the keys of one object of the sample (top level or nested). */
function reorder(text: string, pick: number, seed: number): string {
  const json = JSON.parse(text) as unknown;
  const objects: Record<string, unknown>[] = [];
  const walk = (v: unknown) => {
    if (typeof v !== "object" || v === null) return;
    if (!Array.isArray(v)) objects.push(v as Record<string, unknown>);
    for (const x of Object.values(v)) walk(x);
  };
  walk(json);
  const o = objects[pick % objects.length]!;
  const entries = Object.entries(o);
  const i = seed % entries.length;
  const j = Math.floor(seed / entries.length) % entries.length;
  [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  for (const k of Object.keys(o)) delete o[k];
  for (const [k, v] of entries) o[k] = v;
  return JSON.stringify(json);
}

/** Insert a raw `"key":value,` pair after an opening brace (a duplicate, an unknown key…). */
function insertPair(text: string, pick: number, key: string, raw: string): string {
  const braces: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") braces.push(i);
  }
  if (braces.length === 0) return text;
  const at = braces[pick % braces.length]! + 1;
  const rest = text.slice(at);
  return `${text.slice(0, at)}${JSON.stringify(key)}:${raw}${rest.startsWith("}") ? "" : ","}${rest}`;
}

const keyOf = (text: string, pick: number): string => {
  const keys = [...text.matchAll(/"([A-Za-z]+)":/g)].map((m) => m[1]!);
  return keys[pick % keys.length] ?? "eventId";
};

describe("decodeEvent vs TextDecoder + JSON.parse + zod", () => {
  it("agrees on every recorded message, against every input schema", () => {
    let decidedByBytes = 0;
    for (const bytes of recorded) {
      for (const schema of inputSchemas) {
        expectSame(schema, bytes);
        if (jsonBytesPath(schema)(bytes) !== UNDECIDED) decidedByBytes++;
      }
    }
    // The byte decoder takes every valid recorded message (the common shape): none falls back.
    const valid = recorded.reduce(
      (n, bytes) => n + inputSchemas.filter((s) => (reference(s, bytes) as { ok: boolean }).ok).length,
      0,
    );
    expect(decidedByBytes).toBe(valid);
    expect(valid).toBeGreaterThan(8000);
  });

  it("agrees on recorded messages with one value replaced by raw text (numbers, strings, escapes, unicode…)", () => {
    fc.assert(
      fc.property(sampleArb, fc.nat(), rawValueArb, (s, pick, raw) => {
        expectSame(s.schema, Buffer.from(withRaw(s.text, pick, raw), "utf8"));
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees on recorded messages with a number replaced by any spelling", () => {
    const numericPaths = (text: string) => {
      const json = JSON.parse(text) as unknown;
      return paths(json).filter((p) => {
        let o = json as Record<string | number, unknown>;
        for (const k of p) o = o[k] as Record<string | number, unknown>;
        return typeof o === "number";
      });
    };
    fc.assert(
      fc.property(sampleArb, fc.nat(), numberTokenArb, (s, pick, raw) => {
        const json = JSON.parse(s.text) as unknown;
        const ps = numericPaths(s.text);
        const path = ps[pick % ps.length]!;
        let o = json as Record<string | number, unknown>;
        for (let i = 0; i < path.length - 1; i++) o = o[path[i]!] as Record<string | number, unknown>;
        o[path[path.length - 1]!] = MARK;
        const text = JSON.stringify(json).replace(JSON.stringify(MARK), () => raw);
        expectSame(s.schema, Buffer.from(text, "utf8"));
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees on byte flips, insertions, deletions and truncations of recorded messages", () => {
    fc.assert(
      fc.property(
        sampleArb,
        fc.array(
          fc.tuple(
            fc.constantFrom("flip", "set", "insert", "delete", "truncate"),
            fc.nat(),
            fc.oneof(
              fc.integer({ min: 0, max: 255 }),
              fc.constantFrom(
                0x22,
                0x5c,
                0x2c,
                0x3a,
                0x7b,
                0x7d,
                0x5b,
                0x5d,
                0x20,
                0x0a,
                0x80,
                0xc3,
                0xef,
                0xff,
                0x30,
                0x2e,
                0x65,
              ),
            ),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        (s, edits) => {
          let bytes = [...s.bytes];
          for (const [op, at, value] of edits) {
            const i = at % Math.max(1, bytes.length);
            if (op === "flip") bytes[i] = (bytes[i] ?? 0) ^ (1 << (value % 8));
            else if (op === "set") bytes[i] = value;
            else if (op === "insert") bytes.splice(i, 0, value);
            else if (op === "delete") bytes.splice(i, 1);
            else bytes = bytes.slice(0, i);
          }
          expectSame(s.schema, Uint8Array.from(bytes));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("agrees on whitespace, key reorders, duplicate and unknown keys, and a BOM", () => {
    fc.assert(
      fc.property(
        sampleArb,
        fc.constantFrom("space", "reorder", "duplicate", "unknown", "bom", "pretty"),
        fc.nat(),
        fc.nat(),
        rawValueArb,
        (s, op, a, b, raw) => {
          let text = s.text;
          if (op === "space") text = respace(text, a, (b % 100) / 100);
          else if (op === "reorder") text = reorder(text, a, b);
          else if (op === "duplicate") text = insertPair(text, a, keyOf(text, b), raw);
          else if (op === "unknown") text = insertPair(text, a, `x${b % 3}`, raw);
          else if (op === "bom") text = `\ufeff${respace(text, a, 0.1)}`;
          else text = JSON.stringify(JSON.parse(text), null, (b % 3) + 1);
          expectSame(s.schema, Buffer.from(text, "utf8"));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("agrees on arbitrary JSON for every event schema", () => {
    fc.assert(
      fc.property(fc.nat(allSchemas.length - 1), fc.jsonValue({ maxDepth: 3 }), fc.nat(), (si, json, seed) => {
        const schema = allSchemas[si]!;
        const text = JSON.stringify(json);
        expectSame(schema, Buffer.from(text, "utf8"));
        expectSame(schema, Buffer.from(respace(text, seed, 0.3), "utf8"));
      }),
      { numRuns: 2000 },
    );
  });

  it("agrees on arbitrary events of every type (as produced, pretty-printed, and against other schemas)", () => {
    const arbs = eventArbitraries() as Record<string, fc.Arbitrary<unknown>>;
    const names = Object.keys(eventSchemas) as (keyof typeof eventSchemas)[];
    fc.assert(
      fc.property(
        fc.constantFrom(...names).chain((name) => fc.tuple(fc.constant(name), arbs[name]!)),
        fc.nat(allSchemas.length - 1).map((i) => allSchemas[i]!),
        fc.nat(),
        ([name, value], other, seed) => {
          const text = JSON.stringify(value);
          const own = eventSchemas[name] as z.ZodType;
          expectSame(own, Buffer.from(text, "utf8"));
          // Re-encoded in schema order (zod's output), ASCII: the byte decoder must take it.
          const canonical = JSON.stringify(own.parse(value));
          if (/^[\x20-\x7e]*$/.test(canonical)) {
            expect(jsonBytesPath(own)(Buffer.from(canonical))).not.toBe(UNDECIDED);
          }
          expectSame(own, Buffer.from(JSON.stringify(value, null, seed % 4), "utf8"));
          expectSame(other, Buffer.from(text, "utf8"));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("reuses repeated strings only when their bytes are equal (many colliding values per field)", () => {
    const signal = samples.find(
      (x) => x.text.includes('"eventType":"TradingSignal"') && x.text.includes('"instrumentId":"'),
    )!;
    const short = fc.string({ unit: fc.constantFrom("A", "B", "C", "."), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(short, short, (instrument, portfolio) => {
        const text = signal.text
          .replace(/"instrumentId":"[^"]*"/, `"instrumentId":${JSON.stringify(instrument)}`)
          .replace(/"portfolioId":"[^"]*"/, `"portfolioId":${JSON.stringify(portfolio)}`);
        expectSame(signal.schema, Buffer.from(text, "utf8"));
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees on string-map attributes with any keys (duplicates, __proto__, index-like, prototype names)", () => {
    const signal = samples.find(
      (x) => x.text.includes('"eventType":"TradingSignal"') && x.text.includes('"attributes":{'),
    )!;
    const keyArb = fc.oneof(
      fc.constantFrom(
        "__proto__",
        "constructor",
        "toString",
        "hasOwnProperty",
        "",
        "0",
        "1",
        "10",
        "01",
        "1a",
        "-1",
        "a",
        "b",
        "synthetic",
      ),
      fc.string({ maxLength: 4 }),
    );
    const valueArb = fc.oneof(
      fc.string({ maxLength: 4 }).map((v) => JSON.stringify(v)),
      fc.constantFrom("1", "null", "true", "[]", "{}", '"\\u0041"', '"é"'),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArb, valueArb), { maxLength: 5 }), fc.nat(), (pairs, seed) => {
        const raw = `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`;
        const text = signal.text.replace(/"attributes":\{[^}]*\}/, () => `"attributes":${raw}`);
        expectSame(signal.schema, Buffer.from(text, "utf8"));
        expectSame(signal.schema, Buffer.from(respace(text, seed, 0.5), "utf8"));
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees on large arrays (array bounds, scratch arrays released and reused)", () => {
    const rr = samples.find(
      (x) => x.text.includes('"eventType":"RebalanceRequest"') && (reference(x.schema, x.bytes) as { ok: boolean }).ok,
    )!;
    const json = JSON.parse(rr.text) as { targets: unknown[] };
    const target = json.targets[0];
    for (const n of [4095, 4097, 5000, 5001, 3, 6000, 1, 0]) {
      const text = JSON.stringify({ ...json, targets: Array.from({ length: n }, () => target) });
      expectSame(rr.schema, Buffer.from(text, "utf8"));
      expectSame(rr.schema, rr.bytes);
    }
  });

  it("agrees on a schema using every plan node (nullable, boolean, default, record, literals, zod-delegated nodes)", () => {
    const schema = z
      .object({
        a: z.string().max(3).nullable(),
        b: z.boolean(),
        c: z.number().int().default(3),
        d: z.record(z.string(), z.number().nullable()).optional(),
        e: z.array(z.object({ x: z.literal([0, 2]), y: z.enum(["p", "q"]).nullable() })).max(3),
        f: z.union([z.string(), z.number()]),
        g: z.string().regex(/a/).optional(),
        h: z.literal([1, "one", true, null]).optional(),
      })
      .refine((o) => o.b || o.e.length > 0, "b or e");
    const loose = <T>(a: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) });
    const value = fc.record(
      {
        a: loose(fc.option(fc.string({ maxLength: 4 }), { nil: null })),
        b: loose(fc.boolean()),
        c: loose(fc.integer()),
        d: loose(fc.dictionary(fc.string({ maxLength: 3 }), fc.option(fc.double(), { nil: null }), { maxKeys: 3 })),
        e: loose(
          fc.array(fc.record({ x: fc.constantFrom(0, 2, 1), y: fc.constantFrom("p", "q", null, "r") }), {
            maxLength: 4,
          }),
        ),
        f: loose(fc.oneof(fc.string({ maxLength: 3 }), fc.double())),
        g: loose(fc.string({ maxLength: 3 })),
        h: loose(fc.constantFrom(1, "one", true, null, 0, false)),
      },
      { requiredKeys: ["b", "e", "f"] },
    );
    fc.assert(
      fc.property(value, fc.nat(), (v, seed) => {
        const text = JSON.stringify(v);
        expectSame(schema, Buffer.from(text, "utf8"));
        expectSame(schema, Buffer.from(respace(text, seed, 0.3), "utf8"));
      }),
      { numRuns: 3000 },
    );
    // The byte decoder does take this schema's plain messages.
    const plain = '{"a":null,"b":true,"d":{"k":1.5,"n":null},"e":[{"x":2,"y":null}],"f":"s","g":"a","h":null}';
    expect(jsonBytesPath(schema)(Buffer.from(plain))).not.toBe(UNDECIDED);
    expectSame(schema, Buffer.from(plain));
  });

  it("measures string lengths in code points, as zod does (a surrogate pair counts once)", () => {
    const md = samples.find((x) => x.text.includes('"currency":"USD"'))!;
    for (const currency of [
      "\u{10000} ",
      " \u{10000}",
      "\u{10000}\u{10000}\u{10000}",
      "\ud800ab",
      "é€x",
      "\u{1F600}",
    ]) {
      const bytes = Buffer.from(md.text.replace('"currency":"USD"', `"currency":${JSON.stringify(currency)}`), "utf8");
      expectSame(md.schema, bytes);
      const escaped = md.text.replace(
        '"currency":"USD"',
        `"currency":"${currency
          .split("")
          .map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`)
          .join("")}"`,
      );
      expectSame(md.schema, Buffer.from(escaped, "utf8"));
    }
    expect(decodeEvent(md.schema, Buffer.from(md.text.replace('"USD"', '"\u{10000} "'))).ok).toBe(false);
  });

  it("takes plain Uint8Arrays and views into larger buffers", () => {
    const s = samples.find((x) => (reference(x.schema, x.bytes) as { ok: boolean }).ok)!;
    const big = new Uint8Array(s.bytes.length + 20);
    big.set(s.bytes, 7);
    const view = big.subarray(7, 7 + s.bytes.length);
    expect(jsonBytesPath(s.schema)(view)).not.toBe(UNDECIDED);
    expectSame(s.schema, view);
    expectSame(s.schema, Uint8Array.from(s.bytes));
    expectSame(s.schema, new Uint8Array(0));
  });
});
