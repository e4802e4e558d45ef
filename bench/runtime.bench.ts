/**
 * The runtime's per-message overhead: decode + validate alone (baseline) against the same
 * messages going through `run()` — consumer → decode/validate → merge → pipeline → sink → ack —
 * on the embedded broker and on a replay. Latency: per message, from hand-off to the pipeline to
 * its ack (the sink has confirmed every output), from the runtime's own measurement.
 */
import { decodeEvent, encodeEvent, TradingSignalEvent, validateEvent } from "../lib/events/index.js";
import { type ReplayMessage, type RunOptions, replay, run } from "../lib/runtime/index.js";
import { defineTopology, type Topology } from "../lib/topology/index.js";
import { EmbeddedBroker } from "../lib/transports/embedded/index.js";
import type { PulsarBinding } from "../lib/transports/pulsar-client-like.js";
import { passThroughTopology, signals, T } from "../test/e2e/runtime-fixtures.js";
import type { BenchCase, BenchContext, BenchSuite } from "./harness/types.js";

const EVENTS = 100_000;
const inputs = signals(EVENTS, 200);
const encoded = inputs.map((s) => encodeEvent(s));

const passThrough = defineTopology({
  name: "bench-pass-through",
  version: "1",
  sources: { signals: { topic: T.signals, schema: "TradingSignalEvent" } },
  steps: {},
  // The source straight to a sink: decode/validate at the edge, no re-validation on the way out.
  sinks: { out: { from: "signals", topic: T.decisions, schema: "TradingSignalEvent", validate: false } },
  deadLetters: { topic: T.dlq },
});

const baseline: BenchCase = {
  name: "decode + validate only",
  events: EVENTS,
  run(ctx: BenchContext) {
    let ok = 0;
    for (let i = 0; i < EVENTS; i++) {
      const t0 = (i & 63) === 0 ? ctx.monotonicNs() : 0;
      if (decodeEvent(TradingSignalEvent, encoded[i]!).ok) ok++;
      if ((i & 63) === 0) ctx.recordLatencyNs(ctx.monotonicNs() - t0);
    }
    if (ok !== EVENTS) throw new Error(`decoded ${ok} of ${EVENTS}`);
  },
};

/** The same work without the compiled fast path (what `decodeEvent` did before it): zod decides everything. */
const utf8 = new TextDecoder("utf-8", { fatal: true });
const zodOnly: BenchCase = {
  name: "decode + validate, zod only (no fast path)",
  events: EVENTS,
  run(ctx: BenchContext) {
    let ok = 0;
    for (let i = 0; i < EVENTS; i++) {
      const t0 = (i & 63) === 0 ? ctx.monotonicNs() : 0;
      if (validateEvent(TradingSignalEvent, JSON.parse(utf8.decode(encoded[i]!))).ok) ok++;
      if ((i & 63) === 0) ctx.recordLatencyNs(ctx.monotonicNs() - t0);
    }
    if (ok !== EVENTS) throw new Error(`decoded ${ok} of ${EVENTS}`);
  },
};

async function runUntilAcked(topology: Topology, options: RunOptions, ctx: BenchContext): Promise<void> {
  // The runtime samples every 8th message's latency (hand-off to ack).
  const h = run(topology, { ...options, onLatency: (ns) => ctx.recordLatencyNs(ns) });
  let ended = false;
  void h.done.then(() => {
    ended = true;
  });
  while (h.stats.acked < EVENTS && !ended) await new Promise((r) => setImmediate(r));
  const s = await h.stop();
  if (s.stats.acked !== EVENTS) throw new Error(`acked ${s.stats.acked} of ${EVENTS}: ${s.error?.message ?? ""}`);
}

function embeddedCase(name: string, topology: () => Topology): BenchCase {
  let binding: PulsarBinding;
  return {
    name,
    events: EVENTS,
    async setup() {
      binding = new EmbeddedBroker().binding();
      const p = await binding.client.createProducer({ topic: T.signals });
      for (let i = 0; i < EVENTS; i++) void p.send({ data: encoded[i]!, partitionKey: inputs[i]!.portfolioId });
      await p.flush();
    },
    run: (ctx) => runUntilAcked(topology(), { transport: binding, maxInFlight: 20_000 }, ctx),
    async teardown() {
      await binding.client.close();
    },
  };
}

const recording: ReplayMessage[] = inputs.map((s, i) => ({
  topic: T.signals,
  data: encoded[i]!,
  key: s.portfolioId,
  eventTime: s.eventTime,
}));

const suite: BenchSuite = {
  name: "runtime",
  description:
    "decode+validate vs. the runtime (consume → pipeline → sink → ack) on the embedded broker and on a replay",
  baseline,
  cases: [
    zodOnly,
    embeddedCase("run(): pass-through, embedded broker", () => passThrough),
    {
      name: "run(): pass-through, replay",
      events: EVENTS,
      run: (ctx) => runUntilAcked(passThrough, { transport: replay(recording), capture: false }, ctx),
    },
    embeddedCase("run(): filter + map + validated sink, embedded", () => passThroughTopology()),
  ],
  goals: { "events/s": 200_000 },
  warmups: 1,
  repetitions: 3,
};

export default suite;
