import { map, Observable } from "rxjs";
import { describe, expect, it } from "vitest";
import { DeadLetterEvent, encodeEvent, type TradingSignalEvent } from "../events/index.js";
import { describeOperator, type StreamItem, type StreamOperator } from "../stream/index.js";
import { defineTopology } from "../topology/define-topology.js";
import type { MessageLike, PulsarBinding } from "../transports/pulsar-client-like.js";
import { createReplayBinding, replay } from "./replay-binding.js";
import { run } from "./run.js";
import type { ReplayMessage } from "./types.js";

function sig(n: number, pf: string, t: number): TradingSignalEvent {
  return {
    eventType: "TradingSignal",
    eventId: `s${n}`,
    eventTime: t,
    schemaVersion: 1,
    portfolioId: pf,
    instrumentId: "AAPL",
    source: "unit",
    strategy: "x",
    direction: "long",
    strength: 0.5,
    confidence: 0.5,
    horizonMs: 1000,
    expectedReturn: 0.01,
    urgency: "normal",
  };
}

const rec = (events: TradingSignalEvent[]): ReplayMessage[] =>
  events.map((e) => ({ topic: "in", data: encodeEvent(e), key: e.portfolioId, eventTime: e.eventTime }));

/** Holds every record until the watermark passes it (a minimal stateful operator, retention 100 ms). */
const holdUntilWatermark: StreamOperator<TradingSignalEvent, TradingSignalEvent> = describeOperator(
  (source: Observable<StreamItem<TradingSignalEvent>>) =>
    new Observable<StreamItem<TradingSignalEvent>>((out) => {
      const held: StreamItem<TradingSignalEvent>[] = [];
      return source.subscribe({
        next(item) {
          if (item.kind === "record") held.push(item);
          else if (item.kind === "watermark") {
            for (let i = 0; i < held.length; ) {
              const r = held[i]!;
              if (r.kind === "record" && r.eventTime + 100 <= item.time) {
                out.next(r);
                held.splice(i, 1);
              } else i++;
            }
            out.next(item);
          } else out.next(item);
        },
        error: (e) => out.error(e),
        complete: () => out.complete(),
      });
    }),
  { operatorName: "holdUntilWatermark", retentionMs: 100 },
);

function topology(step: StreamOperator<TradingSignalEvent, TradingSignalEvent>) {
  return defineTopology({
    name: "unit",
    version: "1",
    sources: { s: { topic: "in", schema: "TradingSignalEvent", subscription: { maxRedeliverCount: 1 } } },
    steps: { x: { from: "s", use: step } },
    sinks: { out: { from: "x", topic: "out", schema: "TradingSignalEvent" } },
    deadLetters: { topic: "dlq" },
  });
}

/** A replay binding that records, for each ack, the message's event time and the run's watermark. */
function ackRecording(messages: ReplayMessage[], watermark: () => number) {
  const inner = createReplayBinding(messages);
  const acks: { eventTime: number; watermark: number }[] = [];
  const binding: PulsarBinding = {
    MessageId: inner.MessageId,
    client: {
      ...inner.client,
      createProducer: (c) => inner.client.createProducer(c),
      createReader: (c) => inner.client.createReader(c),
      close: () => inner.client.close(),
      async subscribe(c) {
        const consumer = await inner.client.subscribe(c);
        const ack = consumer.acknowledge.bind(consumer);
        consumer.acknowledge = (m: MessageLike) => {
          acks.push({ eventTime: m.getEventTimestamp(), watermark: watermark() });
          return ack(m);
        };
        return consumer;
      },
    },
  };
  return { binding, acks, written: inner.written };
}

describe("run (replay transport)", () => {
  it("acks a message held by a stateful operator only once the watermark passed eventTime + retention", async () => {
    const events = Array.from({ length: 40 }, (_, i) => sig(i, `p${i % 3}`, 1000 + i * 20));
    let handle: ReturnType<typeof run> | undefined;
    const r = ackRecording(rec(events), () => handle?.stats.watermark ?? Number.NEGATIVE_INFINITY);
    handle = run(topology(holdUntilWatermark), {
      transport: r.binding,
      stopWhenIdle: true,
      idleTimeoutMs: 20,
      config: { watermarkIntervalMs: 1 },
    });
    const s = await handle.done;
    expect(s.stats.acked).toBe(40);
    expect(r.written.get("out")).toHaveLength(40);
    expect(r.acks).toHaveLength(40);
    // Acked before the final watermark: only after the retention had passed.
    const early = r.acks.filter((a) => a.watermark < Number.MAX_SAFE_INTEGER);
    expect(early.length).toBeGreaterThan(20);
    for (const a of early) expect(a.watermark).toBeGreaterThanOrEqual(a.eventTime + 100);
  });

  it("survives an operator that errors the stream: the culprit is retried then dead-lettered, the rest flows", async () => {
    const boom: StreamOperator<TradingSignalEvent, TradingSignalEvent> = (src) =>
      src.pipe(
        map((item) => {
          if (item.kind === "record" && item.value.eventId === "s7") throw new Error("s7 breaks the operator");
          return item;
        }),
      );
    const events = Array.from({ length: 20 }, (_, i) => sig(i, `p${i % 4}`, 1000 + i));
    const h = run(topology(boom), { transport: replay(rec(events)) });
    const s = await h.done;
    expect(s.error).toBeUndefined();
    const out = h.captured.filter((c) => c.topic === "out").map((c) => c.eventId);
    const dl = h.captured
      .filter((c) => c.topic === "dlq")
      .map((c) => DeadLetterEvent.parse(JSON.parse(c.data.toString())));
    expect(new Set(out)).toEqual(new Set(events.map((e) => e.eventId).filter((id) => id !== "s7")));
    expect(out).toHaveLength(19); // outputs written before a reset are not written twice
    expect(dl).toHaveLength(1);
    expect(dl[0]!.reason).toBe("operator-failure");
    expect(dl[0]!.message).toContain("s7 breaks the operator");
  });
});

