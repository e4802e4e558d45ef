/**
 * Read a Prometheus text exposition (format 0.0.4) back into `series -> value`, the series written
 * as in the text (`name{label="v",...}`, labels in the order given). Comments and blank lines are
 * skipped; for tests and CLI summaries, not a full parser (no timestamps, no escapes inside
 * label values beyond what prom-client writes).
 */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    if (cut <= 0) throw new Error(`malformed exposition line: ${line}`);
    const raw = line.slice(cut + 1);
    const value = raw === "+Inf" ? Number.POSITIVE_INFINITY : raw === "-Inf" ? Number.NEGATIVE_INFINITY : Number(raw);
    out.set(line.slice(0, cut), value);
  }
  return out;
}
