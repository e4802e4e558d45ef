import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasOrderKeys, IdArena, type IdList, unionIds } from "./lineage.js";

const sortedUnique = (xs: readonly string[]) => [...new Set(xs)].sort();
const id5 = (i: number) => `id${String(i).padStart(5, "0")}`;

describe("IdArena", () => {
  it("collects every list sorted and duplicate-free, whatever the push order (runs of equal ids, concat, release)", () => {
    const op = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(fc.constant("push" as const), fc.nat(3), fc.nat(40)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("concat" as const), fc.nat(3), fc.nat(3)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("release" as const), fc.nat(3), fc.nat(0)) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.boolean(), (ops, increasing) => {
        const arena = new IdArena();
        const lists: IdList[] = Array.from({ length: 4 }, () => ({ ids: -1, idsFirst: 0, idsLast: 0 }));
        const model: string[][] = lists.map(() => []);
        let n = 0;
        for (const [kind, a, b] of ops) {
          if (kind === "push") {
            // mostly increasing ids (the fast path), with repeats and the odd step back
            const id = increasing
              ? `id${String(n + (b % 7 === 0 ? -1 : b % 5 === 0 ? 0 : 1)).padStart(4, "0")}`
              : `id${b}`;
            if (b % 5 !== 0) n++;
            arena.push(lists[a]!, id);
            model[a]!.push(id);
          } else if (kind === "concat" && a !== b) {
            arena.concat(lists[a]!, lists[b]!);
            model[a]!.push(...model[b]!);
            model[b] = [];
          } else if (kind === "release") {
            arena.release(lists[a]!);
            model[a] = [];
          }
          for (let i = 0; i < 4; i++) expect(arena.collect(lists[i]!)).toEqual(sortedUnique(model[i]!));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("unionIds", () => {
  it("property: the sorted, duplicate-free union of any lists (sorted ones merged, others sorted), never aliasing an input", () => {
    const id = fc.integer({ min: 0, max: 60 }).map((i) => `s${i}`);
    const list = fc.oneof(
      fc.array(id, { maxLength: 12 }),
      fc.array(id, { maxLength: 12 }).map(sortedUnique), // what windows emit
    );
    fc.assert(
      fc.property(fc.array(list, { maxLength: 9 }), (lists) => {
        const got = unionIds(lists);
        expect(got).toEqual(sortedUnique(lists.flat()));
        for (const l of lists) expect(got).not.toBe(l);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("unionIds of arena-collected lists (merged by order key)", () => {
  it("property: the union of lists collected from one arena — ids again, a few out of order, breaks — and foreign lists is the sorted, duplicate-free union", () => {
    // a push: target list, and the id's step from the latest (0: the same id again, e.g. a record
    // in several windows, or a duplicate; -1..-4: ids a few records out of order, placed among the
    // latest pushes; -60, with `breaks`: too far back to place, a break)
    const push = fc.tuple(
      fc.nat(2),
      fc.oneof(
        { weight: 12, arbitrary: fc.constant(1) },
        { weight: 2, arbitrary: fc.constant(0) },
        { weight: 2, arbitrary: fc.integer({ min: -4, max: -1 }) },
        { weight: 1, arbitrary: fc.constant(-60) },
      ),
    );
    let keyedUnions = 0;
    fc.assert(
      fc.property(
        fc.array(push, { minLength: 200, maxLength: 700 }),
        fc.boolean(),
        fc.array(fc.array(fc.nat(2000).map(id5), { maxLength: 3 })),
        (pushes, breaks, foreign) => {
          const arena = new IdArena();
          const lists: IdList[] = Array.from({ length: 3 }, () => ({ ids: -1, idsFirst: 0, idsLast: 0 }));
          const model: Set<string>[] = lists.map(() => new Set());
          let n = 100;
          for (const [to, step] of pushes) {
            n = Math.max(0, n + (step === -60 && !breaks ? 1 : step));
            arena.push(lists[to]!, id5(n));
            model[to]!.add(id5(n));
          }
          const collected = lists.map((l) => arena.collect(l, true));
          for (let i = 0; i < 3; i++) expect(collected[i]).toEqual([...model[i]!].sort());
          if (collected.filter(hasOrderKeys).length >= 2) keyedUnions++;
          const inputs = [...collected, ...foreign.map(sortedUnique)];
          const got = unionIds(inputs);
          expect(got).toEqual(sortedUnique(inputs.flat()));
          for (const l of inputs) expect(got).not.toBe(l);
          // and a union of unions (what a batch of batches would do)
          expect(unionIds([got, ...collected.slice(0, 2)])).toEqual(got);
        },
      ),
      { numRuns: 1000 },
    );
    expect(keyedUnions).toBeGreaterThan(200); // the by-key merge is what this exercises
  });

  it("property: lists fired (collected, then released) at any time, and sessions merged (concat), union as a sort would", () => {
    const op = fc.oneof(
      { weight: 100, arbitrary: fc.tuple(fc.constant("push" as const), fc.nat(2), fc.integer({ min: -3, max: 1 })) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("fire" as const), fc.nat(2), fc.constant(0)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("concat" as const), fc.nat(2), fc.nat(2)) },
    );
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 300, maxLength: 1500 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (ops, picks) => {
          const arena = new IdArena();
          const lists: IdList[] = Array.from({ length: 3 }, () => ({ ids: -1, idsFirst: 0, idsLast: 0 }));
          const model: Set<string>[] = lists.map(() => new Set());
          const fired: string[][] = [];
          let n = 100;
          for (const [kind, a, b] of ops) {
            if (kind === "push") {
              n = Math.max(0, n + b);
              arena.push(lists[a]!, id5(n));
              model[a]!.add(id5(n));
            } else if (kind === "fire") {
              const got = arena.collect(lists[a]!, true);
              expect(got).toEqual([...model[a]!].sort());
              fired.push(got);
              arena.release(lists[a]!);
              model[a] = new Set();
            } else if (a !== b) {
              arena.concat(lists[a]!, lists[b]!);
              for (const id of model[b]!) model[a]!.add(id);
              model[b] = new Set();
            }
          }
          const last = lists.map((l) => arena.collect(l, true));
          for (let i = 0; i < 3; i++) expect(last[i]).toEqual([...model[i]!].sort());
          const pool = [...fired, ...last];
          const inputs = picks.length > 0 ? picks.map((k) => pool[k % pool.length]!) : pool;
          expect(unionIds(inputs)).toEqual(sortedUnique(inputs.flat()));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("merges by key the lists pushed in increasing order, and not after a break inside them", () => {
    const arena = new IdArena();
    const lists: IdList[] = Array.from({ length: 3 }, () => ({ ids: -1, idsFirst: 0, idsLast: 0 }));
    for (let i = 0; i < 240; i++) arena.push(lists[i % 3]!, `s${String(1000 + i)}`);
    const ordered = lists.map((l) => arena.collect(l, true));
    for (const l of ordered) expect(hasOrderKeys(l)).toBe(true);
    const union = unionIds(ordered);
    expect(union).toEqual(sortedUnique(ordered.flat()));
    expect(hasOrderKeys(union)).toBe(true);
    // a step back: lists begun before it are checked and sorted by value, without order keys
    arena.push(lists[0]!, "s0999");
    const after = arena.collect(lists[0]!, true);
    expect(after[0]).toBe("s0999");
    expect(hasOrderKeys(after)).toBe(false);
    expect(unionIds([after, arena.collect(lists[1]!, true)])).toEqual(sortedUnique([...after, ...ordered[1]!]));
  });

  it("property: ids in any order, even ones that bisect the same gap again and again, collect and merge as a sort would", () => {
    const id = fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 14 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2), id), { maxLength: 200 }), (pushes) => {
        const arena = new IdArena();
        const lists: IdList[] = Array.from({ length: 3 }, () => ({ ids: -1, idsFirst: 0, idsLast: 0 }));
        const model: Set<string>[] = lists.map(() => new Set());
        for (const [to, x] of pushes) {
          arena.push(lists[to]!, x);
          model[to]!.add(x);
        }
        const collected = lists.map((l) => arena.collect(l, true));
        for (let i = 0; i < 3; i++) expect(collected[i]).toEqual([...model[i]!].sort());
        expect(unionIds(collected)).toEqual(sortedUnique(collected.flat()));
      }),
      { numRuns: 2000 },
    );
  });

  it("places a few ids out of order among the latest pushes and keeps merging by key", () => {
    const arena = new IdArena();
    const lists: IdList[] = Array.from({ length: 3 }, () => ({ ids: -1, idsFirst: 0, idsLast: 0 }));
    // pairs with equal event times fed the other way round: 1001 before 1000, 1011 before 1010, …
    const order: number[] = [];
    for (let i = 0; i < 240; i++) order.push(i % 10 === 0 ? i + 1 : i % 10 === 1 ? i - 1 : i);
    for (let k = 0; k < order.length; k++) arena.push(lists[k % 3]!, `s${1000 + order[k]!}`);
    const ordered = lists.map((l) => arena.collect(l, true));
    for (const l of ordered) {
      expect(hasOrderKeys(l)).toBe(true);
      expect(l).toEqual(sortedUnique(l));
    }
    expect(unionIds(ordered)).toEqual(Array.from({ length: 240 }, (_, i) => `s${1000 + i}`));
  });

  it("runs out of room between two large keys after a dozen ids placed in one gap, and then breaks (sorting by id)", () => {
    const arena = new IdArena(2 ** 50 - 4096);
    const list: IdList = { ids: -1, idsFirst: 0, idsLast: 0 };
    const ids = ["m", "n", ..."zyxwvutsrqponmlkjihgfedcba".split("").map((c) => `m${c}`)];
    for (const x of ids) arena.push(list, x);
    const got = arena.collect(list);
    expect(got).toEqual([...ids].sort());
    expect(hasOrderKeys(got)).toBe(false); // the break: sorted by id
  });

  it("a break starts a run of its own: ids out of order right after it are still placed by key", () => {
    const arena = new IdArena();
    const old: IdList = { ids: -1, idsFirst: 0, idsLast: 0 };
    for (let i = 0; i < 40; i++) arena.push(old, `s${5000 + i}`);
    const lists: IdList[] = Array.from({ length: 2 }, () => ({ ids: -1, idsFirst: 0, idsLast: 0 }));
    arena.push(lists[0]!, "s1000"); // below everything before: a break
    for (let i = 1; i <= 30; i++) arena.push(lists[i % 2]!, `s${1000 + i}`);
    arena.push(lists[0]!, "s1032"); // the ring is full now; its oldest push is the break's
    arena.push(lists[1]!, "s1031"); // out of order, above every id of the run before it
    for (let i = 33; i < 200; i++) arena.push(lists[i % 2]!, `s${1000 + i}`);
    const collected = lists.map((l) => arena.collect(l, true));
    for (const l of collected) expect(hasOrderKeys(l)).toBe(true);
    expect(unionIds(collected)).toEqual(Array.from({ length: 200 }, (_, i) => `s${1000 + i}`));
    expect(arena.collect(old)).toEqual(Array.from({ length: 40 }, (_, i) => `s${5000 + i}`));
  });

  it("does not place an id among pushes whose windows were released since (their ids are gone): a break", () => {
    const arena = new IdArena();
    const fired: IdList = { ids: -1, idsFirst: 0, idsLast: 0 };
    const open: IdList = { ids: -1, idsFirst: 0, idsLast: 0 };
    for (let i = 0; i < 80; i++) arena.push(fired, `s${1000 + i}`);
    const emitted = arena.collect(fired, true); // a window fires, and is evicted
    arena.release(fired);
    arena.push(open, "s1100"); // in a freed slot the ring does not name (s1000's)
    arena.push(open, "s1050"); // below ids of the released window, which the ring no longer knows
    for (let i = 101; i < 180; i++) arena.push(open, `s${1000 + i}`);
    const later = arena.collect(open, true);
    expect(later).toEqual(sortedUnique(later));
    expect(unionIds([emitted, later])).toEqual(sortedUnique([...emitted, ...later]));
  });

  it("records keys only when asked (a list nobody merges does not pay for them), and not for short lists", () => {
    const arena = new IdArena();
    const lists: IdList[] = Array.from({ length: 3 }, () => ({ ids: -1, idsFirst: 0, idsLast: 0 }));
    for (let i = 0; i < 200; i++) arena.push(lists[i < 100 ? 0 : i < 190 ? 1 : 2]!, `s${1000 + i}`);
    expect(hasOrderKeys(arena.collect(lists[0]!))).toBe(false);
    expect(hasOrderKeys(arena.collect(lists[1]!, true))).toBe(true);
    expect(hasOrderKeys(arena.collect(lists[2]!, true))).toBe(false); // 10 ids
  });
});
