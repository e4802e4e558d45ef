import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TopicLog } from "./topic-log.js";

const plain = (partitionKey: string) => ({
  properties: undefined,
  partitionKey,
  orderingKey: "",
  eventTimestamp: 0,
  publishTimestamp: 1,
  producerName: "p",
});

interface Sent {
  data: Buffer;
  partitionKey: string;
  orderingKey: string;
  properties: Record<string, string> | undefined;
  eventTimestamp: number;
  publishTimestamp: number;
  producerName: string;
}

const sentArb: fc.Arbitrary<Sent> = fc.record({
  // mostly small, now and then bigger than a slab (64 KB)
  data: fc
    .oneof(
      { weight: 20, arbitrary: fc.uint8Array({ maxLength: 64 }) },
      { weight: 1, arbitrary: fc.integer({ min: 30_000, max: 70_000 }).map((n) => new Uint8Array(n).fill(n & 255)) },
    )
    .map((a) => Buffer.from(a)),
  partitionKey: fc.string({ maxLength: 4 }),
  orderingKey: fc.constantFrom("", "", "o1"),
  properties: fc.option(fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 })), { nil: undefined }),
  eventTimestamp: fc.oneof(fc.constant(0), fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 })),
  publishTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  producerName: fc.constantFrom("p-0", "p-1"),
});

function expectStored(log: TopicLog, entryId: number, s: Sent): void {
  const m = log.message(entryId)!;
  expect(m.entryId).toBe(entryId);
  expect(m.getMessageId().entryId).toBe(entryId);
  expect(m.getMessageId().ledgerId).toBe(7);
  expect(m.getTopicName()).toBe("t");
  expect(m.getData().equals(s.data)).toBe(true);
  expect(m.byteLength).toBe(s.data.length);
  expect(log.byteLength(entryId)).toBe(s.data.length);
  expect(m.getPartitionKey()).toBe(s.partitionKey);
  expect(m.getOrderingKey()).toBe(s.orderingKey);
  expect(m.stickyKey).toBe(s.orderingKey !== "" ? s.orderingKey : s.partitionKey);
  expect(m.getProperties()).toEqual(s.properties ?? {});
  expect(m.getEventTimestamp()).toBe(s.eventTimestamp);
  expect(m.getPublishTimestamp()).toBe(s.publishTimestamp);
  expect(m.getProducerName()).toBe(s.producerName);
  expect(m.getRedeliveryCount()).toBe(0);
  expect(m.entry).toBe(m);
}

describe("TopicLog", () => {
  it("gives back every stored message as it was appended, across chunks, slabs and trims", () => {
    let trimmedRuns = 0;
    fc.assert(
      fc.property(
        fc.array(sentArb, { minLength: 2300, maxLength: 3000 }),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 2, maxLength: 2 }),
        (sent, trims) => {
          const log = new TopicLog("t", 7);
          // views taken before later appends must keep their bytes
          const early = new Map<number, Buffer>();
          let lowest = 0;
          for (let i = 0; i < sent.length; i++) {
            expect(log.append(sent[i]!.data, sent[i]!)).toBe(i);
            if (i % 97 === 0) early.set(i, log.message(i)!.getData());
            if (i % 1100 === 1099) {
              // a mark somewhere between the last one and the end (percent of the way)
              const low = lowest + Math.floor(((i + 1 - lowest) * trims[(i - 1099) / 1100]!) / 100);
              log.trimBefore(low);
              lowest = low;
              // whole chunks only: what is below `low` may stay, nothing at or above it goes
              expect(log.start).toBeLessThanOrEqual(low);
              expect(log.start % 1024).toBe(0);
            }
          }
          expect(log.end).toBe(sent.length);
          for (let i = 0; i < sent.length; i++) {
            if (i < log.start) {
              expect(log.message(i)).toBeUndefined();
              expect(log.byteLength(i)).toBe(0);
            } else expectStored(log, i, sent[i]!);
          }
          for (const [i, bytes] of early) expect(bytes.equals(sent[i]!.data)).toBe(true);
          expect(log.message(sent.length)).toBeUndefined();
          if (log.start > 0) trimmedRuns++;
        },
      ),
      { numRuns: 10 },
    );
    expect(trimmedRuns).toBeGreaterThan(0); // the generator does reach trimming
  });

  it("copies the bytes it is given: the sender may reuse its buffer", () => {
    const log = new TopicLog("t", 7);
    const buf = Buffer.from("abc");
    log.append(buf, plain(""));
    buf.write("xyz");
    expect(log.message(0)!.getData().toString()).toBe("abc");
  });

  it("trims whole chunks, the filling one too once all of it is below the mark", () => {
    const log = new TopicLog("t", 7);
    for (let i = 0; i < 2048 + 10; i++) log.append(Buffer.from([i & 255]), plain("k"));
    log.trimBefore(1500);
    expect(log.start).toBe(1024);
    log.trimBefore(2048);
    expect(log.start).toBe(2048);
    log.trimBefore(2058); // the last chunk is not full: kept
    expect(log.start).toBe(2048);
    for (let i = 2058; i < 3072; i++) log.append(Buffer.from([i & 255]), plain("k"));
    log.trimBefore(3072);
    expect(log.start).toBe(3072);
    expect(log.end).toBe(3072);
    expect(log.append(Buffer.from([1]), plain("k"))).toBe(3072);
    expect(log.message(3072)!.getData()[0]).toBe(1);
  });

  it("keeps each entry's Key_Shared slot once set", () => {
    const log = new TopicLog("t", 7);
    for (let i = 0; i < 1500; i++) log.append(Buffer.from([1]), plain("k"));
    expect(log.keySlot(1200)).toBe(-1);
    log.setKeySlot(1200, 4242);
    expect(log.keySlot(1200)).toBe(4242);
    expect(log.keySlot(1199)).toBe(-1);
    expect(log.keySlot(99_999)).toBe(-1);
  });
});
