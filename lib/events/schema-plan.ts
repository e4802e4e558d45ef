import type { z } from "zod";

/**
 * A schema plan: the part of a zod schema that consilium's compiled decoders understand, read
 * once from zod's own schema definition (`_zod.def`). Both compilers — the value fast path
 * (`json-fast-path.ts`) and the byte decoder (`json-bytes-path.ts`) — generate code from a plan,
 * so they agree on what they handle. Every node that is not understood exactly becomes
 * `{ kind: "zod" }` and stays zod's business: the compilers either ask zod about that sub-value
 * or give up on the whole value (and the caller asks zod), they never guess.
 *
 * A plan only describes when zod *accepts* a value and what it outputs then: objects with the
 * default (strip) unknown-key policy; strings and arrays with min/max/exact length; finite
 * numbers with bounds and the safe-integer format; booleans; primitive literals and enums;
 * `nullable`; `optional` and `default` object properties; `refine`/`superRefine` checks on
 * objects (run on the finished output, like zod does); and records with plain string keys
 * (`z.record(z.string(), …)`: every own key, in order, but `__proto__`, which zod skips).
 * Error messages are always zod's.
 */
export type Plan =
  | { readonly kind: "string"; readonly min: number; readonly max: number }
  | {
      readonly kind: "number";
      readonly lo: number;
      readonly loInclusive: boolean;
      readonly hi: number;
      readonly hiInclusive: boolean;
      readonly safeInt: boolean;
    }
  | { readonly kind: "boolean" }
  | { readonly kind: "const"; readonly values: readonly (string | number | boolean | null)[] }
  | { readonly kind: "nullable"; readonly inner: Plan }
  | { readonly kind: "array"; readonly min: number; readonly max: number; readonly element: Plan }
  | {
      readonly kind: "object";
      readonly fields: readonly PlanField[];
      readonly refinements: readonly ZodCheck[];
      readonly schema: z.ZodType;
    }
  | { readonly kind: "record"; readonly value: Plan }
  | { readonly kind: "zod"; readonly schema: z.ZodType };

/**
 * String lengths are zod's: Unicode code points (a surrogate pair counts once), see
 * {@link codePointLength}.
 */

/** One object property: `required`, `optional` (absent key → no key in the output) or `default`. */
export interface PlanField {
  readonly key: string;
  readonly presence: "required" | "optional" | "default";
  /** The property's value (for `optional` / `default`: their inner schema). */
  readonly value: Plan;
  /** For `default`: the `ZodDefault` definition, whose `defaultValue` getter zod reads per parse. */
  readonly defaultDef?: { readonly defaultValue: unknown };
}

/** A zod check instance (`refine` / `superRefine`): `_zod.check(payload)` appends issues. */
export interface ZodCheck {
  readonly _zod: {
    readonly def: { readonly check: string; readonly when?: unknown };
    readonly check: (payload: { value: unknown; issues: unknown[] }) => unknown;
  };
}

interface CheckDef {
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
  readonly checks?: readonly ZodCheck[];
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly keyType?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly values?: readonly unknown[];
  readonly entries?: Record<string, unknown>;
  readonly defaultValue?: unknown;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;
const checksOf = (d: Def): CheckDef[] => (d.checks ?? []).map((c) => c._zod.def as CheckDef);

/** The def has only these keys (anything else — coerce, error maps… — goes to zod). */
function plain(d: Def, allowed: readonly string[]): boolean {
  return Object.keys(d).every((k) => allowed.includes(k));
}

function lengthBounds(checks: readonly CheckDef[]): { min: number; max: number } | undefined {
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
  return { min, max };
}

function numberBounds(checks: readonly CheckDef[]): Omit<Extract<Plan, { kind: "number" }>, "kind"> | undefined {
  let lo = Number.NEGATIVE_INFINITY;
  let loInclusive = true;
  let hi = Number.POSITIVE_INFINITY;
  let hiInclusive = true;
  let safeInt = false;
  for (const c of checks) {
    if (c.check === "greater_than" && typeof c.value === "number") {
      if (c.value > lo || (c.value === lo && !c.inclusive)) {
        lo = c.value;
        loInclusive = c.inclusive === true;
      }
    } else if (c.check === "less_than" && typeof c.value === "number") {
      if (c.value < hi || (c.value === hi && !c.inclusive)) {
        hi = c.value;
        hiInclusive = c.inclusive === true;
      }
    } else if (c.check === "number_format" && c.format === "safeint") safeInt = true;
    else return undefined;
  }
  if (Number.isNaN(lo) || Number.isNaN(hi)) return undefined;
  return { lo, loInclusive, hi, hiInclusive, safeInt };
}

const isPrimitive = (v: unknown): v is string | number | boolean | null =>
  v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && !Number.isNaN(v));

