/** `consilium run` / `consilium replay`: replay a recording through a topology and summarize. */
import { readFileSync } from "node:fs";
import { messageBytes } from "../../examples/recordings/format.js";
import { PortfolioCoordinationConfig } from "../../topologies/portfolio-coordination.config.js";
import { decisionDigest } from "./digest.js";
import { ProgressBar } from "./progress.js";
import { inputSchemaOf, loadRecording } from "./recording-source.js";
import type { RunSummary } from "./summary.js";
import { runThinPipeline } from "./thin-pipeline.js";

export interface RunCommandOptions {
  readonly recording?: string;
  /** JSON file with a (partial) topology configuration. */
  readonly config?: string;
  readonly topology: string;
  readonly workers: number;
  readonly transport: "embedded" | "websocket";
  readonly serviceUrl?: string;
  readonly thin: boolean;
  readonly progress: boolean;
}

export function readConfigFile(path: string | undefined): unknown {
  return path === undefined ? {} : JSON.parse(readFileSync(path, "utf8"));
}

export async function runCommand(options: RunCommandOptions): Promise<RunSummary> {
  const { messages } = loadRecording(options.recording);
  const config = PortfolioCoordinationConfig.parse(readConfigFile(options.config));
  const bar = options.progress ? new ProgressBar(messages.length, "replaying") : undefined;
  const started = Date.now();
  const result = runThinPipeline(
    messages.map((m) => ({ topic: m.topic, bytes: messageBytes(m) })),
    inputSchemaOf,
    (id) => config.portfolios[id]?.nav ?? 0,
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
    decisionsSha256: decisionDigest(result.decisions),
  };
}
