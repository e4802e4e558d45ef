import { beforeAll, describe, expect, it } from "vitest";
import { type RecordingRunResult, runRecording } from "../lib/cli/run-recording.js";
import { initSolver } from "../lib/quant/index.js";
import { outputDigest } from "../lib/runtime/digest.js";
import { describe as describeTopology } from "../lib/topology/describe.js";
import { portfolioCoordinationTopology } from "../topologies/portfolio-coordination.js";
import { coordinationTopics as topics } from "../topologies/topics.js";
import { volTargetedCoordination } from "./custom-operator.js";
import { bundledRecordingPath, readRecording } from "./recordings/format.js";

const messages = readRecording(bundledRecordingPath());

describe("example: the full topology plus a user-written operator", () => {
  let custom: RecordingRunResult;
  let base: RecordingRunResult;
  beforeAll(async () => {
    await initSolver();
    custom = await runRecording(volTargetedCoordination, messages, { transport: "replay" });
    base = await runRecording(portfolioCoordinationTopology, messages, { transport: "replay" });
  }, 180_000);

  it("places the operator between dedup and the quality filter", () => {
    const text = describeTopology(volTargetedCoordination);
    expect(text).toContain("Step volTarget: volatilityTarget <- dedupSignals");
    expect(text).toContain("Step qualitySignals: qualityFilter <- volTarget");
  });

  it("runs end to end over the recording and changes the decisions (every instrument has a volatility)", () => {
    const decisions = custom.captured.filter((c) => c.topic === topics.decisions);
    expect(decisions.length).toBeGreaterThan(100);
    const noVol = custom.captured
      .filter((c) => c.topic === topics.rejected)
      .filter((c) => JSON.parse(c.data.toString("utf8")).reason === "no-volatility");
    expect(noVol).toHaveLength(0);
    expect(outputDigest(custom.captured, [topics.decisions])).not.toBe(outputDigest(base.captured, [topics.decisions]));
    // Same inputs accounted for: the operator is 1:1, so dedup and dead letters are unchanged.
    const count = (r: RecordingRunResult, k: string) => r.runs.reduce((a, x) => a + (x.stats.sideOutputs[k] ?? 0), 0);
    expect(count(custom, "duplicate")).toBe(count(base, "duplicate"));
  });
});
