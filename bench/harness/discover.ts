import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BenchSuite } from "./types.js";

export interface DiscoveredSuite {
  /** File stem: `bench/<name>.bench.ts` (or `.bench.js`, compiled). */
  readonly name: string;
  readonly file: string;
}

/** The `*.bench.ts` (sources) or `*.bench.js` (compiled) files of a folder, sorted by name. */
export async function discoverSuites(dir: string): Promise<DiscoveredSuite[]> {
  const suite = /\.bench\.[jt]s$/;
  const files = (await readdir(dir)).filter((f) => suite.test(f)).sort();
  return files.map((f) => ({ name: f.replace(suite, ""), file: join(dir, f) }));
}

/** Imports a suite file and checks that it default-exports a {@link BenchSuite}. */
export async function loadSuite(s: DiscoveredSuite): Promise<BenchSuite> {
  const mod = (await import(pathToFileURL(s.file).href)) as { default?: unknown };
  const suite = mod.default as BenchSuite | undefined;
  if (suite === undefined || typeof suite !== "object" || suite.baseline === undefined || !Array.isArray(suite.cases)) {
    throw new Error(`${s.file} does not default-export a BenchSuite`);
  }
  return suite;
}
