import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StreamItem } from "../stream/item.js";
import {
  disorderedStreamArb,
  orderedRecordsArb,
  reorderWithinBound,
  withDuplicates,
  withHeartbeats,
  withLateEvents,
} from "./stream-arbitraries.js";

const recordsOf = <T>(items: readonly StreamItem<T>[]) => items.filter((i) => i.kind === "record");

describe("stream arbitraries", () => {
  it("orderedRecordsArb: event times non-decreasing, ids unique", () => {
    fc.assert(
      fc.property(orderedRecordsArb(), (recs) => {
        for (let i = 1; i < recs.length; i++) expect(recs[i]!.eventTime).toBeGreaterThanOrEqual(recs[i - 1]!.eventTime);
        expect(new Set(recs.map((r) => r.ids[0])).size).toBe(recs.length);
      }),
      { numRuns: 1000 },
    );
  });

  it("reorderWithinBound: a permutation where no record is more than the bound behind the max before it", () => {
    fc.assert(
      fc.property(
        orderedRecordsArb().chain((recs) => reorderWithinBound(recs, 7).map((re) => ({ recs, re }))),
        ({ recs, re }) => {
          expect([...re].sort((a, b) => a.ids[0]!.localeCompare(b.ids[0]!))).toEqual(
            [...recs].sort((a, b) => a.ids[0]!.localeCompare(b.ids[0]!)),
          );
          let max = Number.NEGATIVE_INFINITY;
          for (const r of re) {
            expect(max - r.eventTime).toBeLessThanOrEqual(7);
            max = Math.max(max, r.eventTime);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("withDuplicates inserts copies after their originals; withLateEvents inserts records behind the max", () => {
    fc.assert(
      fc.property(
        orderedRecordsArb({ minLength: 1 }).chain((recs) =>
          fc.tuple(fc.constant(recs), withDuplicates(recs), withLateEvents(recs, fc.constant(0), { lateByMs: 50 })),
        ),
        ([recs, dups, late]) => {
          const firstSeen = new Map<string, number>();
          dups.forEach((d, i) => {
            if (d.kind !== "record") return;
            const id = d.ids[0]!;
            if (!firstSeen.has(id)) firstSeen.set(id, i);
          });
          expect(firstSeen.size).toBe(recs.length);
          let max = Number.NEGATIVE_INFINITY;
          for (const it of late) {
            if (it.kind !== "record") continue;
            if (it.ids[0]!.startsWith("late")) expect(max - it.eventTime).toBeGreaterThanOrEqual(50);
            else max = Math.max(max, it.eventTime);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("withHeartbeats: increasing heartbeats that never precede a record at or below them", () => {
    fc.assert(
      fc.property(
        disorderedStreamArb({ boundMs: 5 }).chain(({ disordered }) => withHeartbeats(disordered, { maxHeartbeats: 6 })),
        (items) => {
          let wm = Number.NEGATIVE_INFINITY;
          for (const it of items) {
            if (it.kind === "watermark") {
              expect(it.time).toBeGreaterThan(wm);
              wm = it.time;
            } else if (it.kind === "record") expect(it.eventTime).toBeGreaterThan(wm);
          }
          expect(recordsOf(items).length).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
