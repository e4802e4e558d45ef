import { BehaviorSubject } from "rxjs";
import { queueScheduler } from "rxjs";
import { type EventName, eventSchemas } from "../events/registry.js";
import { operatorInfo } from "../stream/operator.js";
import {
  type AnyStreamOperator,
  FAILED_TAG,
  type SideOutputRoute,
  type StepContext,
  type StepSpec,
  type TopologyIssue,
  type TopologySpec,
} from "./types.js";

/** Thrown by {@link defineTopology} with every issue found, one per line. */
export class TopologyValidationError extends Error {
  readonly issues: readonly TopologyIssue[];
  constructor(name: string, issues: readonly TopologyIssue[]) {
    super(`topology "${name}" is invalid:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`);
    this.name = "TopologyValidationError";
    this.issues = issues;
  }
}

/** The names a `from` field refers to, as an array. */
/** Where `step`'s side outputs tagged `tag` go: the `step.tag` route, else the `tag` route (undefined: unrouted). */
export function routeOf(t: Pick<TopologySpec, "sideOutputs">, step: string, tag: string): SideOutputRoute | undefined {
  return t.sideOutputs?.[`${step}.${tag}`] ?? t.sideOutputs?.[tag];
}

export function fromNames(from: string | readonly string[]): readonly string[] {
  return typeof from === "string" ? [from] : from;
}

/** The operator of a step: `use`, or `build(ctx)`. */
export function stepOperator<C>(step: StepSpec<C>, ctx: StepContext<C>): AnyStreamOperator {
  return "use" in step ? step.use : step.build(ctx);
}

/** A context for building steps outside a run (validation, describe): empty side tables. */
export function inertStepContext<C>(spec: TopologySpec<C>, config: C): StepContext<C> {
  const declared = new Set(Object.keys(spec.sideInputs ?? {}));
  return {
    topology: { name: spec.name, version: spec.version, hash: "" },
    config,
    scheduler: queueScheduler,
    workerId: "describe",
    sideInput<V>(name: string) {
      if (!declared.has(name)) throw new Error(`unknown side input "${name}"`);
      return new BehaviorSubject<ReadonlyMap<string, V>>(new Map());
    },
    keyedState<S>() {
      const m = new Map<string, S>();
      return { get: (k: string) => m.get(k), set: (k: string, v: S) => void m.set(k, v) };
    },
  };
}

/** Name and side-output tags of a step's operator (from `describeOperator` metadata). */
export function stepInfo(
  step: StepSpec<never>,
  op: AnyStreamOperator | undefined,
): { operatorName: string; sideOutputs: string[]; retentionMs: number } {
  const info = op === undefined ? undefined : operatorInfo(op);
  const tags = new Set<string>([...(info?.sideOutputs ?? []), ...(step.sideOutputs ?? [])]);
  return {
    operatorName: info?.operatorName ?? (op?.name || "operator"),
    sideOutputs: [...tags].sort(),
    retentionMs: info?.retentionMs ?? 0,
  };
}

function hasField(schema: EventName, field: string): boolean {
  const shape = (eventSchemas[schema] as unknown as { shape?: Record<string, unknown> }).shape;
  return shape !== undefined && field in shape;
}

/** Names must be usable in side-output routes (`step.tag`) and in mermaid ids. */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Check a topology spec; returns every issue (empty = valid) and the steps' topological order.
 * Builders are called once with an inert context to read their operators' metadata, so they must
 * be side-effect free.
 */
