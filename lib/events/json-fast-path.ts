import type { z } from "zod";

/**
 * A fast path in front of zod for values that came out of `JSON.parse` (no `undefined`, no class
 * instances, no getters): a tree of small checks compiled once per schema from zod's own schema
 * definition. It either returns exactly the value `schema.safeParse(json).data` would return
 * (same keys in the same order, unknown keys stripped, fresh objects and arrays), or
 * {@link UNDECIDED}: the value may be invalid, or part of the schema is beyond the fast path —
 * the caller then runs zod, which also produces the error messages. It never rejects on its own.
 *
 * Compiled: objects with the default (strip) unknown-key policy and no object-level checks;
 * strings and arrays with min/max/exact length; finite numbers with bounds and the safe-integer
 * format; booleans; literals; enums; `optional` object properties; `nullable`. Any other node —
 * refinements, defaults, transforms, records, unions, string formats… — is delegated to zod
 * for that sub-value (its `safeParse` result is used when it succeeds, otherwise UNDECIDED), so
 * zod's semantics for it are kept. `json-fast-path.test.ts` checks the equality against zod on
 * the bundled recording and on random mutations of it.
 */
export const UNDECIDED: unique symbol = Symbol("undecided");
export type FastPath = (json: unknown) => unknown;

interface Check {
  readonly check: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly length?: number;
  readonly value?: unknown;
  readonly inclusive?: boolean;
  readonly format?: string;
}

interface Def {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: Check } }[];
  readonly shape?: Record<string, z.ZodType>;
  readonly catchall?: unknown;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly values?: readonly unknown[];
  readonly entries?: Record<string, unknown>;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;
const checksOf = (d: Def): Check[] => (d.checks ?? []).map((c) => c._zod.def);

/** The def has only these keys (anything else — coerce, error maps… — goes to zod). */
function plain(d: Def, allowed: readonly string[]): boolean {
  return Object.keys(d).every((k) => allowed.includes(k));
}

function delegate(schema: z.ZodType, copy: boolean): FastPath {
  return (v) => {
    const r = schema.safeParse(v);
    return r.success ? (copy ? r.data : v) : UNDECIDED;
  };
}

function lengthCheck(checks: readonly Check[]): ((n: number) => boolean) | undefined {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  for (const c of checks) {
    if (c.check === "min_length" && typeof c.minimum === "number") min = Math.max(min, c.minimum);
    else if (c.check === "max_length" && typeof c.maximum === "number") max = Math.min(max, c.maximum);
    else if (c.check === "length_equals" && typeof c.length === "number") {
      min = Math.max(min, c.length);
      max = Math.min(max, c.length);
    } else return undefined;
  }
  return (n) => n >= min && n <= max;
}

function numberCheck(checks: readonly Check[]): ((n: number) => boolean) | undefined {
  let lo = Number.NEGATIVE_INFINITY;
  let loIncl = true;
  let hi = Number.POSITIVE_INFINITY;
  let hiIncl = true;
  let safeInt = false;
  for (const c of checks) {
    if (c.check === "greater_than" && typeof c.value === "number") {
      if (c.value > lo || (c.value === lo && !c.inclusive)) {
        lo = c.value;
        loIncl = c.inclusive === true;
      }
    } else if (c.check === "less_than" && typeof c.value === "number") {
      if (c.value < hi || (c.value === hi && !c.inclusive)) {
        hi = c.value;
        hiIncl = c.inclusive === true;
      }
    } else if (c.check === "number_format" && c.format === "safeint") safeInt = true;
    else return undefined;
  }
  return (n) =>
    Number.isFinite(n) &&
    (loIncl ? n >= lo : n > lo) &&
    (hiIncl ? n <= hi : n < hi) &&
    (!safeInt || Number.isSafeInteger(n));
}

const compiled = new WeakMap<z.ZodType, FastPath>();
const compiledChecks = new WeakMap<z.ZodType, FastPath>();

/** The schema's fast path (zod's output or UNDECIDED), compiled on first use. */
export function jsonFastPath(schema: z.ZodType): FastPath {
  let f = compiled.get(schema);
  if (!f) {
    f = compileJsonFastPath(schema);
    compiled.set(schema, f);
  }
  return f;
}

/**
 * The schema's validity pre-check, compiled on first use: returns the value itself when zod
 * would accept it, UNDECIDED otherwise (then ask zod). No copies are built. Sound for values
 * built in code (sink outputs) too: whatever is not JSON-like — `undefined` in a present key,
 * NaN, ±Infinity, bigints, sparse arrays — is UNDECIDED.
 */
