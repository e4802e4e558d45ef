/**
 * The bundled recording through the full `portfolio-coordination` topology: byte-identical
 * decisions across runs, transports and worker counts; nothing lost; per-portfolio order kept.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RecordingSummary } from "../../examples/recordings/build.js";
import { bundledRecordingPath, messageBytes, projectRoot, readRecording } from "../../examples/recordings/format.js";
import { deadLettersByReason } from "../../lib/cli/run-command.js";
import { type RecordingRunResult, runRecording } from "../../lib/cli/run-recording.js";
import { CoordinatedTradingDecisionEvent } from "../../lib/events/coordinated-trading-decision.js";
import { decodeEvent } from "../../lib/events/decode.js";
import { inputsDigest } from "../../lib/events/lineage.js";
import type { PortfolioStateUpdateEvent } from "../../lib/events/portfolio-state-update.js";
import { eventSchemas } from "../../lib/events/registry.js";
import { initSolver } from "../../lib/quant/index.js";
import { outputDigest } from "../../lib/runtime/digest.js";
import type { CapturedOutput } from "../../lib/runtime/types.js";
import type { SideOutputMessage } from "../../lib/topology/types.js";
import { portfolioCoordinationTopology as topology } from "../../topologies/portfolio-coordination.js";
import { coordinationTopics as topics } from "../../topologies/topics.js";

const messages = readRecording(bundledRecordingPath());
const summary = JSON.parse(
  readFileSync(resolve(projectRoot(), "examples/recordings/portfolio-coordination.summary.json"), "utf8"),
) as RecordingSummary;

const sourceSchemas = new Map(Object.values(topology.sources).map((s) => [s.topic, eventSchemas[s.schema]]));
const onTopic = (r: RecordingRunResult, topic: string) => r.captured.filter((c) => c.topic === topic);
const json = <T>(c: CapturedOutput) => JSON.parse(c.data.toString("utf8")) as T;

describe("portfolio-coordination over the bundled recording", () => {
  let replayed: RecordingRunResult;
  let embedded1: RecordingRunResult;
  let embedded3: RecordingRunResult;

  beforeAll(async () => {
    await initSolver();
    replayed = await runRecording(topology, messages, { transport: "replay" });
    embedded1 = await runRecording(topology, messages, { transport: "embedded", workers: 1 });
    embedded3 = await runRecording(topology, messages, { transport: "embedded", workers: 3 });
  }, 300_000);

  it("gives byte-identical decisions twice with one worker and once with three (equal sha256)", () => {
    const digest = (r: RecordingRunResult) => outputDigest(r.captured, [topics.decisions]);
    expect(onTopic(replayed, topics.decisions).length).toBeGreaterThan(1000);
    expect(digest(embedded1)).toBe(digest(replayed));
    expect(digest(embedded3)).toBe(digest(replayed));
    // The three workers really split the portfolios.
    const busy = embedded3.runs.filter((r) => (r.stats.in.signals ?? 0) > 0);
    expect(busy.length).toBeGreaterThan(1);
    // State updates and analytics are as reproducible as decisions.
    for (const topic of [topics.stateUpdates, topics.analytics]) {
      expect(outputDigest(embedded3.captured, [topic])).toBe(outputDigest(replayed.captured, [topic]));
    }
  });

  for (const [label, get] of [
    ["one worker", () => embedded1],
    ["three workers", () => embedded3],
  ] as const) {
    it(`loses nothing (${label}): every input ends in a decision, a side output with a reason, or a dead letter`, () => {
      const r = get();
      // Every source message was acknowledged, none is left in flight.
      const sourceMessages = messages.filter((m) => sourceSchemas.has(m.topic));
      expect(r.runs.reduce((a, x) => a + x.stats.acked, 0)).toBe(sourceMessages.length);
      expect(r.runs.every((x) => x.stats.inFlight === 0)).toBe(true);

      // Every valid input event id is in a decision's lineage or in a routed side output. A
      // decision names its batch (`lineage.batchId`): the batch's state update lists the ids, and
      // their count and digest are the decision's.
      const batches = new Map(
        onTopic(r, topics.stateUpdates).map((c) => {
          const u = json<PortfolioStateUpdateEvent>(c);
          return [u.eventId, u] as const;
        }),
      );
      const covered = new Set<string>();
      for (const c of onTopic(r, topics.decisions)) {
        const { lineage } = json<CoordinatedTradingDecisionEvent>(c);
        const batch = batches.get(lineage.batchId!);
        expect(batch?.decisionIds).toContain(json<CoordinatedTradingDecisionEvent>(c).eventId);
        expect(batch!.inputIds.length).toBe(lineage.inputCount);
        expect(inputsDigest(batch!.inputIds)).toBe(lineage.inputsDigest);
        for (const id of batch!.inputIds) covered.add(id);
      }
      const sides: Record<string, number> = {};
      for (const topic of [topics.duplicates, topics.rejected, topics.late, topics.noDecision]) {
        for (const c of onTopic(r, topic)) {
          const side = json<SideOutputMessage>(c);
          expect(side.reason.length).toBeGreaterThan(0);
          sides[side.tag] = (sides[side.tag] ?? 0) + 1;
          for (const id of side.ids) covered.add(id);
        }
      }
      const lost: string[] = [];
      for (const m of sourceMessages) {
        const d = decodeEvent(sourceSchemas.get(m.topic)!, messageBytes(m));
        if (d.ok && !covered.has((d.value as { eventId: string }).eventId)) lost.push(m.key);
      }
      expect(lost).toEqual([]);

      // Redelivered copies end as duplicates; bad messages as dead letters, by reason.
      expect(sides.duplicate).toBe(summary.defects.duplicates);
      expect(deadLettersByReason(r.captured, topics.deadLetters)).toEqual(summary.defects.invalid);
      // The late events end as `late` (window closed) or `rejected` (stale) — never in a decision.
      const late = messages.filter((m) => m.publishTime - m.eventTime > 24 * 3600_000);
      expect(late).toHaveLength(summary.defects.late);
      const decided = new Set(
        onTopic(r, topics.decisions).flatMap((c) => json<CoordinatedTradingDecisionEvent>(c).contributingSignalIds),
      );
      for (const m of late) expect(decided.has(JSON.parse(m.data).eventId)).toBe(false);
    });
  }

  it("keeps per-portfolio order and never writes a decision id twice", () => {
    for (const r of [replayed, embedded3]) {
      const decisions = onTopic(r, topics.decisions).map((c) => CoordinatedTradingDecisionEvent.parse(json(c)));
      expect(new Set(decisions.map((d) => d.eventId)).size).toBe(decisions.length);
      const last = new Map<string, number>();
      for (const d of decisions) {
        expect(d.eventTime).toBeGreaterThanOrEqual(last.get(d.portfolioId) ?? 0);
        last.set(d.portfolioId, d.eventTime);
      }
      expect([...last.keys()].sort()).toEqual(Object.keys(summary.portfolios).sort());
    }
  });
});
