import fc from "fast-check";
import { type Observable, type OperatorFunction, VirtualTimeScheduler } from "rxjs";
import type { Envelope, SideOutput, StreamItem } from "../stream/item.js";
import { type OperatorRun, runMerge, runOperator } from "./run-operator.js";

/**
 * The operator laws as reusable checks. Each `check*` function returns a list of violations
 * (empty = the law holds) so it can be used with any test runner; each `*Law` function wraps it
 * into a fast-check property: `fc.assert(accountingIdentityLaw(() => myOp(), itemsArb), { numRuns: 1000 })`.
 */

type Op<In, Out> = OperatorFunction<StreamItem<In>, StreamItem<Out>>;

/**
 * Accounting identity: every input record ends up in the main output (its ids appear in a main
 * record) or in exactly one side output — never both, never neither. Ids are counted as a multiset:
 * an id carried by `c` input records may be in at most `c` new side outputs, and it is in the main
 * output iff fewer than `c` of its records went to a side output. Upstream side outputs must pass
 * through unchanged, and no output may carry an id that no input had. `oneToOne`: additionally
 * main records + new side outputs = input records.
 */
export function checkAccountingIdentity<In, Out>(
  input: readonly StreamItem<In>[],
  run: OperatorRun<Out>,
  options: { readonly oneToOne?: boolean } = {},
): string[] {
  const problems: string[] = [];
  const inCount = new Map<string, number>();
  let inRecords = 0;
  const upstreamSides: SideOutput[] = [];
  for (const it of input) {
    if (it.kind === "record") {
      inRecords++;
      for (const id of it.ids) inCount.set(id, (inCount.get(id) ?? 0) + 1);
    } else if (it.kind === "side") upstreamSides.push(it);
  }
  const mainIds = new Set<string>();
  for (const r of run.main) for (const id of r.ids) mainIds.add(id);
  const pending = new Set<SideOutput>(upstreamSides);
  const sideCount = new Map<string, number>();
  let newSides = 0;
  for (const list of Object.values(run.sides)) {
    for (const s of list) {
      if (pending.has(s)) {
        pending.delete(s);
        continue;
      }
      newSides++;
      for (const id of s.record.ids) sideCount.set(id, (sideCount.get(id) ?? 0) + 1);
    }
  }
  if (pending.size > 0) problems.push(`${pending.size} upstream side output(s) not passed through unchanged`);
  for (const [id, c] of inCount) {
    const s = sideCount.get(id) ?? 0;
    const inMain = mainIds.has(id);
    if (s > c) problems.push(`id ${id}: in ${s} side outputs but only ${c} input record(s)`);
    else if (s < c && !inMain) problems.push(`id ${id}: lost (not in main output, ${s}/${c} in side outputs)`);
    else if (s === c && inMain) problems.push(`id ${id}: in the main output and in a side output`);
  }
  for (const id of mainIds) if (!inCount.has(id)) problems.push(`main output carries unknown id ${id}`);
  for (const id of sideCount.keys()) if (!inCount.has(id)) problems.push(`side output carries unknown id ${id}`);
  if (options.oneToOne && run.main.length + newSides !== inRecords) {
    problems.push(`1:1 operator: ${run.main.length} main + ${newSides} side != ${inRecords} input records`);
  }
  if (run.error !== undefined) problems.push(`operator errored: ${String(run.error)}`);
  return problems;
}

/** Canonical text of an output sequence (for equality checks). */
export function canonical(items: readonly unknown[]): string {
  return JSON.stringify(items);
}

/** Determinism: two runs on fresh virtual-time schedulers give the identical output sequence. */
export function checkDeterminism<In, Out>(makeOp: () => Op<In, Out>, input: readonly StreamItem<In>[]): string[] {
  const a = runOperator(makeOp(), input, { scheduler: new VirtualTimeScheduler() });
  const b = runOperator(makeOp(), input, { scheduler: new VirtualTimeScheduler() });
  return canonical(a.items) === canonical(b.items) ? [] : ["two runs on the same input gave different outputs"];
}

/** Idempotence (dedup-like operators): `op(op(s))` emits exactly what `op(s)` emits. */
export function checkIdempotence<In>(makeOp: () => Op<In, In>, input: readonly StreamItem<In>[]): string[] {
  const once = runOperator(makeOp(), input);
  const twice = runOperator(makeOp(), once.items as StreamItem<In>[]);
  return canonical(once.items) === canonical(twice.items) ? [] : ["op(op(s)) differs from op(s)"];
}

