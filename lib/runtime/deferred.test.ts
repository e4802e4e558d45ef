import fc from "fast-check";
import { map, Observable, Subject } from "rxjs";
import { describe, expect, it } from "vitest";
import { DeadLetterEvent, encodeEvent, type TradingSignalEvent } from "../events/index.js";
import { describeOperator, type StreamItem, type StreamOperator } from "../stream/index.js";
import { defineTopology } from "../topology/define-topology.js";
import { filterRecords } from "../topology/filter-records.js";
import { embeddedBinding } from "../transports/embedded/index.js";
import type { MessageLike, PulsarBinding } from "../transports/pulsar-client-like.js";
import { DeferredWork, deferredSteps } from "./deferred.js";
import { outputDigest } from "./digest.js";
import { signal } from "../../test/e2e/runtime-fixtures.js";
import { waitUntil } from "../../test/fixtures/wait-until.js";
import { replay } from "./replay-binding.js";
import { run } from "./run.js";
import type { RunHandle } from "./types.js";
import type { Topology } from "../topology/types.js";

describe("deferredSteps", () => {
  const op = map((x: unknown) => x) as never;
  it("defers a step when every consumer is deferred and it reads no side input or state", () => {
    const t = {
      order: ["a", "b", "c", "d", "e", "f"],
      steps: {
        a: { from: "src", use: op }, // feeds c (not deferred: it feeds a live sink) and d
        b: { from: "a", use: op }, // only the deferred sink `audit`
        c: { from: "a", use: op }, // the live sink and b's sink
        d: { from: "b", use: op, sideInputs: ["prices"] }, // reads a side input: never deferred
        e: { from: "b", use: op }, // feeds f, which is deferred
        f: { from: "e", use: op, state: [] as string[] },
      },
      sinks: {
        live: { from: "c", topic: "t1", schema: "TradingSignalEvent" },
        audit: { from: ["b", "c"], topic: "t2", schema: "TradingSignalEvent", deferred: true },
        dAudit: { from: "d", topic: "t3", schema: "TradingSignalEvent", deferred: true },
        fAudit: { from: "f", topic: "t4", schema: "TradingSignalEvent", deferred: true },
      },
    };
    // b: consumers audit (deferred), d (not deferred: side input), e (deferred) -> not deferred.
    expect([...deferredSteps(t as never)].sort()).toEqual(["e", "f"]);
    const noD = { ...t, steps: { ...t.steps, d: { from: "b", use: op } } };
    expect([...deferredSteps(noD as never)].sort()).toEqual(["b", "d", "e", "f"]);
    // A step with no consumer is not deferred.
    expect(deferredSteps({ order: ["a"], steps: { a: { from: "src", use: op } }, sinks: {} } as never).size).toBe(0);
  });
});

