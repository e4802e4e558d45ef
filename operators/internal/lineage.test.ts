import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IdArena, type IdList, unionIds } from "./lineage.js";

const sortedUnique = (xs: readonly string[]) => [...new Set(xs)].sort();

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
