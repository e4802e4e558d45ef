import type { z } from "zod";
import { emitObjectResult, Gen, jsLiteral } from "./codegen.js";
import { numberRejects, UNDECIDED, undecided } from "./json-fast-path.js";
import { type Plan, runRefinements, schemaPlan } from "./schema-plan.js";

/**
 * A schema-specialized decoder from message bytes straight to zod's output, for the common
 * shape of a message: keys in schema order, ASCII strings without escapes, plain JSON numbers,
 * JSON whitespace anywhere it is allowed. Generated once per schema from its
 * {@link schemaPlan} (`new Function`): one pass over the bytes that checks the JSON grammar,
 * the schema's constraints and builds the output object literal in schema key order.
 *
 * It returns exactly what `JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes))`
 * followed by `schema.safeParse(...).data` would, or {@link UNDECIDED}. The fallback rule:
 * anything unusual — a byte ≥ 0x80 (so also a BOM, and any text that might not be UTF-8), a
 * backslash or a control character in a string, a key that is not the next one in schema order
 * (unknown, duplicate, reordered; in records: duplicate, `__proto__` or digit-first keys), a
 * token that is not strict JSON (`01`, `1.`, `.5`, `+1`, `NaN`…), a value the schema rejects, a
 * node the plan leaves to zod whose value isn't plain ASCII JSON, anything after the top-level
 * value but whitespace — is UNDECIDED, and the caller takes the general path (TextDecoder +
 * JSON.parse + fast path/zod), which gives the answer and the messages. A fallback is always
 * allowed; a different answer never.
 *
 * Allocation: strings are built once per distinct value and field (a small per-field table,
 * compared byte by byte before reuse; see `siteString`), arrays are collected in a per-site
 * scratch array and copied once at their exact size, the output object is one literal.
 *
 * Why this is exact:
 * - Every byte of an accepted message is inspected and is ASCII, so the bytes are valid UTF-8
 *   and decode to the same characters (no BOM: the first non-whitespace byte is `{` or a value).
 * - The accepted grammar is a subset of JSON's (which is unambiguous), so the value read is the
 *   value `JSON.parse` reads. Keys are accepted only once each and in schema order, so there are
 *   no duplicate-key or unknown-key questions.
 * - Strings are byte-for-character copies (ASCII, no escapes), built as flat strings; their
 *   length in bytes is their length in code points, which is what zod's length checks count.
 * - Numbers: the JSON grammar is checked strictly (`-? (0 | [1-9][0-9]*) (. [0-9]+)?
 *   ([eE] [+-]? [0-9]+)?`). Without an exponent, with all digits as an integer mantissa
 *   m ≤ 2^53 − 1 and f ≤ 22 fraction digits, both m and 10^f are exact doubles and one IEEE
 *   division rounds m / 10^f correctly — the correctly rounded value JSON.parse produces (the
 *   sign applied after, so `-0` stays `-0`). Anything else goes through `Number()` on the
 *   grammar-checked slice, which for JSON-grammar text is the same conversion JSON.parse uses.
 * - Sub-values the plan leaves to zod are delimited, then parsed with `JSON.parse` on their own
 *   (JSON values are context-free) and given to that sub-schema's `safeParse`, as the value fast
 *   path does; refinements run on the finished object (see `runRefinements`).
 */
export type BytesPath = (bytes: Uint8Array) => unknown;

const compiled = new WeakMap<z.ZodType, BytesPath>();

/** The schema's byte decoder (zod's output or UNDECIDED), compiled on first use. */
export function jsonBytesPath(schema: z.ZodType): BytesPath {
  let f = compiled.get(schema);
  if (!f) {
    f = compileJsonBytesPath(schema);
    compiled.set(schema, f);
  }
  return f;
}

/** Buffer's (undocumented, long-standing) latin1Slice, or the documented equivalent. */
const latin1Slice: (this: Uint8Array, start: number, end: number) => string =
  typeof Buffer.prototype.latin1Slice === "function"
    ? (Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string)
    : function (this: Uint8Array, start: number, end: number): string {
        return Buffer.from(this.buffer, this.byteOffset, this.byteLength).toString("latin1", start, end);
      };
const fromCharCode = String.fromCharCode;

