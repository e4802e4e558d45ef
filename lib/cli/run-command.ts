/** `consilium run` / `consilium replay`: replay a recording through a topology and summarize. */
import { readFileSync } from "node:fs";
import { messageBytes } from "../../examples/recordings/format.js";
import { coordinationTopics } from "../../topologies/topics.js";
import { DeadLetterEvent } from "../events/dead-letter.js";
import { encodeEvent } from "../events/decode.js";
import { initSolver } from "../quant/index.js";
import { outputDigest } from "../runtime/digest.js";
import type { CapturedOutput } from "../runtime/types.js";
import type { Topology } from "../topology/types.js";
import { websocketBinding } from "../transports/websocket/index.js";
import { ProgressBar } from "./progress.js";
import { inputSchemaOf, loadRecording } from "./recording-source.js";
import { resolveTopology } from "./resolve-topology.js";
import { runRecording } from "./run-recording.js";
import type { RunSummary } from "./summary.js";
import { runThinPipeline } from "./thin-pipeline.js";

export type TransportChoice = "embedded" | "replay" | "websocket";

export interface RunCommandOptions {
  readonly recording?: string;
  /** JSON file with a (partial) topology configuration. */
  readonly config?: string;
  /** Bundled topology name or module path. */
  readonly topology: string;
  readonly workers: number;
  readonly transport: TransportChoice;
  readonly serviceUrl?: string;
  readonly thin: boolean;
  readonly progress: boolean;
}

export function readConfigFile(path: string | undefined): unknown {
  return path === undefined ? {} : JSON.parse(readFileSync(path, "utf8"));
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

function addInto(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** Dead letters by reason, counting each dead-letter id once (every worker dead-letters bad side-input messages). */
export function deadLettersByReason(captured: readonly CapturedOutput[], topic: string): Record<string, number> {
  const seen = new Set<string>();
  const out: Record<string, number> = {};
  for (const c of captured) {
    if (c.topic !== topic || seen.has(c.eventId)) continue;
    seen.add(c.eventId);
    const parsed = DeadLetterEvent.safeParse(JSON.parse(c.data.toString("utf8")));
    const reason = parsed.success ? parsed.data.reason : "unreadable-dead-letter";
    out[reason] = (out[reason] ?? 0) + 1;
  }
  return out;
}

export async function runCommand(options: RunCommandOptions): Promise<RunSummary> {
  const { messages } = loadRecording(options.recording);
  if (options.thin) return runThin(messages, options);

  const topology = await resolveTopology(options.topology);
  const config = readConfigFile(options.config);
  await initSolver();
  const sourceTopics = new Set(Object.values(topology.sources).map((s) => s.topic));
  const total = messages.filter((m) => sourceTopics.has(m.topic)).length;
  const bar = options.progress ? new ProgressBar(total, "replaying") : undefined;
  let transport: "replay" | "embedded" | ReturnType<typeof websocketBinding> = options.transport as "replay";
  if (options.transport === "websocket") {
    if (options.serviceUrl === undefined) throw new Error("--transport websocket needs --service-url");
    transport = websocketBinding({ serviceUrl: options.serviceUrl });
  }
  const started = Date.now();
  const result = await runRecording(topology, messages, {
    transport,
    workers: options.workers,
    config,
    // The WebSocket API and the admin REST API share the broker's web service port.
    ...(options.transport === "websocket" && options.serviceUrl !== undefined
      ? { adminUrl: options.serviceUrl.replace(/^ws(s?):/, "http$1:") }
      : {}),
    ...(bar ? { onProgress: (n: number) => bar.update(n) } : {}),
  });
  const elapsedMs = Date.now() - started;
  bar?.finish();
  if (typeof transport === "object") await transport.client.close();

  const decisionTopics = Object.values(topology.sinks)
    .filter((s) => s.schema === "CoordinatedTradingDecisionEvent")
    .map((s) => s.topic);
  const out: Record<string, number> = {};
  const sideOutputs: Record<string, number> = {};
  for (const r of result.runs) {
    addInto(out, r.stats.out);
    addInto(sideOutputs, r.stats.sideOutputs);
  }
  const decisionSinks = Object.entries(topology.sinks).filter(
    ([, s]) => s.schema === "CoordinatedTradingDecisionEvent",
  );
  const otherOutputs = Object.fromEntries(
    Object.keys(topology.sinks)
      .filter((name) => !decisionSinks.some(([n]) => n === name))
      .map((name) => [name, out[name] ?? 0]),
  );
  return {
    topology: `${topology.name}@${topology.version}`,
    transport: options.transport,
    workers: options.workers,
    eventsIn: messages.length,
    decisionsOut: sum(decisionSinks.map(([name]) => out[name] ?? 0)),
    otherOutputs,
    deadLettered: deadLettersByReason(result.captured, topology.deadLetters.topic),
    sideOutputs,
    elapsedMs,
    latencyMs: { p50: result.latencyNs.p50 / 1e6, p99: result.latencyNs.p99 / 1e6 },
    latencyLabel: "receive → last output confirmed (incl. window wait)",
    ...(result.windowLatencyNs !== undefined
      ? { windowLatencyMs: { p50: result.windowLatencyNs.p50 / 1e6, p99: result.windowLatencyNs.p99 / 1e6 } }
      : {}),
    decisionsSha256: outputDigest(result.captured, decisionTopics),
  };
}

function runThin(messages: ReturnType<typeof loadRecording>["messages"], options: RunCommandOptions): RunSummary {
  const bar = options.progress ? new ProgressBar(messages.length, "replaying") : undefined;
  const navs = (readConfigFile(options.config) as { portfolios?: Record<string, { nav?: number }> }).portfolios;
  const started = Date.now();
  const result = runThinPipeline(
    messages.map((m) => ({ topic: m.topic, bytes: messageBytes(m) })),
    inputSchemaOf,
    (id) => navs?.[id]?.nav ?? 100_000_000,
    (i) => bar?.update(i + 1),
  );
  bar?.finish();
  return {
    topology: "thin (decode -> validate -> dedup -> one decision per signal)",
    transport: "in-process",
    workers: 1,
    eventsIn: messages.length,
    decisionsOut: result.decisions.length,
    otherOutputs: {},
    deadLettered: result.deadLettered,
    sideOutputs: result.sideOutputs,
    elapsedMs: Date.now() - started,
    decisionsSha256: outputDigest(
      result.decisions.map((d) => ({ topic: coordinationTopics.decisions, key: d.portfolioId, data: encodeEvent(d) })),
    ),
  };
}

export type { Topology };
