/**
 * Backpressure (receiving pauses while a sink lags; in-flight work stays bounded) and broker
 * errors (subscribe / create / send failures are retried with backoff; nothing lost, nothing
 * duplicated).
 */
import { afterEach, describe, expect, it } from "vitest";
import { run } from "../../lib/runtime/index.js";
import type {
  ConsumerConfigLike,
  ProducerConfigLike,
  ProducerLike,
  ProducerMessageLike,
  PulsarBinding,
} from "../../lib/transports/pulsar-client-like.js";
import { closeAll, publish, readAll, uniquePrefix, workerBindings } from "./runtime-binding.js";
import { passThroughTopology, signals, T, transportTimings, waitUntil } from "./runtime-fixtures.js";

const timings = transportTimings();

let open: PulsarBinding[] = [];
afterEach(async () => {
  await closeAll(open);
  open = [];
});

/** A binding whose producers for `topic` hold every send until `release()` is called. */
function laggingSink(inner: PulsarBinding, topic: string) {
  const held: (() => void)[] = [];
  let maxHeld = 0;
  const binding: PulsarBinding = {
    MessageId: inner.MessageId,
    client: {
      ...inner.client,
      subscribe: (c: ConsumerConfigLike) => inner.client.subscribe(c),
      createReader: (c) => inner.client.createReader(c),
      close: () => inner.client.close(),
      async createProducer(c: ProducerConfigLike): Promise<ProducerLike> {
        const p = await inner.client.createProducer(c);
        if (c.topic !== topic) return p;
        return Object.assign(Object.create(p) as ProducerLike, {
          send(m: ProducerMessageLike) {
            return new Promise((resolve, reject) => {
              held.push(() => p.send(m).then(resolve, reject));
              maxHeld = Math.max(maxHeld, held.length);
            });
          },
        });
      },
    },
  };
  return {
    binding,
    release: () => {
      for (const f of held.splice(0)) f();
    },
    get held() {
      return held.length;
    },
    get maxHeld() {
      return maxHeld;
    },
  };
}

/** A binding that fails the first `n` subscribes and producer creations and every 97th send once. */
function flaky(inner: PulsarBinding, n: number) {
  let subscribeFailures = 0;
  let createFailures = 0;
  let sends = 0;
  const binding: PulsarBinding = {
    MessageId: inner.MessageId,
    client: {
      subscribe(c) {
        if (subscribeFailures++ < n) return Promise.reject(new Error("broker unavailable"));
        return inner.client.subscribe(c);
      },
      createReader: (c) => inner.client.createReader(c),
      close: () => inner.client.close(),
      async createProducer(c) {
        if (createFailures++ < n) throw new Error("broker unavailable");
        const p = await inner.client.createProducer(c);
        return Object.assign(Object.create(p) as ProducerLike, {
          send(m: ProducerMessageLike) {
            if (++sends % 97 === 0) return Promise.reject(new Error("connection reset"));
            return p.send(m);
          },
        });
      },
    },
  };
  return binding;
}

describe("runtime resilience (e2e)", () => {
  it("stops receiving while a sink lags: in-flight work stays bounded, then everything completes", async () => {
    const [b] = await workerBindings(1);
    open.push(b!);
    const prefix = uniquePrefix();
    const input = signals(3000, 5);
    await publish(b!, prefix + T.signals, input);
    const lag = laggingSink(b!, prefix + T.decisions);
    const maxInFlight = 100;
    const h = run(passThroughTopology({ topicPrefix: prefix }), {
      transport: lag.binding,
      maxInFlight,
      stopWhenIdle: true,
      idleTimeoutMs: timings.idleTimeoutMs,
    });
    // Let it run into the lagging sink: decisions wait there, so their messages stay in flight
    // until the cap pauses receiving; then give the broker time to deliver more, if it would.
    await waitUntil(() => h.stats.inFlight >= maxInFlight, timings.readyTimeoutMs, "the in-flight cap to be reached");
    await new Promise((r) => setTimeout(r, timings.settleMs));
    const receivedWhileLagging = h.stats.in.signals ?? 0;
    expect(receivedWhileLagging).toBeGreaterThan(0);
    expect(receivedWhileLagging).toBeLessThan(input.length);
    // Received messages not yet acked are bounded by the cap (+ the one receive in progress).
    expect(h.stats.inFlight).toBeLessThanOrEqual(maxInFlight + 1);
    expect(receivedWhileLagging).toBeLessThanOrEqual(maxInFlight + 1 + h.stats.acked);
    expect(lag.held).toBeGreaterThan(0);
    // Release the sink from now on.
    const timer = setInterval(() => lag.release(), 1);
    const s = await h.done;
    clearInterval(timer);
    expect(s.error).toBeUndefined();
    expect(lag.maxHeld).toBeLessThanOrEqual(maxInFlight + 1);
    const decisions = await readAll(b!, prefix + T.decisions);
    const rejected = await readAll(b!, prefix + T.rejected);
    expect(decisions.length + rejected.length).toBe(input.length);
  });

  it("retries broker errors with backoff: reconnects counted, no loss, no duplicates", async () => {
    const [b] = await workerBindings(1);
    open.push(b!);
    const prefix = uniquePrefix();
    const input = signals(1500, 5);
    await publish(b!, prefix + T.signals, input);
    const h = run(passThroughTopology({ topicPrefix: prefix }), {
      transport: flaky(b!, 2),
      stopWhenIdle: true,
      idleTimeoutMs: timings.idleTimeoutMs,
      reconnect: { initialDelayMs: 1, maxDelayMs: 10 },
    });
    const s = await h.done;
    expect(s.error).toBeUndefined();
    expect(s.stats.reconnects).toBeGreaterThanOrEqual(4 + Math.floor(input.length / 97) - 2);
    const decisions = await readAll(b!, prefix + T.decisions);
    const rejected = await readAll(b!, prefix + T.rejected);
    const ids = decisions.map((d) => d.json.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(decisions.length + rejected.length).toBe(input.length);
  });
});
