import { beforeAll, describe, expect, it } from "vitest";
import { runRecording, type RecordingRunResult } from "../lib/cli/run-recording.js";
import { CoordinatedTradingDecisionEvent } from "../lib/events/coordinated-trading-decision.js";
import { decodeEvent } from "../lib/events/decode.js";
import { TradingSignalEvent } from "../lib/events/trading-signal.js";
import { initSolver } from "../lib/quant/index.js";
import type { SideOutputMessage } from "../lib/topology/types.js";
import { coordinationTopics as topics } from "../topologies/topics.js";
import { MOMENTUM_STRATEGY, momentumDesk, momentumDeskLimits } from "./momentum-desk.js";
import { bundledRecordingPath, messageBytes, readRecording } from "./recordings/format.js";

const messages = readRecording(bundledRecordingPath());
const strategyOf = new Map<string, string>();
for (const m of messages) {
  if (m.topic !== topics.signals) continue;
  const d = decodeEvent(TradingSignalEvent, messageBytes(m));
  if (d.ok) strategyOf.set(d.value.eventId, d.value.strategy);
}

describe("example: momentum-only desk with a tighter risk gate", () => {
  let r: RecordingRunResult;
  beforeAll(async () => {
    await initSolver();
    r = await runRecording(momentumDesk, messages, { transport: "replay" });
  }, 120_000);

  const decisions = () =>
    r.captured
      .filter((c) => c.topic === topics.decisions)
      .map((c) => CoordinatedTradingDecisionEvent.parse(JSON.parse(c.data.toString("utf8"))));

  it("decides on momentum signals only; every other signal is set aside with a reason", () => {
    const ds = decisions();
    expect(ds.length).toBeGreaterThan(20);
    for (const d of ds) {
      expect(d.contributingSignalIds.length).toBeGreaterThan(0);
      for (const id of d.contributingSignalIds) expect(strategyOf.get(id)).toBe(MOMENTUM_STRATEGY);
    }
    const notMomentum = r.captured
      .filter((c) => c.topic === topics.rejected)
      .map((c) => JSON.parse(c.data.toString("utf8")) as SideOutputMessage)
      .filter((s) => s.reason === "not-momentum");
    const expected = [...strategyOf.values()].filter((s) => s !== MOMENTUM_STRATEGY).length;
    expect(notMomentum).toHaveLength(expected);
  });

  it("checks every decision against the desk's limits and keeps risk within them", () => {
    const maxVol = momentumDeskLimits.volatility!.max;
    const maxVaR = momentumDeskLimits.valueAtRisk!.max;
    for (const d of decisions()) {
      const vol = d.checks.find((c) => c.kind === "risk" && c.rule === "volatility");
      const varCheck = d.checks.find((c) => c.kind === "risk" && c.rule === "value-at-risk");
      expect(vol?.limit).toBe(maxVol);
      expect(varCheck?.limit).toBe(maxVaR);
      // A clip never leaves the portfolio above the limit (or above where it already was).
      expect(d.riskAfter.volatility).toBeLessThanOrEqual(Math.max(maxVol, d.riskBefore.volatility) + 1e-9);
      expect(d.riskAfter.valueAtRisk).toBeLessThanOrEqual(Math.max(maxVaR, d.riskBefore.valueAtRisk) + 1e-9);
    }
  });
});