describe("run (replay): virtual time", () => {
  it("advances the step scheduler to each watermark, so step timers fire in event time", async () => {
    const fired: number[] = [];
    const events = Array.from({ length: 5 }, (_, i) => sig(i, "p", 10_000 + i * 1000));
    const t = defineTopology({
      name: "timers",
      version: "1",
      sources: { s: { topic: "in", schema: "TradingSignalEvent" } },
      steps: {
        x: {
          from: "s",
          build: (ctx) => (src) =>
            new Observable<StreamItem<unknown>>((out) => {
              // A timer 2500 ms (virtual) after the first record.
              let armed = false;
              let seen = 0;
              return src.subscribe({
                next(item) {
                  if (item.kind === "record") seen++;
                  if (item.kind === "record" && !armed) {
                    armed = true;
                    ctx.scheduler.schedule(() => fired.push(ctx.scheduler.now(), seen), item.eventTime + 2500);
                  }
                  out.next(item);
                },
              });
            }),
        },
      },
      sinks: { out: { from: "x", topic: "out", schema: "TradingSignalEvent" } },
      deadLetters: { topic: "dlq" },
    });
    const h = run(t, { transport: replay(rec(events)), config: {} });
    await h.done;
    // Due at virtual time 12 500: fires when the watermark passes it (before the record at
    // 13 000 is pushed, after those at 10 000, 11 000, 12 000) — not at the end of the replay.
    expect(fired).toEqual([12_500, 3]);
  });
});

describe("run (replay): sink de-duplication memory", () => {
  it("forgets written ids older than the horizon, but still drops duplicates within it", async () => {
    // Two copies of each event, the second 50 ms (event time) later; 200 events 1 s apart.
    const events: TradingSignalEvent[] = [];
    for (let i = 0; i < 200; i++) events.push(sig(i, `p${i % 5}`, 100_000 + i * 1000));
    const copies = events.map((e) => ({ ...e, eventTime: e.eventTime + 50 }));
    const all = [...events, ...copies].sort((a, b) => a.eventTime - b.eventTime);
    const h = run(
      topology((s) => s),
      { transport: replay(rec(all)), dedupHorizonMs: 10_000 },
    );
    const s = await h.done;
    expect(s.stats.out.out).toBe(200);
    expect(s.stats.duplicatesDropped.out).toBe(200);
  });
});

describe("run: window-output latency", () => {
  it("times every sink output a watermark push writes, and nothing that a record push or a deferred sink writes", async () => {
    const events = Array.from({ length: 40 }, (_, i) => sig(i, `p${i % 3}`, 1000 + i * 20));
    const t = defineTopology({
      name: "window-latency",
      version: "1",
      sources: { s: { topic: "in", schema: "TradingSignalEvent" } },
      steps: { held: { from: "s", use: holdUntilWatermark } },
      sinks: {
        // written when a watermark releases them: window outputs
        released: { from: "held", topic: "released", schema: "TradingSignalEvent" },
        // written as each record is pushed: not window outputs
        direct: { from: "s", topic: "direct", schema: "TradingSignalEvent" },
        // released by watermarks too, but written after the push, in a task of its own
        later: { from: "held", topic: "later", schema: "TradingSignalEvent", deferred: true },
      },
      deadLetters: { topic: "dlq" },
    });
    for (const transport of ["replay", "live"] as const) {
      const samples: number[] = [];
      const h = run(t, {
        transport: transport === "replay" ? replay(rec(events)) : createReplayBinding(rec(events)),
        ...(transport === "live" ? { stopWhenIdle: true, idleTimeoutMs: 20 } : {}),
        config: { watermarkIntervalMs: 1 },
        onWindowLatency: (ns) => samples.push(ns),
      });
      const s = await h.done;
      expect(s.stats.out, transport).toEqual({ released: 40, direct: 40, later: 40 });
      expect(s.stats.windowLatency.count, transport).toBe(40);
      expect(samples, transport).toHaveLength(40);
      for (const ns of samples) {
        expect(Number.isFinite(ns)).toBe(true);
        expect(ns).toBeGreaterThanOrEqual(0);
      }
      expect(s.stats.windowLatency.max(), transport).toBeGreaterThan(0);
      expect(s.stats.windowLatency.p50(), transport).toBeLessThanOrEqual(s.stats.windowLatency.p99());
    }
  });
});
