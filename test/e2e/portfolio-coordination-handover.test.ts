/**
 * The bundled recording through the full `portfolio-coordination` topology on three workers,
 * one of which is stopped mid-stream: its portfolios move to the others with their book (keyed
 * state), their open windows (the unacked messages) and a lane of their own (a watermark per
 * hand-over) — and the outputs are the replay's, byte for byte. Also when the moved portfolios'
 * signals then trail everything else by days of event time, as on a real broker.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { bundledRecordingPath, readRecording } from "../../examples/recordings/format.js";
import { runRecording } from "../../lib/cli/run-recording.js";
import { initSolver } from "../../lib/quant/index.js";
import { outputDigest } from "../../lib/runtime/index.js";
import type { CapturedOutput } from "../../lib/runtime/types.js";
import { embeddedBinding } from "../../lib/transports/embedded/index.js";
import type { PulsarBinding } from "../../lib/transports/pulsar-client-like.js";
import { portfolioCoordinationTopology as topology } from "../../topologies/portfolio-coordination.js";
import { coordinationTopics as topics } from "../../topologies/topics.js";
import { firstDifferences } from "../fixtures/first-differences.js";
import { laggingMovedKeys } from "./runtime-binding.js";

const messages = readRecording(bundledRecordingPath());
const outputs = [topics.decisions, topics.stateUpdates, topics.analytics];

/** Three workers; worker 0 (or any, the first to get there) is stopped once it has written `stopAfter` decisions. */
function threeWorkersOneStopped(stopAfter: number, transport: "embedded" | PulsarBinding = "embedded", workers = 3) {
  return runRecording(topology, messages, {
    transport,
    workers,
    stopWorker: { afterDecisions: stopAfter, ...(transport === "embedded" ? { worker: 0 } : {}) },
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
      expect(r.runs.reduce((a, s) => a + s.stats.lanes, 0)).toBeGreaterThan(0);
      // Decisions come only from window closes, in the main pipeline and in lanes: each written
      // one is a window output, timed from its watermark's hand-off.
      for (const s of r.runs) expect(s.stats.windowLatency.count).toBe(s.stats.out.decisions ?? 0);
      expect(r.runs.reduce((a, s) => a + s.stats.windowLatency.count, 0)).toBeGreaterThan(0);
    }, 120_000);
  }

  // What the real-broker suite showed: after the stop, the broker delivered the moved portfolios'
  // signals days of event time behind everything else on that topic, while their optimizations
  // and rebalance requests came on time — so the taking worker's watermark, and a lane driven by
  // any of its records, ran ahead of their signals, which then went to \`late\`.
  it("moved portfolios' signals delivered a long way behind the rest: still the replay's outputs", async () => {
    const broker = embeddedBinding();
    try {
      const lagging = laggingMovedKeys(broker, topics.signals, { lag: 1500, quietMs: 500 });
      const r = await threeWorkersOneStopped(1500, lagging, 2);
      expect(r.runs.every((s) => s.error === undefined && s.stats.inFlight === 0)).toBe(true);
      expect(r.runs.filter((s) => s.reason === "stopped").length).toBe(1);
      expect(r.runs.reduce((a, s) => a + s.stats.lanes, 0)).toBeGreaterThan(0);
      expect(firstDifferences(r.captured, reference, { topic: topics.decisions })).toBe("");
      for (const topic of [...outputs, topics.late]) {
        expect(outputDigest(r.captured, [topic])).toBe(outputDigest(reference, [topic]));
      }
    } finally {
      await broker.client.close();
    }
  }, 120_000);
});
