/**
 * The bundled recording through the full `portfolio-coordination` topology on three workers,
 * one of which is stopped mid-stream: its portfolios move to the others with their book (keyed
 * state), their open windows (the unacked messages) and, when they arrive behind the taking
 * worker's watermark, a lane of their own — and the outputs are the replay's, byte for byte.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { bundledRecordingPath, messageBytes, readRecording } from "../../examples/recordings/format.js";
import { publish, waitForConsumers } from "../../lib/cli/run-recording.js";
import { initSolver } from "../../lib/quant/index.js";
import { outputDigest, type RunHandle, type RunSummary, run } from "../../lib/runtime/index.js";
import type { CapturedOutput } from "../../lib/runtime/types.js";
import { replay } from "../../lib/runtime/replay-binding.js";
import { embeddedBinding } from "../../lib/transports/embedded/index.js";
import { portfolioCoordinationTopology as topology } from "../../topologies/portfolio-coordination.js";
import { coordinationTopics as topics } from "../../topologies/topics.js";

const messages = readRecording(bundledRecordingPath());
const outputs = [topics.decisions, topics.stateUpdates, topics.analytics];

/** Per portfolio, where the decisions first differ ("" when they agree). */
function firstDifferences(got: readonly CapturedOutput[], want: readonly CapturedOutput[]): string {
  const by = (cs: readonly CapturedOutput[]) => {
    const m = new Map<string, string[]>();
    for (const c of cs) {
      if (c.topic !== topics.decisions) continue;
      const j = JSON.parse(c.data.toString("utf8")) as { eventId: string; instrumentId: string; quantity: number };
      m.set(c.key, [...(m.get(c.key) ?? []), `${j.eventId} ${j.instrumentId} ${j.quantity}`]);
    }
    return m;
  };
  const g = by(got);
  const w = by(want);
  const lines: string[] = [];
  for (const key of [...new Set([...g.keys(), ...w.keys()])].sort()) {
    const a = g.get(key) ?? [];
    const b = w.get(key) ?? [];
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    if (i < a.length || i < b.length) lines.push(`${key}: #${i} got ${a[i] ?? "-"}, want ${b[i] ?? "-"}`);
  }
  return lines.join("\n");
}

/** Three workers; worker 0 is stopped once it has written `stopAfter` decisions. */
async function threeWorkersOneStopped(stopAfter: number) {
  const binding = embeddedBinding();
  try {
    const sources = new Set(Object.values(topology.sources).map((s) => s.topic));
    await publish(
      binding,
      messages.filter((m) => !sources.has(m.topic)),
    );
    const handles: RunHandle[] = [0, 1, 2].map((w) =>
      run(topology, {
        transport: binding,
        workerId: `worker-${w}`,
        stopWhenIdle: w > 0,
        idleTimeoutMs: 3000,
        capture: true,
      }),
    );
    await waitForConsumers(binding, topology, 3, undefined);
    await publish(
      binding,
      messages.filter((m) => sources.has(m.topic)),
    );
    while ((handles[0]!.stats.out.decisions ?? 0) < stopAfter) await new Promise((r) => setImmediate(r));
    const runs: RunSummary[] = [await handles[0]!.stop(), ...(await Promise.all(handles.slice(1).map((h) => h.done)))];
    return { captured: handles.flatMap((h) => h.captured), runs };
  } finally {
    await binding.client.close();
  }
}

describe("portfolio-coordination: a worker stopped mid-stream hands its portfolios over", () => {
  let reference: readonly CapturedOutput[];
  beforeAll(async () => {
    await initSolver();
    const h = run(topology, {
      transport: replay(
        messages.map((m) => ({
          topic: m.topic,
          data: messageBytes(m),
          key: m.key,
          eventTime: m.eventTime,
          publishTime: m.publishTime,
          ...(m.properties !== undefined ? { properties: m.properties } : {}),
        })),
      ),
    });
    await h.done;
    reference = h.captured;
  }, 120_000);

  // Stopped early, worker 0's last windows have fired and their messages are acked at the fire
  // (exact retention); stopped late, its portfolios reach a worker whose watermark is far ahead.
  for (const stopAfter of [600, 1500]) {
    it(`stopped after ${stopAfter} decisions: the replay's decisions, state updates and analytics`, async () => {
      const r = await threeWorkersOneStopped(stopAfter);
      expect(r.runs.every((s) => s.error === undefined)).toBe(true);
      expect(r.runs.every((s) => s.stats.inFlight === 0)).toBe(true);
      expect(r.runs[0]!.stats.out.decisions ?? 0).toBeGreaterThanOrEqual(stopAfter);
      // The stopped worker's portfolios were decided on by the others afterwards.
      expect(r.runs.slice(1).reduce((a, s) => a + s.stats.keyMoveHolds, 0)).toBeGreaterThan(0);
      expect(firstDifferences(r.captured, reference)).toBe("");
      for (const topic of outputs) expect(outputDigest(r.captured, [topic])).toBe(outputDigest(reference, [topic]));
      if (stopAfter === 1500) expect(r.runs.slice(1).reduce((a, s) => a + s.stats.lanes, 0)).toBeGreaterThan(0);
    }, 120_000);
  }
});
