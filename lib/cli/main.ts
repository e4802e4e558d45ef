#!/usr/bin/env node
/**
 * The consilium CLI: `consilium run | replay | schemas | describe | record`. Runs with tsx from the
 * sources (`npm start`, `npm run cli -- …`) and compiled from `dist/` (`npx consilium …`).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { describe, type DescribeFormat } from "../topology/describe.js";
import { websocketBinding } from "../transports/websocket/index.js";
import { inputTopics } from "../../topologies/portfolio-coordination.js";
import { recordTopics } from "./record-command.js";
import { resolveTopology } from "./resolve-topology.js";
import { type RunCommandOptions, runCommand, type TransportChoice } from "./run-command.js";
import { writeEventSchemas } from "./schemas.js";
import { formatSummary } from "./summary.js";

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
  return n;
};

interface RunFlags {
  recording?: string;
  config?: string;
  topology: string;
  workers: number;
  transport: TransportChoice;
  serviceUrl?: string;
  thin?: boolean;
  progress: boolean;
  json?: boolean;
}

const toRunOptions = (f: RunFlags): RunCommandOptions => ({
  topology: f.topology,
  workers: f.workers,
  transport: f.transport,
  thin: f.thin ?? false,
  progress: f.progress,
  ...(f.recording !== undefined ? { recording: f.recording } : {}),
  ...(f.config !== undefined ? { config: f.config } : {}),
  ...(f.serviceUrl !== undefined ? { serviceUrl: f.serviceUrl } : {}),
});

function replayOptions(cmd: Command): Command {
  return cmd
    .option("-r, --recording <file>", "recording to replay (JSON Lines, optionally gzip; default: the bundled one)")
    .option("-c, --config <file>", "JSON file with a (partial) topology configuration")
    .option(
      "-t, --topology <name|module>",
      "bundled topology name or a module exporting a topology",
      "portfolio-coordination",
    )
    .option("-w, --workers <n>", "workers splitting the keys (KeyShared)", positiveInt, 1)
    .addOption(
      new Option("--transport <kind>", "embedded broker, replay (virtual time, 1 worker) or a broker's WebSocket API")
        .choices(["embedded", "replay", "websocket"])
        .default("embedded"),
    )
    .option("--service-url <url>", "Pulsar WebSocket service URL (with --transport websocket)")
    .option("--thin", "run the thin pipeline (decode -> validate -> dedup -> one decision per signal)");
}

export function buildProgram(): Command {
  const program = new Command("consilium")
    .description("Portfolio trading coordination as composable RxJS operators bound to Apache Pulsar")
    .showHelpAfterError();

  replayOptions(
    program
      .command("run", { isDefault: true })
      .description(
        "run a topology over a recording and print a summary (default: the full topology, bundled recording)",
      ),
  )
    .option("--no-progress", "do not draw the progress bar")
    .option("--json", "print the summary as JSON")
    .action(async (flags: RunFlags) => {
      const summary = await runCommand(toRunOptions(flags));
      console.log(flags.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    });

  replayOptions(
    program
      .command("replay")
      .description("replay a recording and print the sha256 of the decision outputs (A/B of topology versions)"),
  ).action(async (flags: RunFlags) => {
    const summary = await runCommand({ ...toRunOptions(flags), progress: false });
    console.log(summary.decisionsSha256);
  });

  program
    .command("schemas")
    .description("write one JSON Schema file per event, for producers in other languages")
    .requiredOption("-o, --out <dir>", "output directory")
    .action((flags: { out: string }) => {
      for (const path of writeEventSchemas(flags.out)) console.log(path);
    });

  program
    .command("describe")
    .description("print a topology's graph")
    .argument("<topology>", "bundled topology name or a module exporting a topology")
    .addOption(
      new Option("-f, --format <format>", "output format").choices(["text", "mermaid", "json"]).default("text"),
    )
    .action(async (name: string, flags: { format: DescribeFormat }) => {
      console.log(describe(await resolveTopology(name), flags.format));
    });

  program
    .command("record")
    .description("read topics of a broker (WebSocket API) from the beginning into a recording file")
    .requiredOption("--service-url <url>", "Pulsar WebSocket service URL, e.g. ws://127.0.0.1:8080")
    .requiredOption("-o, --out <file>", "recording to write (.jsonl.gz)")
    .option("--topic <topic...>", "topics to record (default: the inputs of portfolio-coordination)")
    .option("--max <n>", "at most this many messages per topic", positiveInt)
    .action(async (flags: { serviceUrl: string; out: string; topic?: string[]; max?: number }) => {
      const binding = websocketBinding({ serviceUrl: flags.serviceUrl });
      try {
        const n = await recordTopics(binding, flags.topic ?? inputTopics, flags.out, flags.max);
        console.log(`recorded ${n} messages to ${flags.out}`);
      } finally {
        await binding.client.close();
      }
    });

  return program;
}

await buildProgram().parseAsync(process.argv);
