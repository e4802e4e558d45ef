import { fork } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LatencyHistogram, type LatencySummary } from "./histogram.js";
import type { BenchCase, BenchContext, BenchSuite } from "./types.js";

export interface CaseResult {
  readonly name: string;
  readonly events: number;
  /** Median over the timed repetitions. */
  readonly eventsPerSec: number;
  readonly eventsPerSecRuns: readonly number[];
  /**
   * Median events per CPU-second of this process (user + system time, GC threads included):
   * the single-core figure, robust against other processes on a shared machine.
   */
  readonly eventsPerCpuSec: number;
  readonly latency: LatencySummary;
  /** eventsPerSec over the baseline's eventsPerSec (1 for the baseline itself). */
  readonly ratio: number;
  /** Whether the case's events per CPU-second met the suite's "events/s" goal (absent when there is none). */
  readonly goalMet?: boolean;
  readonly extra?: Record<string, number | string>;
}

export interface SuiteResult {
  readonly suite: string;
  readonly description: string;
  readonly measuredAt: string;
  readonly environment: {
    node: string;
    platform: string;
    cpu: string;
    cores: number;
    /** 1-minute load average at the start and the end of the suite (the machine may be shared). */
    loadAverage: [number, number];
  };
  readonly warmups: number;
  readonly repetitions: number;
  readonly goals: Readonly<Record<string, number>>;
  readonly baseline: CaseResult;
  readonly cases: readonly CaseResult[];
  readonly durationSec: number;
}

const perfNow = (): number => performance.now() * 1e6;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** What measuring one case yields (also what a case's own process sends back, see `case-process`). */
export interface Measured {
  readonly runs: number[];
  readonly cpuRuns: number[];
  readonly latency: LatencySummary;
  readonly extra?: Record<string, number | string> | undefined;
}

/** Warm-ups, then timed repetitions of one case in this process; `extra` read after the last. */
export async function measure(c: BenchCase, warmups: number, repetitions: number): Promise<Measured> {
  const histogram = new LatencyHistogram();
  const quiet: BenchContext = { recordLatencyNs: () => {}, nowNs: () => process.hrtime.bigint(), monotonicNs: perfNow };
  const recording: BenchContext = {
    recordLatencyNs: (ns) => histogram.record(ns),
    nowNs: () => process.hrtime.bigint(),
    monotonicNs: perfNow,
  };
  for (let i = 0; i < warmups; i++) {
    await c.setup?.();
    await c.run(quiet);
    await c.teardown?.();
  }
  const runs: number[] = [];
  const cpuRuns: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    await c.setup?.();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await c.run(recording);
    const elapsedNs = Number(process.hrtime.bigint() - t0);
    const cpu = process.cpuUsage(cpu0);
    await c.teardown?.();
    runs.push(c.events / (elapsedNs / 1e9));
    cpuRuns.push(c.events / ((cpu.user + cpu.system) / 1e6));
  }
  return { runs, cpuRuns, latency: histogram.summary(), extra: c.extra?.() };
}

/** The module a forked case runs in (next to this one, compiled or not). */
const caseProcessModule = join(
  dirname(fileURLToPath(import.meta.url)),
  `case-process${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`,
);

/** {@link measure} in a process of its own: `index` -1 is the suite's baseline, else a case. */
function measureInProcess(suiteFile: string, index: number, warmups: number, repetitions: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = fork(caseProcessModule, [suiteFile, String(index), String(warmups), String(repetitions)], {
      execArgv: process.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let result: Measured | undefined;
    child.on("message", (m) => {
      result = m as Measured;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`bench case ${index} of ${suiteFile}: its process exited with ${code} and no result`));
    });
  });
}

/**
 * Runs the baseline and every case of a suite: warm-ups, then timed repetitions; each in a process
 * of its own when the suite asks for it ({@link BenchSuite.isolateCases}; `suiteFile` is then the
 * module the processes load it from).
 */
export async function runSuite(
  suite: BenchSuite,
  log: (line: string) => void = () => {},
  suiteFile?: string,
): Promise<SuiteResult> {
  const warmups = suite.warmups ?? 2;
  const repetitions = suite.repetitions ?? 5;
  const goals = suite.goals ?? {};
  const started = performance.now();
  const loadAtStart = loadavg()[0]!;
  const results: CaseResult[] = [];
  let baselineEps = Number.NaN;
  const isolate = suite.isolateCases === true;
  if (isolate && suiteFile === undefined) throw new Error(`suite ${suite.name} isolates its cases: pass its file`);
  const all = [suite.baseline, ...suite.cases];
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    log(`  ${suite.name} / ${c.name}${isolate ? " (own process)" : ""} …`);
    const { runs, cpuRuns, latency, extra } = isolate
      ? await measureInProcess(suiteFile!, i - 1, warmups, repetitions)
      : await measure(c, warmups, repetitions);
    const eps = median(runs);
    const epcs = median(cpuRuns);
    if (c === suite.baseline) baselineEps = eps;
    const goal = goals["events/s"];
    results.push({
      name: c.name,
      events: c.events,
      eventsPerSec: Math.round(eps),
      eventsPerSecRuns: runs.map(Math.round),
      eventsPerCpuSec: Math.round(epcs),
      latency,
      ratio: eps / baselineEps,
      ...(goal !== undefined && c !== suite.baseline ? { goalMet: epcs >= goal } : {}),
      ...(extra !== undefined ? { extra } : {}),
    });
  }
  const cpu = cpus()[0]?.model ?? "unknown";
  return {
    suite: suite.name,
    description: suite.description,
    measuredAt: new Date().toISOString(),
    environment: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpu,
      cores: cpus().length,
      loadAverage: [Math.round(loadAtStart * 100) / 100, Math.round(loadavg()[0]! * 100) / 100],
    },
    warmups,
    repetitions,
    goals,
    baseline: results[0]!,
    cases: results.slice(1),
    durationSec: Math.round((performance.now() - started) / 100) / 10,
  };
}
