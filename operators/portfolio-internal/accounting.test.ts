/**
 * Accounting identity of the portfolio operators, as a property: every input record's lineage ids
 * end up in the main output or in exactly one side output; the 1:1 operators emit exactly one item
 * per input record; watermarks and upstream side outputs pass through in order.
 */
import fc from "fast-check";
import { from, of } from "rxjs";
import { beforeAll, describe, expect, it } from "vitest";
import { InvestmentPolicy } from "../../lib/domain/policy.js";
import { RiskLimits } from "../../lib/domain/risk-limits.js";
import type { PortfolioBatch } from "../../lib/domain/signals.js";
import { initSolver } from "../../lib/quant/index.js";
import { record, type StreamItem, sideOutput, watermark } from "../../lib/stream/item.js";
import type { StreamOperator } from "../../lib/stream/operator.js";
import { coordinate } from "../coordinate.js";
import { coordinationAnalytics } from "../coordination-analytics.js";
import { policyGate } from "../policy-gate.js";
import { portfolioStateUpdates } from "../portfolio-state-updates.js";
import { resolveConflicts } from "../resolve-conflicts.js";
import { riskGate } from "../risk-gate.js";
import { sizePositions } from "../size-positions.js";
import { netSignal, stateOf } from "./fixtures/builders.js";
import { covarianceModel, loadSp500, marketData } from "./fixtures/sp500.js";

const u = loadSp500(20);
const ids = u.tickers;
const covariance$ = of(covarianceModel(u));
const market$ = of(marketData(u));
const policy = InvestmentPolicy.parse({
  policyId: "p",
  restrictedList: { instruments: [ids[0]!], action: "reject" },
  singleName: { maxWeight: 0.05, action: "clip" },
  turnover: { maxTurnover: 0.2, action: "clip" },
});
const limits = RiskLimits.parse({
  limitsId: "l",
  confidence: 0.99,
  horizonDays: 1,
  tradingDaysPerYear: 252,
  volatility: { max: 0.08, action: "clip" },
});
// p1 and p2 have a state, a policy and limits; p3 has no state (sizing side output); p2 has no
// policy of its own but the "*" default; only p1 has limits (p2's batches leave at the risk gate).
const portfolio$ = of(
  new Map([
    ["p1", stateOf("p1", 1e7, { [ids[2]!]: 1000 })],
    ["p2", stateOf("p2", 5e6)],
  ]),
);
const policy$ = of(new Map([["*", policy]]));
const limits$ = of(new Map([["p1", limits]]));
const topology = { name: "t", version: "1", hash: "h" };

function run<I, O>(op: StreamOperator<I, O>, items: readonly StreamItem<I>[]): StreamItem<O>[] {
  const out: StreamItem<O>[] = [];
  let error: unknown;
  from(items)
    .pipe(op)
    .subscribe({ next: (i) => out.push(i), error: (e: unknown) => (error = e) });
  if (error !== undefined) throw error;
  return out;
}

const itemArb = fc.oneof(
  {
    arbitrary: fc.record({
      portfolio: fc.constantFrom("p1", "p2", "p3"),
      names: fc.subarray([...ids], { minLength: 1, maxLength: 6 }),
      er: fc.double({ min: -0.03, max: 0.03, noNaN: true }),
    }),
    weight: 4,
  },
  { arbitrary: fc.constant("wm" as const), weight: 1 },
  { arbitrary: fc.constant("side" as const), weight: 1 },
);

function stream(spec: readonly (typeof itemArb extends fc.Arbitrary<infer T> ? T : never)[]) {
  return spec.map((s, k): StreamItem<PortfolioBatch> => {
    if (s === "wm") return watermark(k * 1000);
    if (s === "side")
      return sideOutput("late", "late-event", record({}, k, "x", [`up-${k}`])) as StreamItem<PortfolioBatch>;
    const batch: PortfolioBatch = {
      portfolioId: s.portfolio,
      windowStart: k * 1000,
      windowEnd: (k + 1) * 1000,
      signals: s.names.map((id, i) => netSignal(s.portfolio, id, s.er * (i % 2 ? -1 : 1))),
      targets: [],
    };
    return record(batch, (k + 1) * 1000, s.portfolio, [`m${k}-a`, `m${k}-b`]);
  });
}

function accountOneToOne(input: readonly StreamItem<unknown>[], output: readonly StreamItem<unknown>[]) {
  expect(output.length).toBe(input.length);
  input.forEach((item, k) => {
    const o = output[k]!;
    if (item.kind === "record") {
      const ids2 = o.kind === "side" ? o.record.ids : o.kind === "record" ? o.ids : [];
      expect(ids2).toEqual(item.ids);
    } else expect(o).toBe(item);
  });
}

beforeAll(async () => {
  await initSolver();
});

describe("portfolio operators: accounting identity", () => {
  it("holds for each operator and for the whole chain", () => {
    fc.assert(
      fc.property(fc.array(itemArb, { minLength: 1, maxLength: 12 }), (spec) => {
        const input = stream(spec);
        const sized = run(sizePositions({ covariance$, market$, portfolio$ }), input);
        accountOneToOne(input, sized);
        const policed = run(policyGate({ policy$, market$ }), sized);
        accountOneToOne(sized, policed);
        const risked = run(riskGate({ limits$, covariance$, market$ }), policed);
        accountOneToOne(policed, risked);
        const resolved = run(resolveConflicts({ covariance$, market$, policy$, limits$ }), risked);
        accountOneToOne(risked, resolved);
        for (const op of [portfolioStateUpdates({ topology }), coordinationAnalytics({ topology })])
          accountOneToOne(resolved, run(op as StreamOperator<unknown, unknown>, resolved));
        // coordinate is 1:N: each batch's ids reach >= 1 decision or exactly one no-decision side output.
        const decided = run(coordinate({ topology }), resolved);
        const seen = new Map<string, number>();
        for (const o of decided) {
          if (o.kind === "record") seen.set(o.ids.join(","), (seen.get(o.ids.join(",")) ?? 0) + 1);
          if (o.kind === "side" && o.tag === "no-decision") seen.set(o.record.ids.join(","), -1);
        }
        for (const item of resolved) {
          if (item.kind !== "record") continue;
          expect(seen.has(item.ids.join(","))).toBe(true);
        }
        // Every original input id is accounted for at the end of the chain.
        const finalIds = new Set<string>();
        for (const o of decided)
          for (const id of o.kind === "side" ? o.record.ids : o.kind === "record" ? o.ids : []) finalIds.add(id);
        for (const item of input)
          if (item.kind !== "watermark")
            for (const id of item.kind === "side" ? item.record.ids : item.ids) expect(finalIds.has(id)).toBe(true);
        expect(decided.filter((o) => o.kind === "watermark")).toEqual(input.filter((i) => i.kind === "watermark"));
      }),
      { numRuns: 150 },
    );
  });
});
