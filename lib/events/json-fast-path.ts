import type { z } from "zod";
import { emitObjectResult, Gen, jsLiteral } from "./codegen.js";
import { codePointLength, type Plan, runRefinements, schemaPlan } from "./schema-plan.js";

/**
 * A fast path in front of zod for values that came out of `JSON.parse` (no `undefined`, no class
 * instances, no getters). It either returns exactly the value `schema.safeParse(json).data` would
 * return (same keys in the same order, unknown keys stripped, fresh objects and arrays), or
 * {@link UNDECIDED}: the value may be invalid, or part of the schema is beyond the fast path —
 * the caller then runs zod, which also produces the error messages. It never rejects on its own.
 *
 * Compiled once per schema from its {@link schemaPlan} into straight-line JavaScript
 * (`new Function`): one property read per field with the literal name, inline type/range/length/
 * enum checks (string lengths in code points, as zod counts them), and the output built as one object literal in schema key order (one literal per
 * combination of present optional keys). Handled: what a plan describes (strip objects, strings
 * and arrays with length bounds, finite numbers with bounds and the safe-integer format,
 * booleans, primitive literals and enums, `nullable`, `optional` and `default` properties,
 * `refine`/`superRefine` on objects — run on the output, as zod does). Any other node —
 * transforms, records, unions, string formats… — is delegated to zod for that sub-value (its
 * `safeParse` result is used when it succeeds, otherwise UNDECIDED), so zod's semantics for it
 * are kept. `json-fast-path.test.ts` checks the equality against zod on the bundled recording,
 * on random mutations of it and on arbitrary JSON.
 */
export const UNDECIDED: unique symbol = Symbol("undecided");
export type FastPath = (json: unknown) => unknown;

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
 * NaN, ±Infinity, bigints, sparse arrays — is UNDECIDED. Objects with refinements and absent
 * `default` keys are left to zod here (zod would check/fill its own copy, not this value).
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
  const g = new Gen();
  const body = emitValue(schemaPlan(schema), "v", copy, g);
  const src = `"use strict";\nreturn function fastPath(v) {\n${body.code}return ${body.out};\n};`;
  try {
    return new Function("U", "K", "R", "L", src)(UNDECIDED, g.constants, runRefinements, codePointLength) as FastPath;
  } catch {
    // Code generation disallowed (--disallow-code-generation-from-strings, a CSP): zod decides.
    return undecided;
  }
}

/** The fast path when code cannot be generated: everything is left to zod. */
export const undecided: FastPath = () => UNDECIDED;

interface Emitted {
  /** Statements that validate the value (`return U` when not decided) and compute `out`. */
  readonly code: string;
  /** The variable holding the output (the input variable itself when nothing is copied). */
  readonly out: string;
}

const fail = "return U;\n";

/** A condition that is true when the number in `x` fails the plan's bounds (NaN/±Infinity too). */
export function numberRejects(p: Extract<Plan, { kind: "number" }>, x: string): string {
  const conds: string[] = [];
  const finiteLo = Number.isFinite(p.lo);
  const finiteHi = Number.isFinite(p.hi);
  if (finiteLo) conds.push(`${x} ${p.loInclusive ? ">=" : ">"} ${jsLiteral(p.lo)}`);
  if (finiteHi) conds.push(`${x} ${p.hiInclusive ? "<=" : "<"} ${jsLiteral(p.hi)}`);
  // Comparisons with finite bounds on both sides also reject NaN and ±Infinity.
  if (!finiteLo || !finiteHi) conds.push(`${x} - ${x} === 0`);
  if (p.safeInt) conds.push(`Number.isSafeInteger(${x})`);
  return `!(${conds.join(" && ")})`;
}

