/**
 * The bundled recording through the full `portfolio-coordination` topology on a real Apache
 * Pulsar broker (WebSocket API): with one worker, the same decisions, state updates and analytics
 * as the replay (equal sha256), nothing lost, side outputs equal and dead letters equal by reason;
 * with three KeyShared workers, the portfolios split between them and, again, the replay's
 * outputs byte for byte (see {@link onBroker} for what that takes on a real broker). The
 * topology's namespace, its keyed-state changelog topics and its finished-records topic are
 * deleted before each broker run (their names are fixed), so every run starts from fresh topics.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { bundledRecordingPath, readRecording } from "../../examples/recordings/format.js";
import { deadLettersByReason } from "../../lib/cli/run-command.js";
import { type RecordingRunResult, runRecording } from "../../lib/cli/run-recording.js";
import { initSolver } from "../../lib/quant/index.js";
import { outputDigest } from "../../lib/runtime/digest.js";
import type { CapturedOutput, RunSummary } from "../../lib/runtime/types.js";
import { describeTopology, finishedTopic } from "../../lib/topology/describe.js";
import { websocketBinding } from "../../lib/transports/websocket/index.js";
import { firstDifferences } from "../fixtures/first-differences.js";
import { portfolioCoordinationTopology as topology } from "../../topologies/portfolio-coordination.js";
import { coordinationTopics as topics } from "../../topologies/topics.js";

const serviceUrl = process.env["PULSAR_WS_URL"] ?? "ws://127.0.0.1:8080";
const adminUrl = process.env["PULSAR_ADMIN_URL"] ?? serviceUrl.replace(/^ws/, "http");
const messages = readRecording(bundledRecordingPath());
const sourceTopics = new Set(Object.values(topology.sources).map((s) => s.topic));

/** `tenant/namespace/topic` of a topic name (a bare name is in public/default). */
function topicPath(name: string): string {
  const rest = name.replace(/^persistent:\/\//, "");
  return rest.includes("/") ? rest : `public/default/${rest}`;
}

/**
 * Deletes the namespace of the topology's topics with everything in it and creates it again, and
 * deletes the keyed-state changelog topics (elsewhere by default): a fresh start for a run.
 */
async function resetTopics(): Promise<void> {
  const ns = topicPath(topics.decisions).split("/").slice(0, 2).join("/");
  const del = await fetch(`${adminUrl}/admin/v2/namespaces/${ns}?force=true`, { method: "DELETE" });
  if (!del.ok && del.status !== 404) throw new Error(`deleting ${ns}: HTTP ${del.status} ${await del.text()}`);
  const put = await fetch(`${adminUrl}/admin/v2/namespaces/${ns}`, { method: "PUT" });
  if (!put.ok) throw new Error(`creating ${ns}: HTTP ${put.status} ${await put.text()}`);
  const changelogs = describeTopology(topology).steps.flatMap((step) => step.state.map((st) => st.changelog));
  for (const topic of [...changelogs, finishedTopic(topology)]) {
    const url = `${adminUrl}/admin/v2/persistent/${topicPath(topic)}?force=true`;
    const res = await fetch(url, { method: "DELETE" });
    if (!res.ok && res.status !== 404) throw new Error(`deleting ${topic}: HTTP ${res.status}`);
  }
}

/**
 * Three workers over the recording through `runRecording`, which arranges that what each worker
 * decides cannot depend on timing: the side-input topics are published before the workers start
 * (each worker's side-input Readers then hold back the merge until they have read them); every
 * worker subscribes to every source before a source message exists (waited for in the broker's
 * admin stats, hence `adminUrl`), so Key_Shared assigns each portfolio to one worker for good; and
 * the runtime gives each worker one consumer name on all subscriptions, so every source topic
 * splits the portfolios the same way. The idle timeout is longer than publishing the sources takes.
 */
async function onBroker(workers: number, stopWorker?: { afterDecisions: number }): Promise<RecordingRunResult> {
  await resetTopics();
  const binding = websocketBinding({ serviceUrl, adminUrl });
  try {
    return await runRecording(topology, messages, {
      transport: binding,
      workers,
      adminUrl,
      ...(workers > 1 ? { idleTimeoutMs: 8_000 } : {}),
      ...(stopWorker !== undefined ? { stopWorker } : {}),
    });
  } finally {
    await binding.client.close();
  }
}

describe("portfolio-coordination over the bundled recording on a real Pulsar broker", () => {
  let replayed: RecordingRunResult;
  let broker1: RecordingRunResult;
  let broker3: RecordingRunResult;
  let handedOver: RecordingRunResult;

  beforeAll(async () => {
    await initSolver();
    replayed = await runRecording(topology, messages, { transport: "replay" });
    broker1 = await onBroker(1);
    broker3 = await onBroker(3);
    handedOver = await onBroker(3, { afterDecisions: 1500 });
  }, 900_000);

  const outputs = [topics.decisions, topics.stateUpdates, topics.analytics];
  // Dead letters carry the broker's message id, so they are compared by reason, not byte for byte.
  const sideOutputs = [topics.duplicates, topics.rejected, topics.late, topics.noDecision];
  const sourceMessages = messages.filter((m) => sourceTopics.has(m.topic)).length;

  for (const [label, get] of [
    ["one worker", () => broker1],
    ["three workers", () => broker3],
    ["three workers, one stopped after 1500 decisions", () => handedOver],
  ] as const) {
    it(`${label}: the replay's decisions, state updates and analytics byte for byte`, () => {
      expect(firstDifferences(get().captured, replayed.captured, { topic: topics.decisions })).toBe("");
      for (const topic of outputs)
        expect(outputDigest(get().captured, [topic])).toBe(outputDigest(replayed.captured, [topic]));
    });

    it(`${label}: every source message acknowledged, none in flight; side outputs as in the replay`, () => {
      const r: { captured: readonly CapturedOutput[]; runs: readonly RunSummary[] } = get();
      const stopped = r === handedOver ? 1 : 0; // the worker stopped mid-stream handed its open messages back
      expect(r.runs.filter((x) => x.reason === "stopped").length).toBe(stopped);
      expect(r.runs.every((x) => (x.reason === "idle" || x.reason === "stopped") && x.error === undefined)).toBe(true);
      expect(r.runs.reduce((a, x) => a + x.stats.acked, 0)).toBe(
        sourceMessages + r.runs.reduce((a, x) => a + x.stats.redeliveredDone, 0),
      );
      expect(r.runs.every((x) => x.stats.inFlight === 0)).toBe(true);
      // Every decision written was a window output, timed to the broker's confirmation.
      for (const x of r.runs) expect(x.stats.windowLatency.count).toBe(x.stats.out.decisions ?? 0);
      for (const topic of sideOutputs) {
        expect(outputDigest(r.captured, [topic])).toBe(outputDigest(replayed.captured, [topic]));
      }
      expect(deadLettersByReason(r.captured, topics.deadLetters)).toEqual(
        deadLettersByReason(replayed.captured, topics.deadLetters),
      );
    });
  }

  it("three workers split the portfolios between them, each portfolio decided by one worker", () => {
    expect(replayed.captured.filter((c) => c.topic === topics.decisions).length).toBeGreaterThan(1000);
    expect(broker3.runs.filter((r) => (r.stats.in.signals ?? 0) > 0).length).toBeGreaterThan(1);
    const owners = new Map<string, Set<number>>();
    broker3.capturedByWorker.forEach((outs, w) => {
      for (const c of outs)
        if (c.topic === topics.decisions) owners.set(c.key, (owners.get(c.key) ?? new Set()).add(w));
    });
    expect(owners.size).toBeGreaterThan(1);
    expect([...owners.values()].every((ws) => ws.size === 1)).toBe(true);
    expect(new Set([...owners.values()].flatMap((ws) => [...ws])).size).toBeGreaterThan(1);
  });
});
