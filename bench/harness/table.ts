import type { CaseResult, SuiteResult } from "./runner.js";

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function us(x: number): string {
  if (!Number.isFinite(x)) return "-";
  return x >= 100 ? int.format(x) : x.toFixed(2);
}

function row(suite: string, c: CaseResult, goals: Readonly<Record<string, number>>, isBaseline: boolean): string[] {
  const goal = goals["events/s"];
  let goalText = "";
  if (goal !== undefined && !isBaseline) goalText = `≥ ${int.format(goal)} ${c.goalMet ? "met" : "MISSED"}`;
  return [
    suite,
    isBaseline ? `${c.name} (baseline)` : c.name,
    int.format(c.eventsPerSec),
    int.format(c.eventsPerCpuSec),
    us(c.latency.p50Us),
    us(c.latency.p99Us),
    us(c.latency.p999Us),
    isBaseline ? "1.000" : c.ratio.toFixed(3),
    goalText,
  ];
}

/**
 * The results of one or more suites as an aligned text table: wall-clock events/s, events per
 * CPU-second of the process (the single-core figure), latency percentiles, ratio of wall-clock
 * throughput to the baseline, and the goal checked against events per CPU-second.
 */
export function formatTable(results: readonly SuiteResult[]): string {
  const header = ["suite", "case", "events/s", "events/cpu-s", "p50 µs", "p99 µs", "p999 µs", "ratio", "goal (cpu-s)"];
  const rows = results.flatMap((r) => [
    row(r.suite, r.baseline, r.goals, true),
    ...r.cases.map((c) => row(r.suite, c, r.goals, false)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6, 7]);
  const fmt = (cells: string[]): string =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)].join("\n");
}
