/**
 * The bundled recording through the full `portfolio-coordination` topology on three workers,
 * one of which is stopped mid-stream: its portfolios move to the others with their book (keyed
 * state), their open windows (the unacked messages) and, when they arrive behind the taking
 * worker's watermark, a lane of their own — and the outputs are the replay's, byte for byte.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { bundledRecordingPath, readRecording } from "../../examples/recordings/format.js";
import { runRecording } from "../../lib/cli/run-recording.js";
import { initSolver } from "../../lib/quant/index.js";
import { outputDigest } from "../../lib/runtime/index.js";
import type { CapturedOutput } from "../../lib/runtime/types.js";
import { portfolioCoordinationTopology as topology } from "../../topologies/portfolio-coordination.js";
import { coordinationTopics as topics } from "../../topologies/topics.js";
import { firstDifferences } from "../fixtures/first-differences.js";

const messages = readRecording(bundledRecordingPath());
const outputs = [topics.decisions, topics.stateUpdates, topics.analytics];

/** Three workers; worker 0 is stopped once it has written `stopAfter` decisions. */
function threeWorkersOneStopped(stopAfter: number) {
  return runRecording(topology, messages, {
    transport: "embedded",
    workers: 3,
    stopWorker: { worker: 0, afterDecisions: stopAfter },
  });
}

describe("portfolio-coordination: a worker stopped mid-stream hands its portfolios over", () => {
  let reference: readonly CapturedOutput[];
  beforeAll(async () => {
    await initSolver();
    reference = (await runRecording(topology, messages, { transport: "replay" })).captured;
  }, 120_000);

  // Stopped early, worker 0's last windows have fired and their messages are acked at the fire
  // (exact retention); stopped late, its portfolios often reach a worker whose watermark is far
  // ahead (side inputs read to their end), and a lane takes them.
  for (const stopAfter of [600, 1500]) {
    it(`stopped after ${stopAfter} decisions: the replay's decisions, state updates and analytics`, async () => {
      const r = await threeWorkersOneStopped(stopAfter);
      expect(r.runs.every((s) => s.error === undefined)).toBe(true);
      expect(r.runs.every((s) => s.stats.inFlight === 0)).toBe(true);
      expect(r.runs.filter((s) => s.reason === "stopped").length).toBe(1); // one worker was stopped mid-stream
      // The stopped worker's portfolios were decided on by the others afterwards.
      expect(r.runs.reduce((a, s) => a + s.stats.keyMoveHolds, 0)).toBeGreaterThan(0);
      expect(firstDifferences(r.captured, reference, { topic: topics.decisions })).toBe("");
      for (const topic of outputs) expect(outputDigest(r.captured, [topic])).toBe(outputDigest(reference, [topic]));
      // Whether the taking worker is ahead of the stopped one (so that a lane opens) depends on
      // where each worker is at the stop: locally the 1500 case opened one in 3 of 3 runs, a CI run
      // did not. The outputs must equal the replay's either way.
    }, 120_000);
  }
});
