import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReceiveQueue } from "./receive-queue.js";

const timeout = () => new Error("TimeOut");

describe("ReceiveQueue", () => {
  it("hands items out in push order, whether they were buffered or awaited", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 60 }), async (ops) => {
        // true = push the next number, false = start a take
        const q = new ReceiveQueue<number>();
        const takes: Promise<number>[] = [];
        let pushed = 0;
        for (const push of ops) {
          if (push) q.push(pushed++);
          else takes.push(q.take(undefined, timeout));
        }
        while (takes.length < pushed) takes.push(q.take(undefined, timeout));
        const extra = takes.length - pushed;
        for (let i = 0; i < extra; i++) q.push(pushed++);
        expect(await Promise.all(takes)).toEqual(Array.from({ length: takes.length }, (_, i) => i));
        expect(q.size).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects a take that times out, and the next push goes to the next taker", async () => {
    const q = new ReceiveQueue<string>();
    await expect(q.take(10, timeout)).rejects.toThrow("TimeOut");
    const next = q.take(1000, timeout);
    q.push("a");
    await expect(next).resolves.toBe("a");
    expect(q.size).toBe(0);
  });

  it("failAll rejects every waiting taker and drops the buffer", async () => {
    const q = new ReceiveQueue<string>();
    const a = q.take(undefined, timeout);
    const b = q.take(50, timeout);
    q.failAll(() => new Error("AlreadyClosed"));
    await expect(a).rejects.toThrow("AlreadyClosed");
    await expect(b).rejects.toThrow("AlreadyClosed");
    q.push("x");
    q.push("y");
    expect(q.clear()).toBe(2);
    expect(q.size).toBe(0);
  });

  it("removeWhere drops only the matching buffered items and keeps the order of the rest", async () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 50 }), fc.nat(10), (xs, taken) => {
        const q = new ReceiveQueue<number>();
        for (const x of xs) q.push(x);
        const head = xs.slice(0, Math.min(taken, xs.length));
        for (let i = 0; i < head.length; i++) void q.take(undefined, timeout);
        const rest = xs.slice(head.length);
        expect(q.removeWhere((x) => x % 2 === 0)).toBe(rest.filter((x) => x % 2 === 0).length);
        expect(q.size).toBe(rest.filter((x) => x % 2 === 1).length);
      }),
      { numRuns: 300 },
    );
    const q = new ReceiveQueue<number>();
    for (const x of [1, 2, 3, 4, 5]) q.push(x);
    q.removeWhere((x) => x === 2 || x === 4);
    expect(await Promise.all([1, 2, 3].map(() => q.take(undefined, timeout)))).toEqual([1, 3, 5]);
  });
});
