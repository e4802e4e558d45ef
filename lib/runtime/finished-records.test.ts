import fc from "fast-check";
import { queueScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import { embeddedBinding } from "../transports/embedded/index.js";
import type { MessageIdLike } from "../transports/pulsar-client-like.js";
import { FinishedRecords } from "./finished-records.js";
import { TopicTail } from "./topic-tail.js";
import { TopicWriter } from "./topic-writer.js";

/** A FinishedRecords of worker `workerId` on `topic` of binding `b`, owning `owned`. */
async function finishedRecords(
  b: ReturnType<typeof embeddedBinding>,
  topic: string,
  workerId: string,
  capacity: number,
  owned: ReadonlySet<string> = new Set(),
) {
  const open = (after: MessageIdLike | undefined) =>
    b.client.createReader({ topic, startMessageId: after ?? b.MessageId.earliest() });
  const writer = new TopicWriter(topic, await b.client.createProducer({ topic }), undefined, {
    maxPending: 100,
    scheduler: queueScheduler,
    reconnect: {},
    topologyId: "t@1#x",
    capture: undefined,
    onRetry: () => undefined,
    onFatal: (e) => {
      throw e;
    },
  });
  const fr = new FinishedRecords(topic, writer, new TopicTail(await open(undefined), open), owned, capacity, workerId);
  return { fr, writer };
}

describe("FinishedRecords", () => {
  it("hands the last `capacity` acked records of each key to the next owner, each recognized once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("pf-a", "pf-b", "pf-c"), fc.nat(50)), { maxLength: 60 }),
        fc.integer({ min: 1, max: 40 }),
        async (acks, capacity) => {
          const b = embeddedBinding();
          const old = await finishedRecords(b, "finished", "w0", capacity);
          const done = acks.map(([key, n]) => [key, `e${n}`] as const);
          for (const [key, id] of done) old.fr.acked(key, id);
          old.fr.write(() => 0, []);
          await old.writer.idle();

          // The next owner owns pf-c already (processed it itself): nothing of pf-c applies.
          const next = await finishedRecords(b, "finished", "w1", capacity, new Set(["pf-c"]));
          await next.fr.catchUp();
          const kept = done.slice(Math.max(0, done.length - capacity)).filter(([key]) => key !== "pf-c");
          const expected = new Set(kept.map(([key, id]) => `${key}/${id}`));
          for (const key of ["pf-a", "pf-b", "pf-c"]) {
            for (let n = 0; n <= 50; n++) {
              const id = `e${n}`;
              expect(next.fr.take(key, id)).toBe(expected.has(`${key}/${id}`));
              expect(next.fr.take(key, id)).toBe(false); // once
            }
          }
          expect(next.fr.pending).toBe(0);
          await b.client.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it("keeps exactly the last `capacity` acks when the ring wraps across its chunks", async () => {
    const b = embeddedBinding();
    // 2,500 slots: not a multiple of the ring's 1,024-slot chunks, so the wrap starts mid-chunk.
    const capacity = 2500;
    const w0 = await finishedRecords(b, "finished", "w0", capacity);
    const keyOf = (n: number) => ["pf-a", "pf-b", "pf-c"][n % 3]!;
    for (let n = 0; n < 6000; n++) w0.fr.acked(keyOf(n), `e${n}`);
    w0.fr.write(() => 0, []);
    await w0.writer.idle();
    const next = await finishedRecords(b, "finished", "w1", capacity);
    await next.fr.catchUp();
    for (let n = 0; n < 6000; n++) expect(next.fr.take(keyOf(n), `e${n}`)).toBe(n >= 6000 - capacity);
    expect(next.fr.pending).toBe(0);
    await b.client.close();
  });

  it("splits a key's ids over several entries and adds up what several stopped workers listed", async () => {
    const b = embeddedBinding();
    const w0 = await finishedRecords(b, "finished", "w0", 10_000);
    for (let n = 0; n < 9000; n++) w0.fr.acked("pf-a", `a${n}`);
    w0.fr.write(() => 0, []);
    await w0.writer.idle();
    const w1 = await finishedRecords(b, "finished", "w1", 10);
    w1.fr.acked("pf-a", "b1");
    w1.fr.write(() => 0, []);
    await w1.writer.idle();

    const next = await finishedRecords(b, "finished", "w2", 10);
    await next.fr.catchUp();
    expect(next.fr.pending).toBe(1);
    expect(next.fr.take("pf-a", "a0") && next.fr.take("pf-a", "a8999") && next.fr.take("pf-a", "b1")).toBe(true);
    expect(next.fr.take("pf-a", "a9000")).toBe(false);
    await b.client.close();
  });

  it("hands each key over with the watermark its records were at (a lane's, or the worker's) and its open sources", async () => {
    const b = embeddedBinding();
    const w0 = await finishedRecords(b, "finished", "w0", 10);
    w0.fr.acked("pf-a", "a1");
    w0.fr.write(
      (key) => (key === "pf-a" ? 1_000 : 5_000),
      ["pf-a", "pf-b"],
      new Map([["pf-b", new Set(["s2", "s1"])]]),
    );
    await w0.writer.idle();
    const next = await finishedRecords(b, "finished", "w1", 10);
    await next.fr.catchUp();
    expect([next.fr.handedOver("pf-a"), next.fr.handedOver("pf-b"), next.fr.handedOver("pf-c")]).toEqual([
      { watermark: 1_000, openSources: [] },
      { watermark: 5_000, openSources: ["s1", "s2"] },
      undefined,
    ]);
    expect(next.fr.handedOver("pf-a")).toBeUndefined(); // once
    await b.client.close();
  });
});
