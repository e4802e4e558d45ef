import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { enqueueInOrder } from "./feed-order.js";

interface Rec {
  eventTime: number;
  key: string;
  n: number; // arrival number
}

/** Arrivals (any times) interleaved with releases from the head; returns what is buffered. */
function play(ops: ({ key: string; t: number } | "release")[]): { buffered: Rec[]; released: Rec[]; arrived: Rec[] } {
  const buf: Rec[] = [];
  let head = 0;
  const released: Rec[] = [];
  const arrived: Rec[] = [];
  for (const op of ops) {
    if (op === "release") {
      if (head < buf.length) released.push(buf[head++]!);
    } else {
      const r = { eventTime: op.t, key: op.key, n: arrived.length };
      arrived.push(r);
      enqueueInOrder(buf, head, r);
    }
  }
  return { buffered: buf.slice(head), released, arrived };
}

const key = fc.constantFrom("a", "b", "c", "d");
const anyOps = fc.array(
  fc.oneof(fc.record({ key, t: fc.integer({ min: 0, max: 20 }) }), fc.constant("release" as const)),
  { maxLength: 60 },
);

/** Each key's arrivals in non-decreasing time (each topic in order), keys interleaved anyhow. */
const topicOrderOps = fc
  .array(fc.oneof(fc.record({ key, dt: fc.integer({ min: 0, max: 5 }) }), fc.constant("release" as const)), {
    maxLength: 60,
  })
  .map((raw) => {
    const at = new Map<string, number>();
    return raw.map((op) => {
      if (op === "release") return op;
      // A key starts anywhere (a moved key's redeliveries are older than what is buffered).
      const t = (at.get(op.key) ?? op.dt * 3) + op.dt;
      at.set(op.key, t);
      return { key: op.key, t };
    });
  });

const order = (a: Rec, b: Rec) =>
  a.eventTime - b.eventTime || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.n - b.n;

describe("enqueueInOrder", () => {
  it("loses and duplicates nothing, and keeps each key's arrival order, for any arrivals", () => {
    fc.assert(
      fc.property(anyOps, (ops) => {
        const { buffered, released, arrived } = play(ops);
        const all = [...released, ...buffered];
        expect(all.map((r) => r.n).sort((x, y) => x - y)).toEqual(arrived.map((r) => r.n));
        for (const k of ["a", "b", "c", "d"]) {
          const ns = all.filter((r) => r.key === k).map((r) => r.n);
          expect(ns).toEqual([...ns].sort((x, y) => x - y));
        }
      }),
    );
  });

  it("keeps the buffer in (event time, key, arrival) order when each key arrives in time order", () => {
    fc.assert(
      fc.property(topicOrderOps, (ops) => {
        const { buffered } = play(ops);
        expect(buffered).toEqual([...buffered].sort(order));
      }),
    );
  });

  it("puts a late record before newer buffered records of other keys, and appends in-order ones", () => {
    const buf: Rec[] = [];
    enqueueInOrder(buf, 0, { eventTime: 5, key: "own", n: 0 });
    enqueueInOrder(buf, 0, { eventTime: 7, key: "own", n: 1 });
    enqueueInOrder(buf, 0, { eventTime: 3, key: "moved", n: 2 });
    enqueueInOrder(buf, 0, { eventTime: 6, key: "moved", n: 3 });
    enqueueInOrder(buf, 0, { eventTime: 8, key: "own", n: 4 });
    expect(buf.map((r) => r.n)).toEqual([2, 0, 3, 1, 4]);
  });
});
