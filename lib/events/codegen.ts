import type { PlanField, ZodCheck } from "./schema-plan.js";

/**
 * Small helpers shared by the code generators of `json-fast-path.ts` and `json-bytes-path.ts`.
 * Generated code never embeds a schema's text raw: property names and literal values go through
 * `JSON.stringify` (a valid JS string/number literal), everything else is passed in as a closure
 * constant (`K[i]`).
 */

/** A JS literal for a primitive constant (strings and finite numbers through JSON.stringify). */
export function jsLiteral(v: string | number | boolean | null): string {
  if (typeof v === "number") {
    if (Object.is(v, -0)) return "-0";
    if (v === Number.POSITIVE_INFINITY) return "Infinity";
    if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  }
  return JSON.stringify(v);
}

/** Unique variable names and closure constants for one generated function. */
export class Gen {
  private n = 0;
  readonly constants: unknown[] = [];
  /** A fresh identifier with the given prefix. */
  id(prefix: string): string {
    return `${prefix}${this.n++}`;
  }
  /** An expression reading a closure constant. */
  constant(value: unknown): string {
    let i = this.constants.indexOf(value);
    if (i < 0) i = this.constants.push(value) - 1;
    return `K[${i}]`;
  }
}

/** Above this many optional fields an object's output is built by ordered assignments. */
const MAX_LITERAL_VARIANTS_LOG2 = 5;

/**
 * Statements assigning to `target` the output object of an object plan: the present fields in
 * schema order, as one object literal per combination of present optional fields (so V8 sees a
 * few fixed shapes), or — with many optional fields — the leading literal followed by ordered
 * assignments. `vars[i]` holds field i's output value; `present[i]` (optional fields only) is a
 * boolean variable telling whether the key was there.
 */
export function emitObjectOutput(
  target: string,
  fields: readonly PlanField[],
  vars: readonly string[],
  present: readonly (string | undefined)[],
): string {
  const prop = (i: number) => `${JSON.stringify(fields[i]!.key)}: ${vars[i]}`;
  const optional = fields.map((f, i) => (f.presence === "optional" ? i : -1)).filter((i) => i >= 0);
  const literal = (mask: number) => {
    const props: string[] = [];
    for (let i = 0; i < fields.length; i++) {
      const bit = optional.indexOf(i);
      if (bit < 0 || (mask & (1 << bit)) !== 0) props.push(prop(i));
    }
    return `{ ${props.join(", ")} }`;
  };
  if (optional.length === 0) return `${target} = ${literal(0)};\n`;
  if (optional.length <= MAX_LITERAL_VARIANTS_LOG2) {
    const mask = optional.map((i, bit) => `(${present[i]} ? ${1 << bit} : 0)`).join(" | ");
    let code = `switch (${mask}) {\n`;
    for (let m = 0; m < 1 << optional.length; m++) code += `case ${m}: ${target} = ${literal(m)}; break;\n`;
    return `${code}}\n`;
  }
  const first = optional[0]!;
  let code = `${target} = { ${fields
    .slice(0, first)
    .map((_, i) => prop(i))
    .join(", ")} };\n`;
  for (let i = first; i < fields.length; i++) {
    const assign = `${target}[${JSON.stringify(fields[i]!.key)}] = ${vars[i]};\n`;
    code += fields[i]!.presence === "optional" ? `if (${present[i]}) ${assign}` : assign;
  }
  return code;
}

/**
 * Statements declaring the output object of an object plan ({@link emitObjectOutput}) and, when
 * the object has refinements, running them on it (`R(checks, value, U)`; `fail` when one
 * rejects). Returns the code and the variable holding the result.
 */
export function emitObjectResult(
  g: Gen,
  plan: { readonly fields: readonly PlanField[]; readonly refinements: readonly ZodCheck[] },
  vars: readonly string[],
  present: readonly (string | undefined)[],
  fail: string,
): { code: string; out: string } {
  const o = g.id("o");
  let code = `let ${o};\n${emitObjectOutput(o, plan.fields, vars, present)}`;
  if (plan.refinements.length === 0) return { code, out: o };
  const r = g.id("r");
  code += `const ${r} = R(${g.constant(plan.refinements)}, ${o}, U);\nif (${r} === U) ${fail}`;
  return { code, out: r };
}