function emitValue(plan: Plan, v: string, copy: boolean, g: Gen): Emitted {
  switch (plan.kind) {
    case "string": {
      let code = `if (typeof ${v} !== "string") ${fail}`;
      const hasMax = Number.isFinite(plan.max);
      if (plan.min > 0 || hasMax) {
        // zod counts code points: between units / 2 and units. Units in [2 * min, max] pass
        // for sure; otherwise count them exactly.
        const units = `${v}.length`;
        const sure = [plan.min > 0 ? `${units} >= ${2 * plan.min}` : "", hasMax ? `${units} <= ${plan.max}` : ""];
        const cp = g.id("c");
        const bad = [plan.min > 0 ? `${cp} < ${plan.min}` : "", hasMax ? `${cp} > ${plan.max}` : ""];
        code += `if (!(${sure.filter(Boolean).join(" && ")})) {
const ${cp} = L(${v});
if (${bad.filter(Boolean).join(" || ")}) ${fail}}
`;
      }
      return { code, out: v };
    }
    case "number":
      return { code: `if (typeof ${v} !== "number" || ${numberRejects(plan, v)}) ${fail}`, out: v };
    case "boolean":
      return { code: `if (${v} !== true && ${v} !== false) ${fail}`, out: v };
    case "const":
      return { code: `if (${plan.values.map((c) => `${v} !== ${jsLiteral(c)}`).join(" && ")}) ${fail}`, out: v };
    case "nullable": {
      const inner = emitValue(plan.inner, v, copy, g);
      if (inner.out === v) return { code: `if (${v} !== null) {\n${inner.code}}\n`, out: v };
      const out = g.id("n");
      return { code: `let ${out} = null;\nif (${v} !== null) {\n${inner.code}${out} = ${inner.out};\n}\n`, out };
    }
    case "array": {
      const i = g.id("i");
      const e = g.id("e");
      const len = `${v}.length`;
      let code = `if (!Array.isArray(${v})${plan.min > 0 ? ` || ${len} < ${plan.min}` : ""}${
        Number.isFinite(plan.max) ? ` || ${len} > ${plan.max}` : ""
      }) ${fail}`;
      const el = emitValue(plan.element, e, copy, g);
      if (!copy) {
        // `i in v` keeps sparse arrays (values built in code) undecided.
        return {
          code: `${code}for (let ${i} = 0; ${i} < ${len}; ${i}++) {\nconst ${e} = ${v}[${i}];\nif (${e} === undefined) ${fail}${el.code}}\n`,
          out: v,
        };
      }
      const out = g.id("a");
      code += `const ${out} = [];\nfor (let ${i} = 0; ${i} < ${len}; ${i}++) {\nconst ${e} = ${v}[${i}];\n${el.code}${out}.push(${el.out});\n}\n`;
      return { code, out };
    }
    case "object": {
      if (!copy && plan.refinements.length > 0) return emitZod(plan.schema, v, copy, g);
      let code = `if (typeof ${v} !== "object" || ${v} === null || Array.isArray(${v})) ${fail}`;
      const vars: string[] = [];
      const present: (string | undefined)[] = [];
      for (const f of plan.fields) {
        const key = JSON.stringify(f.key);
        const x = g.id("x");
        code += `const ${x} = ${v}[${key}];\n`;
        const inner = emitValue(f.value, x, copy, g);
        if (f.presence === "required") {
          code += `if (${x} === undefined) ${fail}${inner.code}`;
          vars.push(inner.out);
          present.push(undefined);
        } else if (f.presence === "optional") {
          const h = g.id("h");
          const y = inner.out === x ? x : g.id("y");
          code += `let ${h} = false;\n${y === x ? "" : `let ${y};\n`}if (${x} !== undefined) {\n${inner.code}${
            y === x ? "" : `${y} = ${inner.out};\n`
          }${h} = true;\n} else if (${key} in ${v}) ${fail}`;
          vars.push(y);
          present.push(h);
        } else {
          // default: an absent key gets zod's default value (read per parse, like zod does);
          // the check-only variant leaves that to zod, whose output differs from the value.
          if (!copy) {
            code += `if (${x} === undefined) ${fail}${inner.code}`;
            vars.push(inner.out);
          } else {
            const y = g.id("y");
            code += `let ${y};\nif (${x} === undefined) ${y} = ${g.constant(f.defaultDef)}.defaultValue;\nelse {\n${inner.code}${y} = ${inner.out};\n}\n`;
            vars.push(y);
          }
          present.push(undefined);
        }
      }
      if (!copy) return { code, out: v };
      const result = emitObjectResult(g, plan, vars, present, fail);
      return { code: code + result.code, out: result.out };
    }
    case "record": {
      // zod: a plain object; every own key (Reflect.ownKeys) but "__proto__", in order.
      // Anything that could make zod's view differ (another prototype — a Map, a class — an
      // own "constructor", symbol keys) is left to zod.
      const key = g.id("k");
      const x = g.id("x");
      let code = `if (typeof ${v} !== "object" || ${v} === null || Array.isArray(${v})) ${fail}`;
      code += `if (Object.getPrototypeOf(${v}) !== Object.prototype || Object.prototype.hasOwnProperty.call(${v}, "constructor") || Object.getOwnPropertySymbols(${v}).length > 0) ${fail}`;
      const inner = emitValue(plan.value, x, copy, g);
      const out = copy ? g.id("o") : v;
      code += `${copy ? `const ${out} = {};\n` : ""}for (const ${key} of Object.keys(${v})) {
if (${key} === "__proto__") continue;
const ${x} = ${v}[${key}];
if (${x} === undefined) ${fail}${inner.code}${copy ? `${out}[${key}] = ${inner.out};\n` : ""}}
`;
      return { code, out };
    }
    case "zod":
      return emitZod(plan.schema, v, copy, g);
  }
}

function emitZod(schema: z.ZodType, v: string, copy: boolean, g: Gen): Emitted {
  const r = g.id("z");
  const code = `const ${r} = ${g.constant(schema)}.safeParse(${v});\nif (!${r}.success) ${fail}`;
  return { code, out: copy ? `${r}.data` : v };
}