describe("DeferredWork", () => {
  it("property: runs every task once, in the order queued, including tasks queued while running", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(3), { maxLength: 40 }), (spawns) => {
        const w = new DeferredWork(undefined);
        const ran: number[] = [];
        let next = 0;
        const task = (id: number, spawn: number) => () => {
          ran.push(id);
          for (let k = 0; k < spawn && next < spawns.length; k++) {
            const child = next++;
            w.add(task(child, spawns[child]!));
          }
        };
        if (spawns.length > 0) w.add(task(next++, spawns[0]!));
        w.run();
        expect(w.size).toBe(0);
        expect(ran).toEqual([...ran].sort((a, b) => a - b)); // FIFO: ids are handed out in queue order
        expect(new Set(ran).size).toBe(ran.length);
      }),
    );
  });

  it("property: later() with coalesce keeps every record's place and latest watermark; with drop, skips", () => {
    type It = { kind: "record"; n: number } | { kind: "watermark"; time: number };
    const isWm = (i: It) => i.kind === "watermark";
    fc.assert(
      fc.property(
        // each step: a record, a watermark, or the end of a turn (the queued work runs)
        fc.array(fc.constantFrom("r", "w", "turn"), { maxLength: 60 }),
        (steps) => {
          const scheduled: (() => void)[] = [];
          const w = new DeferredWork((t) => scheduled.push(t));
          const src = new Subject<It>();
          const coalesced: It[] = [];
          const dropped: It[] = [];
          w.later(src, undefined, { coalesce: isWm }).subscribe((x) => coalesced.push(x));
          w.later(src, undefined, { drop: isWm }).subscribe((x) => dropped.push(x));
          const input: It[] = [];
          let wmsInTurn = 0;
          let maxRun = 0; // longest run of watermarks queued in one turn with nothing between
          let t = 0;
          let n = 0;
          for (const s of steps) {
            if (s === "turn") {
              for (const f of scheduled.splice(0)) f();
              wmsInTurn = 0;
              continue;
            }
            const item: It = s === "r" ? { kind: "record", n: n++ } : { kind: "watermark", time: ++t };
            wmsInTurn = s === "w" ? wmsInTurn + 1 : 0;
            maxRun = Math.max(maxRun, wmsInTurn);
            input.push(item);
            src.next(item);
          }
          for (const f of scheduled.splice(0)) f();
          const records = input.filter((i) => !isWm(i));
          expect(dropped).toEqual(records);
          expect(coalesced.filter((i) => !isWm(i))).toEqual(records);
          // Each record, and the end, comes after the same latest watermark as in the input.
          const latestBefore = (xs: It[]) => {
            const out: number[] = [];
            let latest = 0;
            for (const x of xs) {
              if (x.kind === "watermark") latest = x.time;
              else out.push(latest);
            }
            out.push(latest);
            return out;
          };
          expect(latestBefore(coalesced)).toEqual(latestBefore(input));
          // Watermarks delivered are input watermarks, in order; runs within a turn became one.
          const times = coalesced.flatMap((x) => (x.kind === "watermark" ? [x.time] : []));
          expect(times).toEqual([...new Set(times)].sort((a, b) => a - b));
          if (maxRun > 1) expect(times.length).toBeLessThan(input.filter(isWm).length);
          else expect(times.length).toBe(input.filter(isWm).length);
        },
      ),
    );
  });

  it("asks for one task per batch of work, and later() delivers items in order after the turn", () => {
    const scheduled: (() => void)[] = [];
    const w = new DeferredWork((t) => scheduled.push(t));
    const src = new Subject<number>();
    const got: number[] = [];
    w.later(src).subscribe((x) => got.push(x));
    src.next(1);
    src.next(2);
    expect(got).toEqual([]);
    expect(scheduled).toHaveLength(1);
    scheduled[0]!();
    expect(got).toEqual([1, 2]);
    src.next(3);
    expect(scheduled).toHaveLength(2);
    scheduled[1]!();
    expect(got).toEqual([1, 2, 3]);
  });
});

// ---- the runtime: a live sink and a deferred one fed by the same windowed step ---------------

/** Emits each record once the watermark passed its event time + 100 (retention 100 ms). */
const held: StreamOperator<TradingSignalEvent, TradingSignalEvent> = describeOperator(
  (source: Observable<StreamItem<TradingSignalEvent>>) =>
    new Observable<StreamItem<TradingSignalEvent>>((out) => {
      const waiting: StreamItem<TradingSignalEvent>[] = [];
      let wm = Number.NEGATIVE_INFINITY;
      return source.subscribe({
        next(item) {
          if (item.kind === "record") {
            if (item.eventTime + 100 <= wm) out.next(item);
            else waiting.push(item);
          } else if (item.kind === "watermark") {
            wm = item.time;
            while (waiting.length > 0 && waiting[0]!.kind === "record" && waiting[0]!.eventTime + 100 <= item.time) {
              out.next(waiting.shift()!);
            }
            out.next(item);
          } else out.next(item);
        },
        error: (e) => out.error(e),
      });
    }),
  { operatorName: "held", retentionMs: 100 },
);

