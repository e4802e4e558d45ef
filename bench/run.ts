/**
 * `npm run bench [name…]`: runs the suites in `bench/*.bench.ts` (all, or those whose file stem or
 * suite name is given) — compiled by tsc into `.bench-build/` first, so that what is measured is
 * the JavaScript the package ships (a dev loader such as tsx wraps every function it creates in a
 * naming helper, which costs measurably on hot paths) — prints a table (events/s, p50/p99/p999 latency from an HDR histogram,
 * ratio to the suite's baseline measured in the same run, goal) and writes
 * `bench/results/<name>.json` per suite.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { discoverSuites, loadSuite } from "./harness/discover.js";
import { runSuite, type SuiteResult } from "./harness/runner.js";
import { formatTable } from "./harness/table.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
/** Results go to the source tree's `bench/results/`, also when running the compiled copy. */
const resultsDir = join(
  basename(dirname(benchDir)) === ".bench-build" ? join(dirname(dirname(benchDir)), "bench") : benchDir,
  "results",
);

async function main(): Promise<number> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const found = await discoverSuites(benchDir);
  const selected: { name: string; file: string; suite: Awaited<ReturnType<typeof loadSuite>> }[] = [];
  for (const d of found) {
    if (wanted.length > 0 && !wanted.includes(d.name)) {
      const suite = await loadSuite(d);
      if (wanted.includes(suite.name)) selected.push({ name: d.name, file: d.file, suite });
      continue;
    }
    selected.push({ name: d.name, file: d.file, suite: await loadSuite(d) });
  }
  if (selected.length === 0) {
    process.stderr.write(
      `no bench suite matches ${wanted.join(", ")}; available: ${found.map((d) => d.name).join(", ")}\n`,
    );
    return 1;
  }
  const results: SuiteResult[] = [];
  const outDir = resultsDir;
  await mkdir(outDir, { recursive: true });
  for (const { name, file: suiteFile, suite } of selected) {
    process.stderr.write(`bench ${name}: ${suite.description}\n`);
    const result = await runSuite(suite, (line) => process.stderr.write(`${line}\n`), suiteFile);
    results.push(result);
    const file = join(outDir, `${name}.json`);
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(`  done in ${result.durationSec} s → ${file}\n`);
  }
  process.stdout.write(`${formatTable(results)}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
