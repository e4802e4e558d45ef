import fc from "fast-check";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import type { NetSignal, PortfolioBatch, TargetIntent } from "../lib/domain/signals.js";
import { type Envelope, record, type StreamItem, watermark } from "../lib/stream/item.js";
import {
  accountingIdentityLaw,
  determinismLaw,
  orderedRecordsArb,
  runOperator,
  withHeartbeats,
} from "../lib/testing/index.js";
import { type BatchInput, batchByPortfolio } from "./batch-by-portfolio.js";

const net = (portfolioId: string, instrumentId: string, windowStart: number, score = 0.5): NetSignal => ({
  portfolioId,
  instrumentId,
  windowStart,
  windowEnd: windowStart + 10,
  direction: score > 0 ? "long" : "short",
  score,
  strength: Math.abs(score),
  confidence: 0.8,
  expectedReturn: 0.01,
  horizonMs: 1000,
  urgency: "normal",
  contributingSignalIds: [`${portfolioId}-${instrumentId}-${windowStart}`],
  sources: ["a"],
  conflict: false,
  conflictingSources: [],
});
const target = (portfolioId: string, instrumentId: string, eventId: string): TargetIntent => ({
  kind: "rebalance",
  portfolioId,
  instrumentId,
  targetWeight: 0.1,
  urgency: "high",
  source: "scheduler",
  eventId,
  participation: 1,
});
const env = (v: BatchInput, t: number, id: string) => record<BatchInput>(v, t, v.portfolioId, [id]);

describe("batchByPortfolio", () => {
  it("by window: one batch per portfolio when the watermark passes the window (marbles)", () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const s = env(net("p1", "B", 0), 1, "s");
      const t = env(target("p1", "A", "t"), 2, "t");
      const s2 = env(net("p1", "A", 0), 3, "s2");
      const u = env(net("p2", "A", 0), 5, "u");
      const input = cold<StreamItem<BatchInput>>("-s-t-v-u-w--------|", { s, t, v: s2, u, w: watermark(9) });
      const batch = (portfolioId: string, signals: NetSignal[], targets: TargetIntent[]): PortfolioBatch => ({
        portfolioId,
        windowStart: 0,
        windowEnd: 10,
        signals,
        targets,
      });
      expectObservable(input.pipe(batchByPortfolio({ by: "window", sizeMs: 10 }))).toBe("---------(abw)----|", {
        a: record(batch("p1", [s2.value as NetSignal, s.value as NetSignal], [t.value as TargetIntent]), 9, "p1", [
          "s",
          "s2",
          "t",
        ]),
        b: record(batch("p2", [u.value as NetSignal], []), 9, "p2", ["u"]),
        w: watermark(9),
      });
    });
  });

  it("by window: a later firing of the same instrument window supersedes; late inputs form a batch of their own", () => {
    const run = runOperator(batchByPortfolio({ by: "window", sizeMs: 10, allowedLatenessMs: 10 }), [
      env(net("p", "A", 0, 0.2), 1, "a1"),
      env(net("p", "A", 0, 0.7), 2, "a2"),
      watermark(9),
      env(target("p", "B", "late"), 5, "late"),
      watermark(30),
      env(target("p", "B", "toolate"), 6, "toolate"),
    ]);
    expect(
      run.main.map((m) => [m.value.signals.map((s) => s.score), m.value.targets.map((t) => t.eventId), m.ids]),
    ).toEqual([
      [[0.7], [], ["a1", "a2"]],
      [[], ["late"], ["late"]],
    ]);
    expect(run.sides["late"]?.map((s) => s.record.ids)).toEqual([["toolate"]]);
  });

  it("by count: a batch after `count` inputs, or when the watermark passes first + maxDelayMs", () => {
    const run = runOperator(batchByPortfolio({ by: "count", count: 2, maxDelayMs: 10 }), [
      env(net("p1", "A", 0), 1, "a"),
      env(net("p2", "A", 0), 2, "b"),
      env(target("p1", "B", "t"), 4, "c"),
      watermark(11),
      watermark(12),
      env(net("p3", "A", 0), 20, "d"),
    ]);
    expect(run.items.map((i) => (i.kind === "record" ? `${i.value.portfolioId}:${i.ids.join("+")}` : i.kind))).toEqual([
      "p1:a+c",
      "watermark",
      "p2:b",
      "watermark",
      "p3:d",
    ]);
    expect((run.main[0] as Envelope<PortfolioBatch>).value).toMatchObject({ windowStart: 1, windowEnd: 5 });
  });

  const stream = orderedRecordsArb<BatchInput>({
    value: fc.oneof(
      fc.tuple(fc.constantFrom("p1", "p2", "p3"), fc.constantFrom("A", "B")).map(([p, i]) => net(p, i, 0)),
      fc.tuple(fc.constantFrom("p1", "p2"), fc.constantFrom("A", "B")).map(([p, i]) => target(p, i, `${p}${i}`)),
    ),
    keyOf: (v) => v.portfolioId,
  }).chain((recs) => withHeartbeats(recs));

  it("law: accounting identity and determinism, both modes", () => {
    fc.assert(
      accountingIdentityLaw(() => batchByPortfolio({ by: "window", sizeMs: 7 }), stream),
      { numRuns: 1000 },
    );
    fc.assert(
      accountingIdentityLaw(() => batchByPortfolio({ by: "count", count: 3, maxDelayMs: 5 }), stream),
      {
        numRuns: 1000,
      },
    );
    fc.assert(
      determinismLaw(() => batchByPortfolio({ by: "count", count: 3, maxDelayMs: 5 }), stream),
      {
        numRuns: 1000,
      },
    );
  });
});