/** The audit copy of a record: another event id, so the two topics differ. */
const auditCopy: StreamOperator<TradingSignalEvent, TradingSignalEvent> = map((item) =>
  item.kind === "record" ? { ...item, value: { ...item.value, eventId: `audit-${item.value.eventId}` } } : item,
);

function twoSinks(deferAudit: boolean, audit: StreamOperator<TradingSignalEvent, TradingSignalEvent> = auditCopy) {
  return defineTopology({
    name: "deferred-unit",
    version: "1",
    sources: { s: { topic: "in", schema: "TradingSignalEvent", subscription: { maxRedeliverCount: 1 } } },
    steps: { x: { from: "s", use: held }, y: { from: "x", use: audit } },
    sinks: {
      live: { from: "x", topic: "live", schema: "TradingSignalEvent" },
      audit: { from: "y", topic: "audit", schema: "TradingSignalEvent", deferred: deferAudit },
    },
    deadLetters: { topic: "dlq" },
  });
}

/** An embedded binding that logs sends (by topic and event id) and acks (by event time) in one sequence. */
function logging() {
  const inner = embeddedBinding();
  const log: string[] = [];
  const binding: PulsarBinding = {
    MessageId: inner.MessageId,
    client: {
      ...inner.client,
      createReader: (c) => inner.client.createReader(c),
      close: () => inner.client.close(),
      async createProducer(c) {
        const p = await inner.client.createProducer(c);
        const send = p.send.bind(p);
        p.send = (m) => {
          const id = m.properties?.["consilium-event-id"] ?? "";
          log.push(`send ${c.topic} ${id}`);
          return send(m).then((r) => {
            log.push(`sent ${c.topic} ${id}`);
            return r;
          });
        };
        return p;
      },
      async subscribe(c) {
        const consumer = await inner.client.subscribe(c);
        const ack = consumer.acknowledge.bind(consumer);
        consumer.acknowledge = (m: MessageLike) => {
          log.push(`ack ${JSON.parse(m.getData().toString()).eventId}`);
          return ack(m);
        };
        return consumer;
      },
    },
  };
  return { binding, inner, log };
}

/** `captured`'s outputs on `topics` equal those of `topology` replaying `events` (same digest per topic). */
async function expectReplayOutputs(
  captured: RunHandle["captured"],
  topology: Topology,
  events: readonly TradingSignalEvent[],
  topics: readonly string[],
) {
  const ref = run(topology, {
    transport: replay(
      events.map((e) => ({ topic: "in", data: encodeEvent(e), key: e.portfolioId, eventTime: e.eventTime })),
    ),
    config: { watermarkIntervalMs: 1 },
  });
  await ref.done;
  for (const topic of topics) expect(outputDigest(captured, [topic])).toBe(outputDigest(ref.captured, [topic]));
}

async function publishAll(b: PulsarBinding, events: readonly TradingSignalEvent[]) {
  const p = await b.client.createProducer({ topic: "in" });
  for (const e of events)
    void p.send({ data: encodeEvent(e), partitionKey: e.portfolioId, eventTimestamp: e.eventTime });
  await p.flush();
  await p.close();
}

