import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConsiliumMetrics } from "./consilium-metrics.js";

// The example Grafana dashboard must only query series ConsiliumMetrics exports, by labels they carry.

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly gridPos: { x: number; y: number; w: number; h: number };
  readonly targets?: readonly { expr: string }[];
}

const dashboard = JSON.parse(
  readFileSync(new URL("../../examples/dashboards/consilium.json", import.meta.url), "utf8"),
) as { panels: Panel[]; uid: string; title: string };

async function families(): Promise<Map<string, { type: string; labels: Set<string> }>> {
  const m = new ConsiliumMetrics({ maxLabelValues: 1 });
  m.onIn("t", 1);
  m.onIn("t2", 1); // past the cap: a metric_label_overflow_total series
  m.onOut("t", 1);
  m.onDeadLetter("r");
  m.onSide("s");
  m.onLatency(0.001);
  m.onWindowLatency(0.001);
  m.setTopology({ name: "n", version: "v", hash: "h" });
  const out = new Map<string, { type: string; labels: Set<string> }>();
  for (const line of (await m.metricsText()).split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) out.set(type[1]!, { type: type[2]!, labels: new Set() });
    const sample = /^([a-z_]+?)(?:_bucket|_sum|_count)?\{(.*)\} /.exec(line);
    const family = sample && (out.get(sample[1]!) ?? out.get(line.slice(0, line.indexOf("{"))));
    if (sample && family) for (const [, name] of sample[2]!.matchAll(/([a-z_]+)="/g)) family.labels.add(name!);
  }
  return out;
}

describe("examples/dashboards/consilium.json", () => {
  it("queries only exported metric families, grouping by labels they carry, and covers every family", async () => {
    const known = await families();
    const used = new Set<string>();
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(queries.length).toBeGreaterThan(10);
    for (const expr of queries) {
      const names = [...expr.matchAll(/\b(consilium_[a-z_]+)/g)].map((m) => m[1]!);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const raw of names) {
        const family = known.has(raw) ? raw : raw.replace(/_(bucket|sum|count)$/, "");
        expect(known.has(family), `${raw} in ${expr}`).toBe(true);
        used.add(family);
        for (const [, labels] of expr.matchAll(/by \(([^)]*)\)/g)) {
          for (const label of labels!.split(",").map((l) => l.trim())) {
            if (label !== "le") expect(known.get(family)!.labels.has(label), `${label} on ${family}`).toBe(true);
            else expect(known.get(family)!.type).toBe("histogram");
          }
        }
      }
    }
    expect([...known.keys()].filter((f) => !used.has(f))).toEqual([]);
  });

  it("lays panels out without overlap on Grafana's 24-column grid", () => {
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
      }
    }
    expect(dashboard.uid).toBe("consilium-overview");
  });
});
