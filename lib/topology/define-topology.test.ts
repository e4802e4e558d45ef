import { describe as suite, expect, it } from "vitest";
import { z } from "zod";
import { describeOperator, type StreamOperator } from "../stream/index.js";
import { defineTopology } from "./define-topology.js";
import { describe } from "./describe.js";
import { filterRecords } from "./filter-records.js";
import { topologyHash } from "./hash.js";
import { mapRecords } from "./map-records.js";
import type { TopologySpec } from "./types.js";
import { TopologyValidationError } from "./validate.js";

const pass: StreamOperator<unknown, unknown> = (s) => s;
const lateOp = describeOperator<unknown, unknown>((s) => s, {
  operatorName: "windowish",
  sideOutputs: ["late"],
  retentionMs: 5000,
});

function base(): TopologySpec {
  return {
    name: "t",
    version: "1",
    sources: { signals: { topic: "in", schema: "TradingSignalEvent" } },
    steps: {
      win: { from: "signals", use: lateOp, outputSchema: "TradingSignalEvent" },
      decide: { from: "win", use: pass, outputSchema: "CoordinatedTradingDecisionEvent" },
    },
    sinks: { out: { from: "decide", topic: "out", schema: "CoordinatedTradingDecisionEvent" } },
    sideOutputs: { late: { topic: "late" } },
    deadLetters: { topic: "dlq" },
  };
}