describe("run: deferred sinks", () => {
  const events = Array.from({ length: 60 }, (_, i) => signal(i, `p${i % 3}`, 1000 + i * 40));

  it("writes a window's live outputs before its deferred ones, acks after both, and the same bytes", async () => {
    const { binding, log } = logging();
    await publishAll(binding, events);
    const h = run(twoSinks(true), {
      transport: binding,
      capture: true,
      stopWhenIdle: true,
      idleTimeoutMs: 20,
      config: { watermarkIntervalMs: 1 },
    });
    const s = await h.done;
    await binding.client.close();
    expect(s.stats.acked).toBe(events.length);

    // Every output and every ack is there.
    const sends = log.filter((l) => l.startsWith("send "));
    expect(sends.filter((l) => l.startsWith("send live "))).toHaveLength(60);
    expect(sends.filter((l) => l.startsWith("send audit "))).toHaveLength(60);
    // Within each burst of sends (a watermark's), every live send comes before the audit sends.
    let sawAudit = false;
    for (const l of log) {
      if (l.startsWith("send live ")) expect(sawAudit).toBe(false);
      else if (l.startsWith("send audit ")) sawAudit = true;
      else if (l.startsWith("ack ")) sawAudit = false; // acks come in a later task than the writes they wait for
    }
    // Each input's ack comes after both of its outputs were confirmed.
    for (const e of events) {
      const ack = log.indexOf(`ack ${e.eventId}`);
      expect(ack).toBeGreaterThan(log.indexOf(`sent live ${e.eventId}`));
      expect(ack).toBeGreaterThan(log.indexOf(`sent audit audit-${e.eventId}`));
    }
    // Deferring changes when, not what: byte-identical to the same topology without it (replay).
    await expectReplayOutputs(h.captured, twoSinks(false), events, ["live", "audit"]);
  });

  it("a deferred step that fails gets its record's inputs retried, then dead-lettered; the rest are redone", async () => {
    const boom: StreamOperator<TradingSignalEvent, TradingSignalEvent> = map((item) => {
      if (item.kind === "record" && item.value.eventId === "sig-7") throw new Error("s7 breaks the audit");
      return item;
    });
    const binding = embeddedBinding();
    // A last signal far ahead moves the watermark past every other one (it stays held itself).
    await publishAll(binding, [...events, signal(60, "p0", 100_000)]);
    const h = run(twoSinks(true, boom), {
      transport: binding,
      capture: true,
      idleTimeoutMs: 20,
      config: { watermarkIntervalMs: 1 },
    });
    await waitUntil(() => h.stats.acked >= events.length, 20_000, "every signal but the last acked or dead-lettered");
    const s = await h.stop();
    await binding.client.close();
    expect(s.error).toBeUndefined();
    expect(s.stats.nacked).toBeGreaterThan(0); // s7 once, and what was open when the pipeline was reset
    const dl = h.captured
      .filter((c) => c.topic === "dlq")
      .map((c) => DeadLetterEvent.parse(JSON.parse(c.data.toString())));
    expect(dl.map((d) => d.reason)).toEqual(["operator-failure"]);
    expect(dl[0]!.message).toContain("s7 breaks the audit");
    expect(dl[0]!.redeliveryCount).toBe(1);
    const ids = (topic: string) => h.captured.filter((c) => c.topic === topic).map((c) => c.eventId);
    const expected = events.map((e) => e.eventId).filter((id) => id !== "sig-7");
    expect(new Set(ids("audit"))).toEqual(new Set(expected));
    expect(ids("audit")).toHaveLength(expected.length); // redone records are not written twice
    expect(new Set(ids("live"))).toEqual(new Set(events.map((e) => e.eventId)));
  });

  it("replay: a step failing on what a window released (deferred or not) dead-letters its culprit, acks the rest with their outputs", async () => {
    // The failure comes at a watermark, so everything open is reset and redelivered. (The live
    // test above is the one that needs the rebuilt pipeline to start at the current watermark.)
    for (const deferAudit of [false, true]) {
      const boom: StreamOperator<TradingSignalEvent, TradingSignalEvent> = map((item) => {
        if (item.kind === "record" && item.value.eventId === "sig-7") throw new Error("s7 breaks the audit");
        return item;
      });
      const h = run(twoSinks(deferAudit, boom), {
        transport: replay(
          events.map((e) => ({ topic: "in", data: encodeEvent(e), key: e.portfolioId, eventTime: e.eventTime })),
        ),
        config: { watermarkIntervalMs: 1 },
      });
      const s = await h.done;
      expect(s.stats.acked).toBe(events.length);
      expect(s.stats.inFlight).toBe(0);
      expect(s.stats.deadLettered).toEqual({ "operator-failure": 1 });
      const audited = h.captured.filter((c) => c.topic === "audit").map((c) => c.eventId);
      expect(new Set(audited)).toEqual(new Set(events.map((e) => e.eventId).filter((id) => id !== "sig-7")));
      expect(audited).toHaveLength(events.length - 1);
    }
  });
});