const plans = new WeakMap<z.ZodType, Plan>();

/** The schema's plan (cached per schema instance). */
export function schemaPlan(schema: z.ZodType): Plan {
  let p = plans.get(schema);
  if (!p) {
    p = buildPlan(schema);
    plans.set(schema, p);
  }
  return p;
}

function buildPlan(schema: z.ZodType): Plan {
  const zod: Plan = { kind: "zod", schema };
  const d = defOf(schema);
  switch (d.type) {
    case "string": {
      const len = plain(d, ["type", "checks"]) ? lengthBounds(checksOf(d)) : undefined;
      return len ? { kind: "string", ...len } : zod;
    }
    case "number": {
      const b = plain(d, ["type", "checks"]) ? numberBounds(checksOf(d)) : undefined;
      return b ? { kind: "number", ...b } : zod;
    }
    case "boolean":
      return plain(d, ["type"]) ? { kind: "boolean" } : zod;
    case "literal":
    case "enum": {
      if (!plain(d, ["type", d.type === "literal" ? "values" : "entries"])) return zod;
      // The set zod itself tests membership in (for enums: without a native enum's reverse keys).
      const set = (schema as unknown as { _zod: { values?: unknown } })._zod.values;
      if (!(set instanceof Set)) return zod;
      const values = [...set];
      // Primitives only (JSON values never equal an object literal by identity anyway); NaN is
      // out (zod compares with `includes`-like semantics we don't want to second-guess).
      if (values.length === 0 || !values.every(isPrimitive)) return zod;
      return { kind: "const", values };
    }
    case "nullable":
      if (!plain(d, ["type", "innerType"]) || !d.innerType) return zod;
      return { kind: "nullable", inner: schemaPlan(d.innerType) };
    case "array": {
      const len = plain(d, ["type", "element", "checks"]) && d.element ? lengthBounds(checksOf(d)) : undefined;
      if (!len || !d.element) return zod;
      return { kind: "array", ...len, element: schemaPlan(d.element) };
    }
    case "object": {
      if (!plain(d, ["type", "shape", "checks"]) || !d.shape) return zod;
      if (Object.getOwnPropertySymbols(d.shape).length > 0) return zod;
      const refinements = d.checks ?? [];
      // Only refine / superRefine checks without a `when` condition: they run on the output.
      if (!refinements.every((c) => c._zod.def.check === "custom" && c._zod.def.when === undefined)) return zod;
      if (!refinements.every((c) => typeof c._zod.check === "function")) return zod;
      const fields: PlanField[] = [];
      for (const key of Object.keys(d.shape)) {
        // zod skips a "__proto__" shape key; an object literal would set the prototype: leave it to zod.
        if (key === "__proto__") return zod;
        const fs = d.shape[key]!;
        const fd = defOf(fs);
        if (fd.type === "optional" && plain(fd, ["type", "innerType"]) && fd.innerType) {
          fields.push({ key, presence: "optional", value: schemaPlan(fd.innerType) });
        } else if (fd.type === "default" && plain(fd, ["type", "innerType", "defaultValue"]) && fd.innerType) {
          fields.push({
            key,
            presence: "default",
            value: schemaPlan(fd.innerType),
            defaultDef: fd as { defaultValue: unknown },
          });
        } else fields.push({ key, presence: "required", value: schemaPlan(fs) });
      }
      return { kind: "object", fields, refinements, schema };
    }
    case "record": {
      if (!plain(d, ["type", "keyType", "valueType"]) || !d.keyType || !d.valueType) return zod;
      const kd = defOf(d.keyType);
      if (kd.type !== "string" || !plain(kd, ["type"])) return zod;
      return { kind: "record", value: schemaPlan(d.valueType) };
    }
    default:
      return zod;
  }
}

/**
 * Run an object's refinements on a finished output the way zod's `runChecks` does for a value
 * without issues: each check appends to `payload.issues`. Returns the (possibly replaced)
 * `payload.value` when no check added an issue, or `fail` when one did, one returned a promise
 * or one threw (then the caller asks zod, which reproduces that outcome).
 */
export function runRefinements<F>(refinements: readonly ZodCheck[], value: unknown, fail: F): unknown {
  const payload = { value, issues: [] as unknown[] };
  try {
    for (let i = 0; i < refinements.length; i++) {
      const r = refinements[i]!._zod.check(payload);
      if (r instanceof Promise) {
        r.catch(() => {});
        return fail;
      }
      if (payload.issues.length > 0) return fail;
    }
  } catch {
    return fail;
  }
  return payload.value;
}

/**
 * The number of code points of a string as zod's length checks count them: a high surrogate
 * followed by a low surrogate counts once, any other UTF-16 unit (lone surrogates too) once.
 */
export function codePointLength(s: string): number {
  const units = s.length;
  let count = units;
  for (let i = 0; i < units - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}
