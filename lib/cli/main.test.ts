import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { RecordingSummary } from "../../examples/recordings/build.js";
import { projectRoot } from "../../examples/recordings/format.js";
import type { RunSummary } from "./summary.js";

const run = promisify(execFile);
const root = projectRoot();
const tsx = resolve(root, "node_modules/.bin/tsx");
const cli = (...args: string[]) =>
  run(tsx, [resolve(root, "lib/cli/main.ts"), ...args], { cwd: root, timeout: 120_000 });
const recording = JSON.parse(
  readFileSync(resolve(root, "examples/recordings/portfolio-coordination.summary.json"), "utf8"),
) as RecordingSummary & { messages: number };

describe("the consilium CLI", () => {
  it("schemas --out writes one JSON Schema per event", async () => {
    const dir = mkdtempSync(join(tmpdir(), "consilium-cli-"));
    const { stdout } = await cli("schemas", "--out", dir);
    expect(stdout.trim().split("\n")).toHaveLength(9);
    expect(readdirSync(dir).sort()).toContain("TradingSignalEvent.schema.json");
  });

  it("describe prints the bundled topology as json and a module's topology as text", async () => {
    const json = JSON.parse((await cli("describe", "portfolio-coordination", "--format", "json")).stdout);
    expect(json.name).toBe("portfolio-coordination");
    expect(json.steps.map((s: { name: string }) => s.name)).toContain("portfolio");
    const text = (await cli("describe", "examples/momentum-desk.ts")).stdout;
    expect(text).toMatch(/^Topology momentum-desk v1\.0\.0/);
    await expect(cli("describe", "no-such-topology")).rejects.toThrow(/unknown topology/);
  });

  it("run --thin summarizes the recording: counts in = decoded + dead-lettered + duplicates", async () => {
    const s = JSON.parse((await cli("run", "--thin", "--no-progress", "--json")).stdout) as RunSummary;
    expect(s.eventsIn).toBe(recording.messages);
    expect(s.deadLettered).toEqual(recording.defects.invalid);
    expect(s.sideOutputs.duplicate).toBe(recording.defects.duplicates);
    expect(s.decisionsOut).toBe(recording.validEvents.TradingSignal);
  });

  it("run on the replay transport prints the full topology's summary, and replay its digest", async () => {
    const s = JSON.parse((await cli("run", "--transport", "replay", "--no-progress", "--json")).stdout) as RunSummary;
    expect(s.topology).toBe("portfolio-coordination@1.2.0");
    expect(s.eventsIn).toBe(recording.messages);
    expect(s.decisionsOut).toBeGreaterThan(1000);
    expect(s.deadLettered).toEqual(recording.defects.invalid);
    expect(s.sideOutputs.duplicate).toBe(recording.defects.duplicates);
    expect(s.decisionsSha256).toMatch(/^[0-9a-f]{64}$/);
    const digest = (await cli("replay", "--transport", "replay")).stdout.trim();
    expect(digest).toBe(s.decisionsSha256);
  });
});
