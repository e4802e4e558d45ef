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
});