/**
 * An ASCII byte range as a flat string: short ones through `String.fromCharCode` (no native
 * call), longer ones through Buffer's latin1 slice (a sequential string, not a slice that would
 * keep the whole message alive).
 */
function asciiString(b: Uint8Array, a: number, e: number): string {
  switch (e - a) {
    case 0:
      return "";
    case 1:
      return fromCharCode(b[a]!);
    case 2:
      return fromCharCode(b[a]!, b[a + 1]!);
    case 3:
      return fromCharCode(b[a]!, b[a + 1]!, b[a + 2]!);
    case 4:
      return fromCharCode(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!);
    case 5:
      return fromCharCode(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!);
    case 6:
      return fromCharCode(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!);
    case 7:
      return fromCharCode(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!, b[a + 6]!);
    case 8:
      return fromCharCode(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!, b[a + 6]!, b[a + 7]!);
    default:
      return latin1Slice.call(b, a, e);
  }
}

/**
 * Per string field: a small table of the strings it produced, so that a repeated value (an
 * instrument, a portfolio, a source — few distinct values) is reused after comparing its bytes
 * instead of being built again. Strings are immutable, so sharing one is not observable. A site
 * whose values rarely repeat (event ids) stops looking after a while.
 */
interface StringSite {
  readonly table: (string | undefined)[];
  hits: number;
  misses: number;
  off: boolean;
}

const SITE_TABLE_SIZE = 64;

function newStringSite(): StringSite {
  return { table: new Array<string | undefined>(SITE_TABLE_SIZE).fill(undefined), hits: 0, misses: 0, off: false };
}

/** The ASCII byte range [a, e) as a string, from the site's table when the same bytes were seen. */
function siteString(site: StringSite, b: Uint8Array, a: number, e: number): string {
  const len = e - a;
  if (site.off || len === 0) return asciiString(b, a, e);
  const slot = (len * 31 + b[a]! * 7 + b[e - 1]! * 3 + b[a + (len >> 1)]!) & (SITE_TABLE_SIZE - 1);
  const cached = site.table[slot];
  if (cached !== undefined && cached.length === len) {
    let i = 0;
    while (i < len && cached.charCodeAt(i) === b[a + i]) i++;
    if (i === len) {
      site.hits++;
      return cached;
    }
  }
  // Mostly new values: stop looking (decided once, after enough evidence).
  if (++site.misses > 512 && site.misses > 4 * site.hits) site.off = true;
  const s = asciiString(b, a, e);
  site.table[slot] = s;
  return s;
}

/** The position after JSON whitespace (space, tab, LF, CR) from `p`. */
function skipWhitespace(b: Uint8Array, p: number): number {
  const n = b.length;
  while (p < n) {
    const c = b[p]!;
    if (c === 32 || c === 10 || c === 13 || c === 9) p++;
    else break;
  }
  return p;
}

/**
 * The end of the JSON value starting at `p` (its first byte, not whitespace), or -1 when it is
 * not plain ASCII or not delimited. Only finds the extent: the caller parses the slice with
 * JSON.parse, which checks it.
 */
function skipValue(b: Uint8Array, p: number): number {
  const n = b.length;
  let depth = 0;
  while (p < n) {
    const c = b[p]!;
    if (c >= 128) return -1;
    if (c === 34) {
      p++;
      for (;;) {
        if (p >= n) return -1;
        const d = b[p]!;
        if (d >= 128) return -1;
        if (d === 34) break;
        if (d === 92) {
          p++;
          if (p >= n || b[p]! >= 128) return -1;
        }
        p++;
      }
      p++;
      if (depth === 0) return p;
    } else if (c === 123 || c === 91) {
      depth++;
      p++;
    } else if (c === 125 || c === 93) {
      if (depth === 0) return p;
      depth--;
      p++;
      if (depth === 0) return p;
    } else if (depth === 0) {
      // A scalar: letters, digits, signs, dots.
      const start = p;
      while (p < n) {
        const d = b[p]!;
        if ((d >= 48 && d <= 57) || (d >= 97 && d <= 122) || (d >= 65 && d <= 90) || d === 43 || d === 45 || d === 46) {
          p++;
        } else break;
      }
      return p > start ? p : -1;
    } else p++;
  }
  return -1;
}

