import { FAILED_TAG, type Topology } from "./types.js";
import { fromNames, routeOf, stepInfo, validateTopology } from "./validate.js";

/** The JSON form of {@link describe}: stable key order, no functions. */
export interface TopologyDescription {
  readonly name: string;
  readonly version: string;
  readonly sources: readonly { name: string; topic: string; schema: string; subscription: string; type: string }[];
  readonly sideInputs: readonly { name: string; topic: string; schema: string }[];
  readonly steps: readonly {
    name: string;
    operator: string;
    from: readonly string[];
    sideInputs: readonly string[];
    /** Keyed state tables and their changelog topics. */
    state: readonly { name: string; changelog: string }[];
    /** `deferred`: written after the turn's other outputs (`SideOutputRoute`'s `deferred`). */
    sideOutputs: readonly { tag: string; route: string; deferred?: true }[];
    retentionMs: number;
    inputSchema?: string;
    outputSchema?: string;
  }[];
  readonly sinks: readonly {
    name: string;
    from: readonly string[];
    topic: string;
    schema: string;
    /** Written after the turn's other outputs (`SinkSpec.deferred`). */
    deferred?: true;
  }[];
  readonly deadLetters: string;
}

/** Where a side output of `step` tagged `tag` goes: a topic, `absorb`, or `nack/dead-letter` (failed). */
export function sideOutputRoute(t: Pick<Topology, "sideOutputs">, step: string, tag: string): string {
  if (tag === FAILED_TAG) return "nack, then dead-letter";
  const r = routeOf(t, step, tag);
  return r === undefined ? "UNROUTED" : r === "absorb" ? "absorb" : r.topic;
}

function isDeferredRoute(t: Pick<Topology, "sideOutputs">, step: string, tag: string): boolean {
  const r = routeOf(t, step, tag);
  return r !== undefined && r !== "absorb" && r.deferred === true;
}

/** The changelog topic of a step's keyed state. */
export function changelogTopic(t: Pick<Topology, "name" | "changelogPrefix">, step: string, state: string): string {
  return `${t.changelogPrefix ?? `${t.name}-changelog-`}${step}-${state}`;
}

/**
 * Where a worker lists the records it had finished when it stopped (see the runtime's
 * FinishedRecords); a topology with keyed state has one. Never a changelog's name: those have a
 * `-` after the prefix.
 */
export function finishedTopic(t: Pick<Topology, "name" | "changelogPrefix">): string {
  return `${t.changelogPrefix ?? `${t.name}-changelog-`}finished`;
}

/** Structured description of a topology (what `describe(t, "json")` prints). */
export function describeTopology(t: Topology): TopologyDescription {
  const { operators } = validateTopology(t);
  return {
    name: t.name,
    version: t.version,
    sources: Object.entries(t.sources).map(([name, s]) => ({
      name,
      topic: s.topic,
      schema: s.schema,
      subscription: s.subscription?.name ?? `${t.name}.${name}`,
      type: s.subscription?.type ?? "KeyShared",
    })),
    sideInputs: Object.entries(t.sideInputs).map(([name, s]) => ({ name, topic: s.topic, schema: s.schema })),
    steps: t.order.map((name) => {
      const step = t.steps[name]!;
      const info = stepInfo(step as never, operators.get(name));
      return {
        name,
        operator: info.operatorName,
        from: [...fromNames(step.from)],
        sideInputs: [...(step.sideInputs ?? [])],
        state: (step.state ?? []).map((s) => ({ name: s, changelog: changelogTopic(t, name, s) })),
        sideOutputs: info.sideOutputs.map((tag) => ({
          tag,
          route: sideOutputRoute(t, name, tag),
          ...(isDeferredRoute(t, name, tag) ? { deferred: true as const } : {}),
        })),
        retentionMs: info.retentionMs,
        ...(step.inputSchema !== undefined ? { inputSchema: step.inputSchema } : {}),
        ...(step.outputSchema !== undefined ? { outputSchema: step.outputSchema } : {}),
      };
    }),
    sinks: Object.entries(t.sinks).map(([name, s]) => ({
      name,
      from: [...fromNames(s.from)],
      topic: s.topic,
      schema: s.schema,
      ...(s.deferred === true ? { deferred: true as const } : {}),
    })),
    deadLetters: t.deadLetters.topic,
  };
}