export function jsonFastCheck(schema: z.ZodType): FastPath {
  let f = compiledChecks.get(schema);
  if (!f) {
    f = compileJsonFastPath(schema, false);
    compiledChecks.set(schema, f);
  }
  return f;
}

/**
 * Compile a zod schema into a JSON fast path (see {@link UNDECIDED}). With `copy` false the
 * value itself is returned instead of zod's stripped copy (a validity check only).
 */
export function compileJsonFastPath(schema: z.ZodType, copy = true): FastPath {
  const d = defOf(schema);
  const checks = checksOf(d);
  switch (d.type) {
    case "string": {
      const len = plain(d, ["type", "checks"]) ? lengthCheck(checks) : undefined;
      if (!len) return delegate(schema, copy);
      return (v) => (typeof v === "string" && len(v.length) ? v : UNDECIDED);
    }
    case "number": {
      const ok = plain(d, ["type", "checks"]) ? numberCheck(checks) : undefined;
      if (!ok) return delegate(schema, copy);
      return (v) => (typeof v === "number" && ok(v) ? v : UNDECIDED);
    }
    case "boolean":
      if (!plain(d, ["type"])) return delegate(schema, copy);
      return (v) => (typeof v === "boolean" ? v : UNDECIDED);
    case "literal":
    case "enum": {
      if (!plain(d, ["type", d.type === "literal" ? "values" : "entries"])) return delegate(schema, copy);
      const allowed = d.type === "literal" ? [...(d.values ?? [])] : Object.values(d.entries ?? {});
      // Primitives only (JSON values never equal an object literal by identity anyway).
      if (!allowed.every((a) => a === null || typeof a !== "object")) return delegate(schema, copy);
      return (v) => (allowed.includes(v) ? v : UNDECIDED);
    }
    case "nullable": {
      if (!plain(d, ["type", "innerType"]) || !d.innerType) return delegate(schema, copy);
      const inner = compileJsonFastPath(d.innerType, copy);
      return (v) => (v === null ? null : inner(v));
    }
    case "array": {
      const len = plain(d, ["type", "element", "checks"]) && d.element ? lengthCheck(checks) : undefined;
      if (!len || !d.element) return delegate(schema, copy);
      const element = compileJsonFastPath(d.element, copy);
      if (!copy) {
        return (v) => {
          if (!Array.isArray(v) || !len(v.length)) return UNDECIDED;
          for (let i = 0; i < v.length; i++) if (element(v[i]) === UNDECIDED) return UNDECIDED;
          return v;
        };
      }
      return (v) => {
        if (!Array.isArray(v) || !len(v.length)) return UNDECIDED;
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) {
          const r = element(v[i]);
          if (r === UNDECIDED) return UNDECIDED;
          out[i] = r;
        }
        return out;
      };
    }
    case "object": {
      if (!plain(d, ["type", "shape"]) || checks.length > 0 || !d.shape) return delegate(schema, copy);
      const keys = Object.keys(d.shape);
      const fields = keys.map((key) => {
        const fd = defOf(d.shape![key]!);
        const optional = fd.type === "optional" && plain(fd, ["type", "innerType"]) && fd.innerType !== undefined;
        return { key, optional, parse: compileJsonFastPath(optional ? fd.innerType! : d.shape![key]!, copy) };
      });
      if (!copy) {
        return (v) => {
          if (typeof v !== "object" || v === null || Array.isArray(v)) return UNDECIDED;
          const o = v as Record<string, unknown>;
          for (let i = 0; i < fields.length; i++) {
            const f = fields[i]!;
            const x = o[f.key];
            if (x === undefined) {
              if (f.optional && !(f.key in o)) continue;
              return UNDECIDED;
            }
            if (f.parse(x) === UNDECIDED) return UNDECIDED;
          }
          return v;
        };
      }
      return (v) => {
        if (typeof v !== "object" || v === null || Array.isArray(v)) return UNDECIDED;
        const o = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (let i = 0; i < fields.length; i++) {
          const f = fields[i]!;
          const x = o[f.key];
          if (x === undefined) {
            if (f.optional && !(f.key in o)) continue;
            return UNDECIDED;
          }
          const r = f.parse(x);
          if (r === UNDECIDED) return UNDECIDED;
          out[f.key] = r;
        }
        return out;
      };
    }
    default:
      return delegate(schema, copy);
  }
}