function issuesOf(spec: TopologySpec): string[] {
  try {
    defineTopology(spec);
  } catch (e) {
    expect(e).toBeInstanceOf(TopologyValidationError);
    return (e as TopologyValidationError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

suite("defineTopology validation", () => {
  it("accepts a valid topology and orders its steps", () => {
    const t = defineTopology(base());
    expect(t.order).toEqual(["win", "decide"]);
  });

  it("reports unknown sources, steps and side inputs", () => {
    const s = base();
    const issues = issuesOf({
      ...s,
      steps: { ...s.steps, decide: { from: ["win", "nope"], use: pass, sideInputs: ["ghost"] } },
    });
    expect(issues).toContain('steps.decide.from: unknown source or step "nope"');
    expect(issues).toContain('steps.decide.sideInputs: unknown side input "ghost"');
  });

  it("reports unknown topics / schemas and schema mismatches between steps", () => {
    const s = base();
    const issues = issuesOf({
      ...s,
      sources: { signals: { topic: "", schema: "NoSuchEvent" as never } },
      steps: {
        ...s.steps,
        decide: { from: "win", use: pass, inputSchema: "RebalanceRequestEvent", outputSchema: "TradingSignalEvent" },
      },
    });
    expect(issues).toContain("sources.signals.topic: a source needs a topic");
    expect(issues.some((i) => i.startsWith('sources.signals.schema: unknown event schema "NoSuchEvent"'))).toBe(true);
    expect(issues).toContain(
      'steps.decide.from: schema mismatch: "win" emits TradingSignalEvent, "decide" expects RebalanceRequestEvent',
    );
    expect(issues).toContain(
      'sinks.out.from: schema mismatch: "decide" emits TradingSignalEvent, sink "out" writes CoordinatedTradingDecisionEvent',
    );
  });

  it("reports unrouted side outputs from operator metadata, and accepts step-specific routes", () => {
    const s = base();
    expect(issuesOf({ ...s, sideOutputs: {} })).toEqual([
      'steps.win: unrouted side output "late": add sideOutputs["late"] or sideOutputs["win.late"] (a topic or "absorb")',
    ]);
    expect(issuesOf({ ...s, sideOutputs: { "win.late": "absorb" } })).toEqual([]);
    expect(issuesOf({ ...s, sideOutputs: { late: { topic: "late", deferred: true } } })).toEqual([]);
    expect(issuesOf({ ...s, sideOutputs: { late: { topic: "late", deferred: "yes" as never } } })).toEqual([
      "sideOutputs.late.deferred: deferred is true or false",
    ]);
    // filterRecords declares its tag; the declared `sideOutputs` of a step count too.
    const f = {
      ...s,
      steps: { ...s.steps, x: { from: "signals", use: filterRecords(() => true), sideOutputs: ["odd"] } },
    };
    const issues = issuesOf({
      ...f,
      sinks: { ...f.sinks, o2: { from: "x", topic: "o2", schema: "TradingSignalEvent" } },
    });
    expect(issues.filter((i) => i.includes("unrouted")).sort()).toEqual([
      'steps.x: unrouted side output "odd": add sideOutputs["odd"] or sideOutputs["x.odd"] (a topic or "absorb")',
      'steps.x: unrouted side output "rejected": add sideOutputs["rejected"] or sideOutputs["x.rejected"] (a topic or "absorb")',
    ]);
  });

  it("reports cycles", () => {
    const s = base();
    const issues = issuesOf({
      ...s,
      steps: { ...s.steps, win: { from: ["signals", "decide"], use: lateOp }, decide: { from: "win", use: pass } },
    });
    expect(issues).toContain("steps: cycle between steps: decide -> win");
  });

  it("reports duplicate names, feedback loops and streams that go nowhere", () => {
    const s = base();
    const issues = issuesOf({
      ...s,
      sources: { ...s.sources, decide: { topic: "out", schema: "TradingSignalEvent" } },
      steps: { ...s.steps, orphan: { from: "signals", use: pass } },
    });
    expect(issues).toContain('steps.decide: duplicate name: "decide" is already used in sources');
    expect(issues).toContain('sinks.out.topic: topic "out" is also consumed by this topology (feedback loop)');
    expect(issues).toContain("steps.orphan: the step's records go nowhere: read it from a step or a sink");
  });

  it("requires a key for schemas without portfolioId", () => {
    const s = base();
    const issues = issuesOf({
      ...s,
      sources: { ...s.sources, md: { topic: "md", schema: "NormalizedMarketDataEvent" } },
      steps: { ...s.steps, win: { from: ["signals", "md"], use: lateOp } },
    });
    expect(issues).toContain("sources.md.key: schema NormalizedMarketDataEvent has no portfolioId: declare key(value)");
  });

  it("reports builder failures and undeclared side inputs at definition time", () => {
    const s = base();
    const issues = issuesOf({
      ...s,
      sideInputs: { md: { topic: "md", schema: "NormalizedMarketDataEvent" } },
      steps: {
        ...s.steps,
        decide: {
          from: "win",
          sideInputs: ["md"],
          build: (ctx) => {
            ctx.sideInput("other");
            return pass;
          },
        },
      },
    });
    expect(issues).toContain('steps.decide.build: building the operator failed: unknown side input "other"');
  });
});

suite("describe and hash", () => {
  const t = defineTopology({ ...base(), config: z.object({ lambda: z.number().default(2) }) });

  it("prints text, mermaid and json", () => {
    const text = describe(t, "text");
    expect(text).toContain("Source signals: in [TradingSignalEvent] (KeyShared t.signals)");
    expect(text).toContain("Step win: windowish <- signals");
    expect(text).toContain("side output late -> late");
    expect(text).toContain("Sink out: out [CoordinatedTradingDecisionEvent] <- decide");
    const mermaid = describe(t, "mermaid");
    expect(mermaid.split("\n")[0]).toBe("flowchart LR");
    expect(mermaid).toContain("win --> decide");
    const json = JSON.parse(describe(t, "json"));
    expect(json.steps.map((s: { name: string }) => s.name)).toEqual(["win", "decide"]);
    expect(json.steps[0].retentionMs).toBe(5000);
    expect(json.steps[0].sideOutputs).toEqual([{ tag: "late", route: "late" }]);
    // A deferred route says so (and is part of the description, so of the hash).
    const d = defineTopology({ ...base(), sideOutputs: { late: { topic: "late", deferred: true } } });
    expect(describe(d, "text")).toContain("side output late -> late (deferred)");
    expect(JSON.parse(describe(d, "json")).steps[0].sideOutputs).toEqual([
      { tag: "late", route: "late", deferred: true },
    ]);
    expect(topologyHash(d)).not.toBe(topologyHash(defineTopology(base())));
  });

  it("hashes description and config stably, and changes with either", () => {
    const h1 = topologyHash(t, { lambda: 2 });
    expect(
      topologyHash(defineTopology({ ...base(), config: z.object({ lambda: z.number().default(2) }) }), { lambda: 2 }),
    ).toBe(h1);
    expect(topologyHash(t, { lambda: 3 })).not.toBe(h1);
    expect(topologyHash(defineTopology({ ...base(), version: "2" }), { lambda: 2 })).not.toBe(h1);
    expect(h1).toMatch(/^[0-9a-f]{16}$/);
  });
});

suite("record helpers", () => {
  it("mapRecords turns a throw into a `failed` side output and keeps going", async () => {
    const { from, lastValueFrom, toArray } = await import("rxjs");
    const op = mapRecords((x: number) => {
      if (x === 2) throw new Error("two");
      return x * 10;
    });
    const items = [1, 2, 3].map((v) => ({ kind: "record" as const, value: v, eventTime: v, key: "k", ids: [`i${v}`] }));
    const out = await lastValueFrom(from([...items, { kind: "watermark" as const, time: 3 }]).pipe(op, toArray()));
    expect(
      out.map((i) => (i.kind === "record" ? i.value : i.kind === "side" ? `${i.tag}:${i.reason}` : `wm${i.time}`)),
    ).toEqual([10, "failed:two", 30, "wm3"]);
  });
});
