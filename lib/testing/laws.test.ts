import fc from "fast-check";
import { map, mergeMap, type Observable } from "rxjs";
import { describe, expect, it } from "vitest";
import { type Envelope, record, type StreamItem, sideOutput, watermark } from "../stream/item.js";
import {
  accountingIdentityLaw,
  checkAccountingIdentity,
  checkDeterminism,
  checkIdempotence,
  checkPermutation,
  checkReorderInvariance,
  determinismLaw,
} from "./laws.js";
import { runOperator } from "./run-operator.js";
import { orderedRecordsArb } from "./stream-arbitraries.js";

type S = Observable<StreamItem<number>>;
const r = (v: number, t: number, id = `e${v}`) => record(v, t, "k", [id]);
const identity = () => (s: S) => s;
const dropOdd = () => (s: S) => s.pipe(map((i) => (i.kind === "record" && i.value % 2 === 1 ? watermark(-1) : i))) as S;

describe("operator laws", () => {
  it("accounting identity: holds for identity, catches losses, double accounting and invented ids", () => {
    const input = [r(1, 1), r(2, 2), sideOutput("late", "x", r(3, 3))];
    expect(checkAccountingIdentity(input, runOperator(identity(), input), { oneToOne: true })).toEqual([]);
    expect(checkAccountingIdentity(input, runOperator(dropOdd(), input)).join()).toContain("id e1: lost");
    const both = () => (s: S) =>
      s.pipe(mergeMap((i) => (i.kind === "record" ? [i, sideOutput("rejected", "r", i)] : [i])));
    const doubled = runOperator(both(), input);
    expect(checkAccountingIdentity(input, doubled).join()).toContain("in the main output and in a side output");
    const invent = () => (s: S) =>
      s.pipe(map((i) => (i.kind === "record" ? record(i.value, i.eventTime, i.key, ["zz"]) : i)));
    expect(checkAccountingIdentity(input, runOperator(invent(), input)).join()).toContain("unknown id zz");
    expect(() => fc.assert(accountingIdentityLaw(dropOdd, orderedRecordsArb()), { numRuns: 200 })).toThrow();
  });

  it("determinism: catches an operator with hidden mutable state shared across runs", () => {
    let calls = 0;
    const leaky = () => (s: S) =>
      s.pipe(map((i) => (i.kind === "record" ? record(calls++, i.eventTime, i.key, i.ids) : i)));
    expect(checkDeterminism(leaky, [r(1, 1)])).not.toEqual([]);
    expect(checkDeterminism(identity, [r(1, 1)])).toEqual([]);
    expect(() => fc.assert(determinismLaw(leaky, orderedRecordsArb({ minLength: 1 })), { numRuns: 10 })).toThrow();
  });

  it("idempotence: identity is idempotent, an incrementing map is not", () => {
    const inc = () => (s: Observable<StreamItem<number>>) =>
      s.pipe(map((i) => (i.kind === "record" ? record(i.value + 1, i.eventTime, i.key, i.ids) : i)));
    expect(checkIdempotence(identity, [r(1, 1)])).toEqual([]);
    expect(checkIdempotence(inc, [r(1, 1)])).not.toEqual([]);
  });

  it("reorder invariance: identity (as a multiset) passes, an order-dependent running sum fails", () => {
    let sum = 0;
    const running = () => {
      sum = 0;
      return (s: S) => s.pipe(map((i) => (i.kind === "record" ? record((sum = sum * 2 + i.value), 0, "k", i.ids) : i)));
    };
    const a = [r(1, 1), r(2, 2)];
    const b = [r(2, 2), r(1, 1)];
    expect(checkReorderInvariance(identity, a, b)).toEqual([]);
    expect(checkReorderInvariance(running, a, b)).not.toEqual([]);
  });

  it("permutation: checks the multiset and the order within batches", () => {
    const byValueDesc = (x: Envelope<number>, y: Envelope<number>) => y.value - x.value;
    const inputs = [[r(1, 1)], [r(2, 2)]];
    const good = runOperator(identity(), [r(2, 2), r(1, 1), watermark(5)]);
    expect(checkPermutation(inputs, good, byValueDesc)).toEqual([]);
    const badOrder = runOperator(identity(), [r(1, 1), r(2, 2)]);
    expect(checkPermutation(inputs, badOrder, byValueDesc).join()).toContain("batch order violated");
    const splitByWatermark = runOperator(identity(), [r(1, 1), watermark(1), r(2, 2)]);
    expect(checkPermutation(inputs, splitByWatermark, byValueDesc)).toEqual([]);
    const missing = runOperator(identity(), [r(2, 2)]);
    expect(checkPermutation(inputs, missing, byValueDesc).join()).toContain("not a permutation");
  });
});