/**
 * Reorder invariance (window-like operators): the final main output, as a multiset of canonical
 * records (`normalize`, default the record as JSON), is the same for the in-order stream and for
 * the reordered one. Pass the operator with its watermark assignment included.
 */
export function checkReorderInvariance<In, Out>(
  makeOp: () => Op<In, Out>,
  ordered: readonly StreamItem<In>[],
  reordered: readonly StreamItem<In>[],
  normalize: (r: Envelope<Out>) => unknown = (r) => r,
): string[] {
  const canon = (run: OperatorRun<Out>) => run.main.map((r) => JSON.stringify(normalize(r))).sort();
  const a = canon(runOperator(makeOp(), ordered));
  const b = canon(runOperator(makeOp(), reordered));
  return JSON.stringify(a) === JSON.stringify(b) ? [] : ["reordered input gave different final results"];
}

/**
 * Permutation (merge-like operators): the output records are a permutation of the input records
 * (side outputs counted as output), and within each emission batch — the records between two
 * watermarks — consecutive records satisfy `order(a, b) <= 0`.
 */
export function checkPermutation<T>(
  inputs: readonly (readonly StreamItem<T>[])[],
  run: OperatorRun<T>,
  order: (a: Envelope<T>, b: Envelope<T>) => number,
): string[] {
  const problems: string[] = [];
  const key = (r: Envelope<T>) => JSON.stringify(r);
  const want = inputs.flatMap((items) => items.filter((i): i is Envelope<T> => i.kind === "record").map(key)).sort();
  const sideRecords = Object.values(run.sides).flatMap((l) => l.map((s) => s.record as Envelope<T>));
  const got = [...run.main, ...sideRecords].map(key).sort();
  if (JSON.stringify(want) !== JSON.stringify(got)) problems.push("output records are not a permutation of the input");
  let prev: Envelope<T> | undefined;
  for (const it of run.items) {
    if (it.kind === "watermark") prev = undefined;
    else if (it.kind === "record") {
      if (prev !== undefined && order(prev, it) > 0) {
        problems.push(`batch order violated: ${key(prev)} before ${key(it)}`);
        break;
      }
      prev = it;
    }
  }
  return problems;
}

function asProperty<A>(arb: fc.Arbitrary<A>, check: (a: A) => string[]): fc.IPropertyWithHooks<[A]> {
  return fc.property(arb, (a) => {
    const problems = check(a);
    if (problems.length > 0) throw new Error(problems.join("; "));
  });
}

export function accountingIdentityLaw<In, Out>(
  makeOp: () => Op<In, Out>,
  input: fc.Arbitrary<StreamItem<In>[]>,
  options: { readonly oneToOne?: boolean } = {},
): fc.IPropertyWithHooks<[StreamItem<In>[]]> {
  return asProperty(input, (items) => checkAccountingIdentity(items, runOperator(makeOp(), items), options));
}

export function determinismLaw<In, Out>(
  makeOp: () => Op<In, Out>,
  input: fc.Arbitrary<StreamItem<In>[]>,
): fc.IPropertyWithHooks<[StreamItem<In>[]]> {
  return asProperty(input, (items) => checkDeterminism(makeOp, items));
}

export function idempotenceLaw<In>(
  makeOp: () => Op<In, In>,
  input: fc.Arbitrary<StreamItem<In>[]>,
): fc.IPropertyWithHooks<[StreamItem<In>[]]> {
  return asProperty(input, (items) => checkIdempotence(makeOp, items));
}

export function reorderInvarianceLaw<In, Out>(
  makeOp: () => Op<In, Out>,
  input: fc.Arbitrary<{ ordered: readonly StreamItem<In>[]; disordered: readonly StreamItem<In>[] }>,
  normalize?: (r: Envelope<Out>) => unknown,
): fc.IPropertyWithHooks<[{ ordered: readonly StreamItem<In>[]; disordered: readonly StreamItem<In>[] }]> {
  return asProperty(input, ({ ordered, disordered }) => checkReorderInvariance(makeOp, ordered, disordered, normalize));
}

/**
 * Permutation law for merge-like operators: `merge` over the generated inputs (replayed
 * round-robin on virtual time) emits a permutation of the input records, ordered by `order`
 * within each batch.
 */
export function permutationLaw<T>(
  merge: (sources: readonly Observable<StreamItem<T>>[]) => Observable<StreamItem<T>>,
  inputs: fc.Arbitrary<StreamItem<T>[][]>,
  order: (a: Envelope<T>, b: Envelope<T>) => number,
): fc.IPropertyWithHooks<[StreamItem<T>[][]]> {
  return asProperty(inputs, (ins) => checkPermutation(ins, runMerge(merge, ins), order));
}