// ---- deferred side outputs: a step sets half its records aside, routed with `deferred` --------

/** Odd-numbered signals become side outputs tagged `odd`; the route is deferred or not. */
function splitOdd(deferOdd: boolean) {
  return defineTopology({
    name: "deferred-side-unit",
    version: "1",
    sources: { s: { topic: "in", schema: "TradingSignalEvent", subscription: { maxRedeliverCount: 1 } } },
    steps: {
      x: { from: "s", use: held },
      split: {
        from: "x",
        use: filterRecords((v: TradingSignalEvent) => Number(v.eventId.slice(4)) % 2 === 0, "odd", "odd"),
      },
    },
    sinks: { live: { from: "split", topic: "live", schema: "TradingSignalEvent" } },
    sideOutputs: { odd: { topic: "odds", deferred: deferOdd } },
    deadLetters: { topic: "dlq" },
  });
}

describe("run: deferred side outputs", () => {
  const events = Array.from({ length: 60 }, (_, i) => signal(i, `p${i % 3}`, 1000 + i * 40));

  /** Runs the split on the embedded broker; whether a live send followed a side-output send in one turn. */
  async function liveRun(deferOdd: boolean) {
    const { binding, log } = logging();
    await publishAll(binding, events);
    const h = run(splitOdd(deferOdd), {
      transport: binding,
      capture: true,
      stopWhenIdle: true,
      idleTimeoutMs: 20,
      config: { watermarkIntervalMs: 1 },
      maxInFlight: 64,
      batchReceive: { maxNumMessages: 16, timeoutMs: 1 },
    });
    const s = await h.done;
    await binding.client.close();
    let sawOdd = false;
    let liveAfterOdd = false;
    for (const l of log) {
      if (l.startsWith("send live ")) liveAfterOdd ||= sawOdd;
      else if (l.startsWith("send odds ")) sawOdd = true;
      else if (l.startsWith("ack ")) sawOdd = false; // acks come in a later task than the writes they wait for
    }
    return { h, s, log, liveAfterOdd };
  }

  it("writes them after the turn's other outputs, acks after them, and the same bytes", async () => {
    // Not deferred, the side outputs go out between the live outputs of the same turn...
    expect((await liveRun(false)).liveAfterOdd).toBe(true);
    // ...deferred, after all of them.
    const { h, s, log, liveAfterOdd } = await liveRun(true);
    expect(liveAfterOdd).toBe(false);
    expect(s.stats.acked).toBe(events.length);
    expect(s.stats.sideOutputs).toEqual({ odd: 30 });
    for (const e of events) {
      const ack = log.indexOf(`ack ${e.eventId}`);
      const odd = Number(e.eventId.slice(4)) % 2 === 1;
      expect(ack).toBeGreaterThan(-1);
      // A side output's event id is a digest of its record's ids: found through what was written.
      const out = odd
        ? h.captured.find((c) => c.topic === "odds" && JSON.parse(c.data.toString()).value.eventId === e.eventId)
        : h.captured.find((c) => c.topic === "live" && c.eventId === e.eventId);
      expect(out).toBeDefined();
      expect(ack).toBeGreaterThan(log.indexOf(`sent ${odd ? "odds" : "live"} ${out!.eventId}`));
      expect(log.indexOf(`sent ${odd ? "odds" : "live"} ${out!.eventId}`)).toBeGreaterThan(-1);
    }
    // Deferring changes when, not what: byte-identical to the same topology without it (replay).
    await expectReplayOutputs(h.captured, splitOdd(false), events, ["live", "odds"]);
  });
});