/** JSON.parse of an ASCII byte range, or UNDECIDED when it throws. */
function parseSlice(b: Uint8Array, a: number, e: number): unknown {
  try {
    return JSON.parse(latin1Slice.call(b, a, e));
  } catch {
    return UNDECIDED;
  }
}

/** 1 for the bytes that end or break a plain string: controls, `"`, `\\`, non-ASCII. */
const STOP = new Uint8Array(256).map((_, c) => (c < 32 || c === 34 || c === 92 || c >= 128 ? 1 : 0));

/** Largest scratch array a site keeps between messages (elements). */
const SCRATCH_KEEP = 4096;

/** 10^0 .. 10^22, all exact doubles. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Compile a schema into a byte decoder (see {@link jsonBytesPath}). */
export function compileJsonBytesPath(schema: z.ZodType): BytesPath {
  const g = new Gen();
  const value = emitValue(schemaPlan(schema), g);
  const src = `"use strict";
return function bytesPath(b) {
const n = b.length;
let p = 0;
let c = b[0];
${WS}${value.code}${WS}if (p !== n) return U;
return ${value.out};
};`;
  try {
    return new Function("U", "K", "R", "S", "SS", "W", "SK", "PS", "P10", "STOP", "HOP", src)(
      UNDECIDED,
      g.constants,
      runRefinements,
      asciiString,
      siteString,
      skipWhitespace,
      skipValue,
      parseSlice,
      POW10,
      STOP,
      Object.prototype.hasOwnProperty,
    ) as BytesPath;
  } catch {
    // Code generation disallowed (--disallow-code-generation-from-strings, a CSP): general path.
    return undecided;
  }
}

/** Skip whitespace at `p`; afterwards `c` is the byte at `p` (undefined at the end). */
const WS = "if (c <= 32) { p = W(b, p); c = b[p]; }\n";
/** Advance past the current byte and skip whitespace. */
const NEXT = `p++;\nc = b[p];\n${WS}`;
const fail = "return U;\n";

interface Emitted {
  /** Statements: on entry `c === b[p]` is the value's first byte; on exit p is past the value and c === b[p]. */
  readonly code: string;
  /** Expression for the value (a variable, or a constant). */
  readonly out: string;
}

/** Is this string safe to compare byte by byte (printable ASCII, no quote, no backslash)? */
const plainAscii = (s: string) => /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(s);

/** A condition: the bytes from `at` are exactly the characters of `s` (plain ASCII). */
function bytesEqual(at: string, s: string): string {
  const parts: string[] = [];
  for (let i = 0; i < s.length; i++) parts.push(`b[${at} + ${i}] === ${s.charCodeAt(i)}`);
  return parts.length > 0 ? parts.join(" && ") : "true";
}

/** Scan a string without escapes; leaves `a` = first content byte, p at the closing quote. */
function emitStringScan(a: string): string {
  // STOP[c] is 0 for plain string bytes (0x20..0x7f but `"` and `\\`); undefined (the end) stops too.
  return `if (c !== 34) ${fail}const ${a} = ++p;
while (STOP[c = b[p]] === 0) p++;
if (c !== 34) ${fail}`;
}

function emitNumber(x: string, g: Gen): string {
  const st = g.id("st");
  const neg = g.id("ng");
  const m = g.id("m");
  const f = g.id("f");
  const digit = "(c >= 48 && c <= 57)";
  return `const ${st} = p;
let ${neg} = false;
if (c === 45) { ${neg} = true; c = b[++p]; }
let ${m} = 0;
let ${f} = 0;
if (c === 48) c = b[++p];
else if (c >= 49 && c <= 57) { do { ${m} = ${m} * 10 + (c - 48); c = b[++p]; } while ${digit}; }
else ${fail}if (c === 46) {
c = b[++p];
if (!${digit}) ${fail}do { ${m} = ${m} * 10 + (c - 48); ${f}++; c = b[++p]; } while ${digit};
}
let ${x};
if (c === 101 || c === 69) {
c = b[++p];
if (c === 43 || c === 45) c = b[++p];
if (!${digit}) ${fail}do { c = b[++p]; } while ${digit};
${x} = Number(S(b, ${st}, p));
} else if (${m} <= 9007199254740991 && ${f} <= 22) {
${x} = ${f} === 0 ? ${m} : ${m} / P10[${f}];
if (${neg}) ${x} = -${x};
} else ${x} = Number(S(b, ${st}, p));
`;
}

