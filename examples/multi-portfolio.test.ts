import { beforeAll, describe, expect, it } from "vitest";
import { type RecordingRunResult, runRecording } from "../lib/cli/run-recording.js";
import { CoordinatedTradingDecisionEvent } from "../lib/events/coordinated-trading-decision.js";
import { initSolver } from "../lib/quant/index.js";
import { outputDigest } from "../lib/runtime/digest.js";
import type { CapturedOutput } from "../lib/runtime/types.js";
import { coordinationTopics as topics } from "../topologies/topics.js";
import { mandates, multiPortfolio } from "./multi-portfolio.js";
import { bundledRecordingPath, readRecording } from "./recordings/format.js";

const messages = readRecording(bundledRecordingPath());
const decisionsIn = (captured: readonly CapturedOutput[]) =>
  captured
    .filter((c) => c.topic === topics.decisions)
    .map((c) => CoordinatedTradingDecisionEvent.parse(JSON.parse(c.data.toString("utf8"))));

describe("example: five portfolios with their own mandates over three workers", () => {
  let three: RecordingRunResult;
  let one: RecordingRunResult;
  beforeAll(async () => {
    await initSolver();
    three = await runRecording(multiPortfolio, messages, { transport: "embedded", workers: 3, config: mandates });
    one = await runRecording(multiPortfolio, messages, { transport: "replay", config: mandates });
  }, 240_000);

  it("splits the portfolios between the workers, each portfolio on exactly one", () => {
    const owner = new Map<string, number>();
    three.capturedByWorker.forEach((captured, w) => {
      for (const d of decisionsIn(captured)) {
        expect(owner.get(d.portfolioId) ?? w).toBe(w);
        owner.set(d.portfolioId, w);
      }
    });
    expect([...owner.keys()].sort()).toEqual(Object.keys(mandates.portfolios).sort());
    expect(new Set(owner.values()).size).toBeGreaterThan(1);
  });

  it("applies each portfolio's own policy and limits", () => {
    const expectedSingleName: Record<string, number> = { "tech-growth": 0.12, defensive: 0.04 };
    const checked = new Set<string>();
    for (const d of decisionsIn(three.captured)) {
      // A rejected proposal (e.g. a restricted name) stops at the rule that rejected it.
      const single = d.checks.find((c) => c.rule === "single-name-exposure");
      if (single) {
        expect(single.limit).toBe(expectedSingleName[d.portfolioId] ?? 0.08);
        checked.add(d.portfolioId);
      }
      const vol = d.checks.find((c) => c.kind === "risk" && c.rule === "volatility");
      if (vol) expect(vol.limit).toBe(d.portfolioId === "defensive" ? 0.1 : 0.25);
      if (d.portfolioId === "defensive" && (d.instrumentId === "MO" || d.instrumentId === "PM")) {
        expect(d.side === "hold" || d.side === "sell").toBe(true);
      }
    }
    expect([...checked].sort()).toEqual(Object.keys(mandates.portfolios).sort());
  });

  it("decides exactly as one worker does", () => {
    expect(decisionsIn(one.captured).length).toBeGreaterThan(1000);
    expect(outputDigest(three.captured, [topics.decisions])).toBe(outputDigest(one.captured, [topics.decisions]));
  });
});
