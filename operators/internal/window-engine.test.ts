import fc from "fast-check";
import type { Observable } from "rxjs";
import { describe, expect, it } from "vitest";
import { record, type StreamItem } from "../../lib/stream/item.js";
import { orderedRecordsArb, reorderWithinBound, runOperator } from "../../lib/testing/index.js";
import { withWatermarks } from "../with-watermarks.js";
import { streamOperator } from "./operate.js";
import { type WindowAssigner, WindowEngine } from "./window-engine.js";
import { type Accumulation, countRecords, type EmitMode } from "./window-types.js";

describe("WindowEngine lineage modes", () => {
  // records carrying several ids each (sorted or not, overlapping between records), out of order
  const recs = orderedRecordsArb({ keys: 2, maxStepMs: 4, maxLength: 25 })
    .chain((rs) =>
      fc
        .array(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 5 }), {
          minLength: rs.length,
          maxLength: rs.length,
        })
        .map((extra) =>
          rs.map((r, i) => record(r.value, r.eventTime, r.key, [...r.ids, ...extra[i]!.map((x) => `x${x}`)])),
        ),
    )
    .chain((rs) => reorderWithinBound(rs, 6));
  const assigners = fc.constantFrom<WindowAssigner>(
    { kind: "fixed", size: 10, advance: 10, offset: 0 },
    { kind: "fixed", size: 10, advance: 5, offset: 0 },
    { kind: "session", gap: 3 },
  );

  it('property: "lists" gives exactly the firings of "ids" (every assigner, emit mode, accumulation, lateness)', () => {
    fc.assert(
      fc.property(
        recs,
        assigners,
        fc.constantFrom<EmitMode>("final", "update"),
        fc.constantFrom<Accumulation>("accumulating", "discarding"),
        fc.nat(6),
        (input, assigner, emit, accumulation, lateness) => {
          const run = (lineage: "ids" | "lists") =>
            runOperator(
              (s: Observable<StreamItem<number>>) =>
                s.pipe(
                  withWatermarks({ outOfOrdernessMs: 3 }),
                  streamOperator<number, { n: number; firing: string; start: number }>(
                    (out) =>
                      new WindowEngine(out, {
                        assigner,
                        keyOf: (_v, r) => r.key,
                        aggregate: countRecords(),
                        emit,
                        lateness,
                        accumulation,
                        lineage,
                        project: (st, firing, ids) =>
                          record({ n: st.acc.n, firing, start: st.start }, st.end - 1, st.key, ids),
                      }),
                  ),
                ),
              input,
            );
          const a = run("ids");
          const b = run("lists");
          expect(b.items).toEqual(a.items);
          for (const m of b.main) expect([...m.ids]).toEqual([...new Set(m.ids)].sort());
        },
      ),
      { numRuns: 1000 },
    );
  });
});