function emitValue(plan: Plan, g: Gen): Emitted {
  switch (plan.kind) {
    case "string": {
      const a = g.id("a");
      const x = g.id("s");
      const len = `p - ${a}`;
      const bounds: string[] = [];
      if (plan.min > 0) bounds.push(`${len} < ${plan.min}`);
      if (Number.isFinite(plan.max)) bounds.push(`${len} > ${plan.max}`);
      return {
        code: `${emitStringScan(a)}${bounds.length > 0 ? `if (${bounds.join(" || ")}) ${fail}` : ""}const ${x} = SS(${g.constant(newStringSite())}, b, ${a}, p);\nc = b[++p];\n`,
        out: x,
      };
    }
    case "number": {
      const x = g.id("d");
      return { code: `${emitNumber(x, g)}if (${numberRejects(plan, x)}) ${fail}`, out: x };
    }
    case "boolean": {
      const x = g.id("t");
      return {
        code: `let ${x};
if (c === 116 && ${bytesEqual("p + 1", "rue")}) { ${x} = true; p += 4; }
else if (c === 102 && ${bytesEqual("p + 1", "alse")}) { ${x} = false; p += 5; }
else ${fail}c = b[p];
`,
        out: x,
      };
    }
    case "const": {
      if (plan.values.every((v) => typeof v === "string" && plainAscii(v))) {
        // Compare the bytes (quotes included) with each allowed value; the output is the constant.
        const x = g.id("k");
        let code = `let ${x};\n`;
        plan.values.forEach((v, i) => {
          const quoted = JSON.stringify(v);
          code += `${i > 0 ? "else " : ""}if (${bytesEqual("p", quoted)}) { ${x} = ${jsLiteral(v as string)}; p += ${quoted.length}; }\n`;
        });
        code += `else ${fail}c = b[p];\n`;
        return { code, out: x };
      }
      if (plan.values.every((v) => typeof v === "number")) {
        const x = g.id("d");
        return {
          code: `${emitNumber(x, g)}if (${plan.values.map((v) => `${x} !== ${jsLiteral(v)}`).join(" && ")}) ${fail}`,
          out: x,
        };
      }
      // Mixed primitives: delimit the token, JSON.parse it, compare with each allowed value.
      const e = g.id("e");
      const j = g.id("j");
      return {
        code: `const ${e} = SK(b, p);
if (${e} < 0) ${fail}const ${j} = PS(b, p, ${e});
if (${plan.values.map((v) => `${j} !== ${jsLiteral(v)}`).join(" && ")}) ${fail}p = ${e};
c = b[p];
`,
        out: j,
      };
    }
    case "nullable": {
      const inner = emitValue(plan.inner, g);
      const x = g.id("u");
      return {
        code: `let ${x};
if (c === 110 && ${bytesEqual("p + 1", "ull")}) { ${x} = null; p += 4; c = b[p]; }
else {
${inner.code}${x} = ${inner.out};
}
`,
        out: x,
      };
    }
    case "array": {
      // Elements go to a scratch array owned by this spot of the generated code, and the
      // result is one exact-size copy of it (no growth garbage, no spare capacity kept). A
      // scratch that grew beyond SCRATCH_KEEP for one large message is released right after.
      const x = g.id("l");
      const sc = g.constant([]);
      const count = g.id("n");
      const el = emitValue(plan.element, g);
      const bounds: string[] = [];
      if (plan.min > 0) bounds.push(`${count} < ${plan.min}`);
      if (Number.isFinite(plan.max)) bounds.push(`${count} > ${plan.max}`);
      return {
        code: `if (c !== 91) ${fail}${NEXT}let ${count} = 0;
if (c === 93) { c = b[++p]; }
else for (;;) {
${el.code}${sc}[${count}++] = ${el.out};
${WS}if (c === 44) { ${NEXT}continue; }
if (c === 93) { c = b[++p]; break; }
${fail}}
${bounds.length > 0 ? `if (${bounds.join(" || ")}) ${fail}` : ""}const ${x} = ${count} === 0 ? [] : ${sc}.slice(0, ${count});
if (${count} > ${SCRATCH_KEEP}) ${sc}.length = 0;
`,
        out: x,
      };
    }
    case "object": {
      if (!plan.fields.every((f) => plainAscii(f.key))) return emitZod(plan, g);
      // `k`: a key is pending at p (c is its opening quote); false once the object is closed.
      const k = g.id("q");
      let code = `if (c !== 123) ${fail}${NEXT}let ${k};
if (c === 34) ${k} = true;
else if (c === 125) ${k} = false;
else ${fail}`;
      const vars: string[] = [];
      const present: (string | undefined)[] = [];
      for (const f of plan.fields) {
        const quoted = JSON.stringify(f.key);
        const matches = `${k} && ${bytesEqual("p", quoted)}`;
        const inner = emitValue(f.value, g);
        const parse = `p += ${quoted.length};
c = b[p];
${WS}if (c !== 58) ${fail}${NEXT}${inner.code}`;
        const separator = `${WS}if (c === 44) {
${NEXT}if (c !== 34) ${fail}} else if (c === 125) ${k} = false;
else ${fail}`;
        if (f.presence === "required") {
          const y = g.id("y");
          code += `if (!(${matches})) ${fail}${parse}const ${y} = ${inner.out};\n${separator}`;
          vars.push(y);
          present.push(undefined);
        } else if (f.presence === "optional") {
          const y = g.id("y");
          const h = g.id("h");
          code += `let ${y};\nlet ${h} = false;\nif (${matches}) {\n${parse}${y} = ${inner.out};\n${h} = true;\n${separator}}\n`;
          vars.push(y);
          present.push(h);
        } else {
          const y = g.id("y");
          code += `let ${y};\nif (${matches}) {\n${parse}${y} = ${inner.out};\n${separator}} else ${y} = ${g.constant(f.defaultDef)}.defaultValue;\n`;
          vars.push(y);
          present.push(undefined);
        }
      }
      // A key left over matched no field in order (unknown, duplicate or out of order).
      const result = emitObjectResult(g, plan, vars, present, fail);
      return { code: `${code}if (${k}) ${fail}c = b[++p];\n${result.code}`, out: result.out };
    }
    case "record": {
      // Plain string keys: zod keeps every own key in order. Left to the general path: keys
      // starting with a digit (array-index keys would be reordered), "__proto__" (zod skips
      // it) and duplicates (JSON.parse keeps the first position with the last value).
      const r = g.id("r");
      const a = g.id("a");
      const key = g.id("key");
      const inner = emitValue(plan.value, g);
      return {
        code: `if (c !== 123) ${fail}${NEXT}const ${r} = {};
if (c === 125) { c = b[++p]; }
else for (;;) {
${emitStringScan(a)}if (b[${a}] >= 48 && b[${a}] <= 57) ${fail}const ${key} = SS(${g.constant(newStringSite())}, b, ${a}, p);
if (${key} === "__proto__" || HOP.call(${r}, ${key})) ${fail}c = b[++p];
${WS}if (c !== 58) ${fail}${NEXT}${inner.code}${r}[${key}] = ${inner.out};
${WS}if (c === 44) { ${NEXT}continue; }
if (c === 125) { c = b[++p]; break; }
${fail}}
`,
        out: r,
      };
    }
    case "zod":
      return emitZod(plan, g);
  }
}

/** A sub-value left to zod: delimit it, JSON.parse it alone, and take zod's output when it succeeds. */
function emitZod(plan: Extract<Plan, { kind: "zod" | "object" }>, g: Gen): Emitted {
  const schema = plan.schema;
  const e = g.id("e");
  const j = g.id("j");
  const r = g.id("z");
  return {
    code: `const ${e} = SK(b, p);
if (${e} < 0) ${fail}const ${j} = PS(b, p, ${e});
if (${j} === U) ${fail}const ${r} = ${g.constant(schema)}.safeParse(${j});
if (!${r}.success) ${fail}p = ${e};
c = b[p];
`,
    out: `${r}.data`,
  };
}