export function validateTopology<C>(
  spec: TopologySpec<C>,
  config?: C,
): { issues: TopologyIssue[]; order: string[]; operators: Map<string, AnyStreamOperator> } {
  const issues: TopologyIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if (!spec.name) add("name", "a topology needs a name");
  if (!spec.version) add("version", "a topology needs a version");

  const kinds = new Map<string, string>();
  const sections: [string, Record<string, unknown>][] = [
    ["sources", spec.sources ?? {}],
    ["sideInputs", spec.sideInputs ?? {}],
    ["steps", spec.steps ?? {}],
    ["sinks", spec.sinks ?? {}],
  ];
  for (const [section, entries] of sections) {
    for (const name of Object.keys(entries)) {
      if (!NAME.test(name)) add(`${section}.${name}`, "names must match [A-Za-z_][A-Za-z0-9_-]*");
      const prev = kinds.get(name);
      if (prev !== undefined) add(`${section}.${name}`, `duplicate name: "${name}" is already used in ${prev}`);
      else kinds.set(name, section);
    }
  }
  if (Object.keys(spec.sources ?? {}).length === 0) add("sources", "a topology needs at least one source");
  if (Object.keys(spec.sinks ?? {}).length === 0) add("sinks", "a topology needs at least one sink");

  const knownSchema = (path: string, schema: string) => {
    if (!(schema in eventSchemas)) {
      add(path, `unknown event schema "${schema}" (known: ${Object.keys(eventSchemas).join(", ")})`);
      return false;
    }
    return true;
  };
  const consumed = new Set<string>();
  for (const [name, src] of Object.entries(spec.sources ?? {})) {
    if (!src.topic) add(`sources.${name}.topic`, "a source needs a topic");
    if (knownSchema(`sources.${name}.schema`, src.schema) && !src.key && !hasField(src.schema, "portfolioId")) {
      add(`sources.${name}.key`, `schema ${src.schema} has no portfolioId: declare key(value)`);
    }
    consumed.add(src.topic);
  }
  for (const [name, si] of Object.entries(spec.sideInputs ?? {})) {
    if (!si.topic) add(`sideInputs.${name}.topic`, "a side input needs a topic");
    if (
      knownSchema(`sideInputs.${name}.schema`, si.schema) &&
      !si.key &&
      !["portfolioId", "instrumentId", "universeId"].some((f) => hasField(si.schema, f))
    ) {
      add(
        `sideInputs.${name}.key`,
        `schema ${si.schema} has no portfolioId/instrumentId/universeId: declare key(value)`,
      );
    }
    consumed.add(si.topic);
  }

  // Output schema of every stream name (sources: their schema; steps: declared outputSchema).
  const outSchema = (name: string): string | undefined => {
    const src = spec.sources?.[name];
    if (src) return src.schema;
    return spec.steps?.[name]?.outputSchema;
  };
  const streamRef = (path: string, ref: string, consumer: string) => {
    const kind = kinds.get(ref);
    if (kind === undefined) add(path, `unknown source or step "${ref}"`);
    else if (kind !== "sources" && kind !== "steps")
      add(path, `"${ref}" is a ${kind.slice(0, -1)}, not a source or step`);
    else if (ref === consumer) add(path, `step "${ref}" reads its own output`);
  };

  const deps = new Map<string, string[]>();
  const operators = new Map<string, AnyStreamOperator>();
  const ctx = inertStepContext(spec, config as C);
  const used = new Set<string>();
  for (const [name, step] of Object.entries(spec.steps ?? {})) {
    const froms = fromNames(step.from);
    if (froms.length === 0) add(`steps.${name}.from`, "a step needs at least one input");
    const stepDeps: string[] = [];
    for (const ref of froms) {
      streamRef(`steps.${name}.from`, ref, name);
      used.add(ref);
      if (spec.steps?.[ref] && ref !== name) stepDeps.push(ref);
      const produced = outSchema(ref);
      if (step.inputSchema !== undefined && produced !== undefined && produced !== step.inputSchema) {
        add(`steps.${name}.from`, `schema mismatch: "${ref}" emits ${produced}, "${name}" expects ${step.inputSchema}`);
      }
    }
    deps.set(name, stepDeps);
    if (step.inputSchema !== undefined) knownSchema(`steps.${name}.inputSchema`, step.inputSchema);
    if (step.outputSchema !== undefined) knownSchema(`steps.${name}.outputSchema`, step.outputSchema);
    for (const si of step.sideInputs ?? []) {
      if (spec.sideInputs?.[si] === undefined) add(`steps.${name}.sideInputs`, `unknown side input "${si}"`);
    }
    if (!("use" in step) && typeof (step as { build?: unknown }).build !== "function") {
      add(`steps.${name}`, "a step needs `use` (an operator) or `build(ctx)`");
      continue;
    }
    let op: AnyStreamOperator | undefined;
    try {
      op = stepOperator(step, ctx);
      if (typeof op !== "function") {
        add(`steps.${name}`, "the step's operator is not a function");
        op = undefined;
      }
    } catch (e) {
      add(`steps.${name}.build`, `building the operator failed: ${(e as Error).message}`);
    }
    if (op) operators.set(name, op);
    // Every side output must be routed.
    for (const tag of stepInfo(step as StepSpec<never>, op).sideOutputs) {
      if (tag === FAILED_TAG) continue;
      if (routeOf(spec, name, tag) === undefined) {
        add(
          `steps.${name}`,
          `unrouted side output "${tag}": add sideOutputs["${tag}"] or sideOutputs["${name}.${tag}"] (a topic or "absorb")`,
        );
      }
    }
  }
  for (const [key, route] of Object.entries(spec.sideOutputs ?? {})) {
    const dot = key.indexOf(".");
    if (dot >= 0 && spec.steps?.[key.slice(0, dot)] === undefined) {
      add(`sideOutputs.${key}`, `unknown step "${key.slice(0, dot)}"`);
    }
    if (route !== "absorb" && (typeof route !== "object" || !route.topic)) {
      add(`sideOutputs.${key}`, 'a route is { topic } or "absorb"');
    } else if (route !== "absorb" && route.deferred !== undefined && typeof route.deferred !== "boolean") {
      add(`sideOutputs.${key}.deferred`, "deferred is true or false");
    } else if (route !== "absorb" && consumed.has(route.topic)) {
      add(`sideOutputs.${key}`, `topic "${route.topic}" is also consumed by this topology (feedback loop)`);
    }
  }

  for (const [name, sink] of Object.entries(spec.sinks ?? {})) {
    if (!sink.topic) add(`sinks.${name}.topic`, "a sink needs a topic");
    else if (consumed.has(sink.topic)) {
      add(`sinks.${name}.topic`, `topic "${sink.topic}" is also consumed by this topology (feedback loop)`);
    }
    const schemaOk = knownSchema(`sinks.${name}.schema`, sink.schema);
    const froms = fromNames(sink.from);
    if (froms.length === 0) add(`sinks.${name}.from`, "a sink needs at least one input");
    for (const ref of froms) {
      streamRef(`sinks.${name}.from`, ref, name);
      used.add(ref);
      const produced = outSchema(ref);
      if (schemaOk && produced !== undefined && produced !== sink.schema) {
        add(`sinks.${name}.from`, `schema mismatch: "${ref}" emits ${produced}, sink "${name}" writes ${sink.schema}`);
      }
    }
  }
  if (!spec.deadLetters?.topic) add("deadLetters.topic", "a topology needs a dead-letter topic");
  else if (consumed.has(spec.deadLetters.topic)) {
    add("deadLetters.topic", `topic "${spec.deadLetters.topic}" is also consumed by this topology`);
  }

  for (const name of Object.keys(spec.sources ?? {})) {
    if (!used.has(name)) add(`sources.${name}`, "source is not read by any step or sink");
  }
  for (const name of Object.keys(spec.steps ?? {})) {
    if (!used.has(name)) add(`steps.${name}`, "the step's records go nowhere: read it from a step or a sink");
  }
  for (const name of Object.keys(spec.sideInputs ?? {})) {
    if (!Object.values(spec.steps ?? {}).some((s) => s.sideInputs?.includes(name))) {
      add(`sideInputs.${name}`, "side input is not declared by any step");
    }
  }

  // Topological order (Kahn, ready set sorted by name) and cycle report.
  const order: string[] = [];
  const indeg = new Map<string, number>();
  for (const [n, d] of deps) indeg.set(n, d.length);
  const ready = [...indeg].filter(([, d]) => d === 0).map(([n]) => n);
  ready.sort();
  while (ready.length > 0) {
    const n = ready.shift()!;
    order.push(n);
    for (const [m, d] of deps) {
      if (d.includes(n)) {
        const left = indeg.get(m)! - d.filter((x) => x === n).length;
        indeg.set(m, left);
        if (left === 0) {
          ready.push(m);
          ready.sort();
        }
      }
    }
  }
  if (order.length < deps.size) {
    const cyclic = [...deps.keys()].filter((n) => !order.includes(n)).sort();
    add("steps", `cycle between steps: ${cyclic.join(" -> ")}`);
  }
  return { issues, order, operators };
}
