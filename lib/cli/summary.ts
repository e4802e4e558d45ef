/** The end-of-run summary the CLI prints: counts, throughput and latency of one run. */
export interface RunSummary {
  readonly topology: string;
  readonly transport: string;
  readonly workers: number;
  /** Input messages replayed. */
  readonly eventsIn: number;
  readonly decisionsOut: number;
  /** Other outputs by sink name (state updates, analytics, …). */
  readonly otherOutputs: Readonly<Record<string, number>>;
  readonly deadLettered: Readonly<Record<string, number>>;
  readonly sideOutputs: Readonly<Record<string, number>>;
  /** Wall-clock duration of the replay (display only). */
  readonly elapsedMs: number;
  /** Input-to-output latency percentiles in ms, when measured. */
  readonly latencyMs?: { readonly p50: number; readonly p99: number };
  /** What the latency measures. */
  readonly latencyLabel?: string;
  /**
   * Window-output latency percentiles in ms (watermark hand-off → output confirmed: the time a
   * window waits for its end excluded), when any output was timed.
   */
  readonly windowLatencyMs?: { readonly p50: number; readonly p99: number };
  /** sha256 of the decisions (see `decisionDigest`). */
  readonly decisionsSha256: string;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Render the summary as an aligned two-column table. */
export function formatSummary(s: RunSummary): string {
  const rows: [string, string][] = [
    ["topology", s.topology],
    ["transport", `${s.transport} (${s.workers} worker${s.workers === 1 ? "" : "s"})`],
    ["events in", fmtInt(s.eventsIn)],
    ["decisions out", fmtInt(s.decisionsOut)],
  ];
  for (const [name, n] of Object.entries(s.otherOutputs).sort()) rows.push([`  ${name}`, fmtInt(n)]);
  const dl = Object.entries(s.deadLettered).sort();
  rows.push(["dead-lettered", fmtInt(dl.reduce((a, [, n]) => a + n, 0))]);
  for (const [reason, n] of dl) rows.push([`  ${reason}`, fmtInt(n)]);
  const so = Object.entries(s.sideOutputs).sort();
  rows.push(["side outputs", fmtInt(so.reduce((a, [, n]) => a + n, 0))]);
  for (const [tag, n] of so) rows.push([`  ${tag}`, fmtInt(n)]);
  rows.push(["elapsed", `${(s.elapsedMs / 1000).toFixed(2)} s`]);
  rows.push(["throughput", `${fmtInt(s.eventsIn / Math.max(s.elapsedMs / 1000, 1e-9))} events/s`]);
  if (s.latencyMs) {
    rows.push(["latency p50", `${s.latencyMs.p50.toFixed(3)} ms`]);
    rows.push(["latency p99", `${s.latencyMs.p99.toFixed(3)} ms`]);
    if (s.latencyLabel) rows.push(["  measured", s.latencyLabel]);
  }
  if (s.windowLatencyMs) {
    rows.push(["window latency p50", `${s.windowLatencyMs.p50.toFixed(3)} ms`]);
    rows.push(["window latency p99", `${s.windowLatencyMs.p99.toFixed(3)} ms`]);
    rows.push(["  measured", "watermark hand-off → window output confirmed (excl. window wait)"]);
  }
  rows.push(["decisions sha256", s.decisionsSha256]);
  const w = Math.max(...rows.map(([k]) => k.length));
  const v = Math.max(...rows.map(([, x]) => x.length));
  const line = `+-${"-".repeat(w)}-+-${"-".repeat(v)}-+`;
  return [line, ...rows.map(([k, x]) => `| ${k.padEnd(w)} | ${x.padEnd(v)} |`), line].join("\n");
}
