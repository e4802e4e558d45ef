/**
 * Replay identity: the same inputs, topology version and config give byte-identical decisions
 * across runs, across transports (replay vs. broker) and across worker counts; side inputs are
 * applied in event-time order before records at or after their time.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { NormalizedMarketDataEvent } from "../../lib/events/index.js";
import { outputDigest, type RunHandle, type RunOptions, replay, run } from "../../lib/runtime/index.js";
import type { PulsarBinding } from "../../lib/transports/pulsar-client-like.js";
import { closeAll, publish, readAll, uniquePrefix, workerBindings } from "./runtime-binding.js";
import { asReplay, P, pricedInputs, pricedTopology, transportTimings } from "./runtime-fixtures.js";

// The merge waits this long for a silent source; 300 ms at least, so a worker does not release
// records ahead of a source whose messages are still travelling.
const idleTimeoutMs = Math.max(300, transportTimings().idleTimeoutMs);

let open: PulsarBinding[] = [];
afterEach(async () => {
  await closeAll(open);
  open = [];
});

const inputs = pricedInputs(1200, 9);

function replayDigest(order: "prices-first" | "signals-first" = "prices-first", prefix = "") {
  // Same topics (and so the same topology hash, part of every decision id) as the broker runs.
  const t = pricedTopology(prefix, 16);
  const prices = asReplay(prefix + P.prices, inputs.prices);
  const signals = [...asReplay(prefix + P.signalsA, inputs.a), ...asReplay(prefix + P.signalsB, inputs.b)];
  // Each topic keeps its own order; only the interleaving of topics differs.
  const msgs =
    order === "prices-first"
      ? [...prices, ...signals]
      : [...signals.reverse(), ...prices].sort((x, y) => (x.topic === y.topic ? x.eventTime - y.eventTime : 0));
  const h = run(t, { transport: replay(msgs) });
  return h.done.then((s) => ({
    s,
    h,
    digest: outputDigest(
      h.captured.filter((c) => c.topic === prefix + P.decisions).map((c) => ({ ...c, topic: P.decisions })),
    ),
  }));
}

async function brokerDigest(workers: number, prefix: string, options: Pick<RunOptions, "batchReceive"> = {}) {
  const bindings = await workerBindings(workers);
  open.push(...bindings);
  await publish(bindings[0]!, prefix + P.prices, inputs.prices);
  await publish(bindings[0]!, prefix + P.signalsA, inputs.a);
  await publish(bindings[0]!, prefix + P.signalsB, inputs.b);
  // A small prefetch, so the first worker to subscribe does not take every key's backlog.
  const t = pricedTopology(prefix, 16);
  const handles: RunHandle[] = bindings.map((b, i) =>
    run(t, { transport: b, workerId: `w${i}`, stopWhenIdle: true, idleTimeoutMs, ...options }),
  );
  const sums = await Promise.all(handles.map((h) => h.done));
  const decisions = await readAll(bindings[0]!, prefix + P.decisions);
  return {
    sums,
    decisions,
    digest: outputDigest(decisions.map((d) => ({ ...d, topic: P.decisions }))),
    contentDigest: contentDigest(decisions),
  };
}

/** Digest of decisions without the parts that contain the topology hash (event id, lineage). */
function contentDigest(decisions: readonly { key: string; data: Buffer }[]): string {
  return outputDigest(
    decisions.map((d) => {
      const { eventId: _id, lineage: _l, ...rest } = JSON.parse(d.data.toString("utf8")) as Record<string, unknown>;
      return { topic: P.decisions, key: d.key, data: Buffer.from(JSON.stringify(rest)) };
    }),
  );
}

describe("runtime determinism", () => {
  it("replays byte-identically, whatever order the recording interleaves its topics in", async () => {
    const r1 = await replayDigest();
    const r2 = await replayDigest();
    const r3 = await replayDigest("signals-first");
    expect(r1.s.reason).toBe("end-of-replay");
    expect(r1.s.stats.out.decisions).toBeGreaterThan(1000);
    expect(r2.digest).toBe(r1.digest);
    expect(r3.digest).toBe(r1.digest);
  });

  it("applies side-input updates in event-time order before records at or after their time", async () => {
    const { h } = await replayDigest("signals-first");
    const byInstrument = new Map<string, NormalizedMarketDataEvent[]>();
    for (const p of inputs.prices) byInstrument.set(p.instrumentId, [...(byInstrument.get(p.instrumentId) ?? []), p]);
    let checked = 0;
    for (const out of h.captured.filter((c) => c.topic === P.decisions)) {
      const d = JSON.parse(out.data.toString("utf8")) as {
        instrumentId: string;
        eventTime: number;
        reasonCodes: string[];
      };
      // Brute force: the latest price with time <= the signal's time.
      const expected = byInstrument
        .get(d.instrumentId)!
        .filter((p) => p.eventTime <= d.eventTime)
        .at(-1)!;
      expect(d.reasonCodes[0]).toBe(`price:${expected.price}@${expected.eventTime}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it("gives the same decisions on the broker with one worker and with three, each equal to the replay", async () => {
    // Each broker run on topics of its own (a real broker keeps topics, subscriptions and
    // decisions between runs). Topic names are part of the topology hash and so of decision ids:
    // each run is compared byte for byte with the replay of its own topics, and the runs with
    // each other without the hash-bearing fields.
    const prefix1 = uniquePrefix();
    const prefix3 = uniquePrefix();
    const replayed1 = await replayDigest("prices-first", prefix1);
    const replayed3 = await replayDigest("prices-first", prefix3);
    const one = await brokerDigest(1, prefix1);
    const three = await brokerDigest(3, prefix3);
    expect([...one.sums, ...three.sums].every((s) => s.reason === "idle" && s.error === undefined)).toBe(true);
    // The three workers split the portfolios between them.
    expect(three.sums.filter((s) => (s.stats.out.decisions ?? 0) > 0).length).toBeGreaterThan(1);
    expect(one.decisions.length).toBe(replayed1.s.stats.out.decisions);
    expect(one.digest).toBe(replayed1.digest);
    expect(three.digest).toBe(replayed3.digest);
    expect(three.contentDigest).toBe(one.contentDigest);
    const replayedContent = (r: typeof replayed1, prefix: string) =>
      contentDigest(r.h.captured.filter((c) => c.topic === prefix + P.decisions));
    expect(replayedContent(replayed3, prefix3)).toBe(replayedContent(replayed1, prefix1));
  });

  it("receiving sources in batches (batchReceive) changes nothing: one and three workers equal the replay", async () => {
    const prefix1 = uniquePrefix();
    const prefix3 = uniquePrefix();
    const replayed1 = await replayDigest("prices-first", prefix1);
    const replayed3 = await replayDigest("prices-first", prefix3);
    const batchReceive = { maxNumMessages: 7, timeoutMs: 5 };
    const one = await brokerDigest(1, prefix1, { batchReceive });
    const three = await brokerDigest(3, prefix3, { batchReceive });
    expect([...one.sums, ...three.sums].every((s) => s.reason === "idle" && s.error === undefined)).toBe(true);
    expect(one.decisions.length).toBe(replayed1.s.stats.out.decisions);
    expect(one.digest).toBe(replayed1.digest);
    expect(three.digest).toBe(replayed3.digest);
  });
});
