/**
 * One case of a suite measured in a process of its own (see `BenchSuite.isolateCases`): forked by
 * the runner with `<suite file> <case index, -1 for the baseline> <warm-ups> <repetitions>`, it
 * loads the suite, measures the case and sends the result back over the IPC channel.
 */
import { basename } from "node:path";
import { loadSuite } from "./discover.js";
import { measure } from "./runner.js";

async function main(): Promise<void> {
  const [file, index, warmups, repetitions] = process.argv.slice(2);
  if (file === undefined || process.send === undefined)
    throw new Error("case-process: forked by the bench runner only");
  const suite = await loadSuite({ name: basename(file), file });
  const i = Number(index);
  const c = i < 0 ? suite.baseline : suite.cases[i];
  if (c === undefined) throw new Error(`case-process: ${file} has no case ${i}`);
  const result = await measure(c, Number(warmups), Number(repetitions));
  await new Promise<void>((resolve, reject) =>
    process.send!(result, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