export type DescribeFormat = "text" | "mermaid" | "json";

/**
 * Print a topology, Kafka-Streams-`describe()`-style: `text` (one line per node), `mermaid`
 * (a `flowchart LR` graph: topics as stadiums, steps as boxes, side inputs dotted) or `json`
 * ({@link TopologyDescription}, pretty-printed).
 */
export function describe(t: Topology, format: DescribeFormat = "text"): string {
  const d = describeTopology(t);
  if (format === "json") return JSON.stringify(d, null, 2);
  if (format === "mermaid") return mermaid(d);
  const lines: string[] = [`Topology ${d.name} v${d.version}`];
  for (const s of d.sources) lines.push(`  Source ${s.name}: ${s.topic} [${s.schema}] (${s.type} ${s.subscription})`);
  for (const s of d.sideInputs) lines.push(`  SideInput ${s.name}: ${s.topic} [${s.schema}] (table, latest by key)`);
  for (const s of d.steps) {
    lines.push(`  Step ${s.name}: ${s.operator} <- ${s.from.join(", ")}`);
    if (s.sideInputs.length > 0) lines.push(`    side inputs: ${s.sideInputs.join(", ")}`);
    for (const st of s.state) lines.push(`    state ${st.name} (changelog ${st.changelog})`);
    if (s.retentionMs > 0) lines.push(`    retention: ${s.retentionMs} ms`);
    for (const o of s.sideOutputs)
      lines.push(`    side output ${o.tag} -> ${o.route}${o.deferred ? " (deferred)" : ""}`);
  }
  for (const s of d.sinks) {
    lines.push(`  Sink ${s.name}: ${s.topic} [${s.schema}] <- ${s.from.join(", ")}${s.deferred ? " (deferred)" : ""}`);
  }
  lines.push(`  Dead letters -> ${d.deadLetters}`);
  return lines.join("\n");
}

function mermaid(d: TopologyDescription): string {
  const out = ["flowchart LR"];
  const topicIds = new Map<string, string>();
  const topic = (name: string) => {
    let id = topicIds.get(name);
    if (id === undefined) {
      id = `t${topicIds.size}`;
      topicIds.set(name, id);
      out.push(`  ${id}([${JSON.stringify(name)}])`);
    }
    return id;
  };
  for (const s of d.sources) {
    out.push(`  ${s.name}[/"${s.name}: ${s.schema}"/]`);
    out.push(`  ${topic(s.topic)} --> ${s.name}`);
  }
  for (const s of d.sideInputs) {
    out.push(`  ${s.name}[("${s.name} (table)")]`);
    out.push(`  ${topic(s.topic)} -.-> ${s.name}`);
  }
  for (const s of d.steps) {
    out.push(`  ${s.name}["${s.name}: ${s.operator}"]`);
    for (const f of s.from) out.push(`  ${f} --> ${s.name}`);
    for (const si of s.sideInputs) out.push(`  ${si} -.-> ${s.name}`);
    for (const o of s.sideOutputs) {
      if (o.route.startsWith("nack") || o.route === "absorb") continue;
      out.push(`  ${s.name} -. ${o.tag} .-> ${topic(o.route)}`);
    }
  }
  for (const s of d.sinks) {
    out.push(`  ${s.name}[\\"${s.name}: ${s.schema}"\\]`);
    for (const f of s.from) out.push(`  ${f} --> ${s.name}`);
    out.push(`  ${s.name} --> ${topic(s.topic)}`);
  }
  out.push(`  dlq{{dead letters}} --> ${topic(d.deadLetters)}`);
  return out.join("\n");
}
