#!/usr/bin/env node
/**
 * The consilium CLI: `consilium run | replay | schemas | describe`. Runs with tsx from the sources
 * (`npm start`, `npm run cli -- …`) and compiled from `dist/` (`npx consilium …`).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { type RunCommandOptions, runCommand } from "./run-command.js";
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
  transport: "embedded" | "websocket";
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
    .option("-r, --recording <file>", "recording to replay (JSON Lines, optionally gzip)", undefined)
    .option("-c, --config <file>", "JSON file with a (partial) topology configuration")
    .option("-t, --topology <name>", "topology to run", "portfolio-coordination")
    .option("-w, --workers <n>", "worker count (KeyShared consumers)", positiveInt, 1)
    .addOption(
      new Option("--transport <kind>", "where the topology runs")
        .choices(["embedded", "websocket"])
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
      .description("run a topology over a recording (default: the full topology over the bundled recording)"),
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

  return program;
}

await buildProgram().parseAsync(process.argv);
