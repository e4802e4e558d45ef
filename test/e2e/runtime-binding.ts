/**
 * Bindings for the runtime's e2e suites, chosen like the contract suite's (CONSILIUM_TRANSPORT):
 * `embedded` (default) gives N clients of ONE in-process broker; other transports give N clients
 * of the same real broker via the contract suite's factory.
 */
import { randomBytes } from "node:crypto";
import { encodeEvent } from "../../lib/events/index.js";
import type { EmbeddedBinding } from "../../lib/transports/embedded/index.js";
import type {
  ConsumerLike,
  MessageLike,
  ProducerLike,
  PulsarBinding,
  PulsarClientLike,
} from "../../lib/transports/pulsar-client-like.js";
import { ReceiveQueue } from "../../lib/transports/websocket/receive-queue.js";
import { makeBinding, transportName } from "../contract/binding.js";

export { transportName };

/** `n` bindings that reach the same broker. Close them with {@link closeAll}. */
export async function workerBindings(n: number): Promise<PulsarBinding[]> {
  const first = await makeBinding();
  const out: PulsarBinding[] = [first];
  for (let i = 1; i < n; i++) {
    out.push(transportName === "embedded" ? (first as EmbeddedBinding).broker.binding() : await makeBinding());
  }
  return out;
}

export async function closeAll(bindings: readonly PulsarBinding[]): Promise<void> {
  for (const b of bindings) await b.client.close().catch(() => null);
}

/** A unique topic prefix (topics are `<prefix>e2e-…`), valid on a real broker. */
export function uniquePrefix(): string {
  return `persistent://public/default/rt-${randomBytes(5).toString("hex")}-`;
}

/** Publish events (JSON) or raw bytes, keyed by their portfolioId. */
export async function publish(b: PulsarBinding, topic: string, items: readonly (object | Buffer)[]): Promise<void> {
  const p = await b.client.createProducer({ topic, blockIfQueueFull: false });
  const sends: Promise<unknown>[] = [];
  for (const it of items) {
    const data = Buffer.isBuffer(it) ? it : encodeEvent(it);
    const key = Buffer.isBuffer(it) ? "bad" : String((it as { portfolioId?: string }).portfolioId ?? "");
    const et = Buffer.isBuffer(it) ? undefined : (it as { eventTime?: number }).eventTime;
    sends.push(p.send({ data, partitionKey: key, ...(et !== undefined ? { eventTimestamp: et } : {}) }));
    if (sends.length >= 500) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);
  await p.flush();
  await p.close();
}

export interface ReadMessage {
  readonly topic: string;
  readonly key: string;
  readonly data: Buffer;
  readonly json: Record<string, unknown> & { eventId: string };
}

/** Everything on a topic, from earliest, in order. */
export async function readAll(b: PulsarBinding, topic: string): Promise<ReadMessage[]> {
  const r = await b.client.createReader({ topic, startMessageId: b.MessageId.earliest() });
  const out: ReadMessage[] = [];
  while (r.hasNext()) {
    const m = await r.readNext();
    const data = m.getData();
    out.push({ topic, key: m.getPartitionKey(), data, json: JSON.parse(data.toString("utf8")) });
  }
  await r.close();
  return out;
}

/**
 * `b` with its consumers on `topic` handing a key's messages over `delayMs` late, once
 * `handover()` was called, for keys they had not received before — as a broker does when a key
 * moves: each topic's consumer gets the key's messages when the old owner's consumer on that topic
 * closes, so one topic's share can trail another's. Other keys' messages pass at once; each key's
 * order is kept.
 */
export function lateHandover(
  b: PulsarBinding,
  topic: string,
  delayMs: number,
): { binding: PulsarBinding; handover(): void } {
  let active = false;
  return {
    binding: wrapConsumers(b, (inner, config) =>
      config.topic === topic ? delayNewKeys(inner, () => active, delayMs) : inner,
    ),
    handover: () => {
      active = true;
    },
  };
}

function delayNewKeys(inner: ConsumerLike, active: () => boolean, delayMs: number): ConsumerLike {
  const seen = new Set<string>();
  const late = new Map<string, MessageLike[]>();
  const queue = new ReceiveQueue<MessageLike>();
  let closed: Error | undefined;
  const close = (e: Error) => {
    closed ??= e;
    queue.failAll(() => closed!);
  };
  void (async () => {
    while (closed === undefined) {
      let m: MessageLike;
      try {
        m = await inner.receive();
      } catch (e) {
        close(e as Error);
        return;
      }
      const key = m.getPartitionKey();
      const queued = late.get(key);
      if (queued) queued.push(m);
      else if (!seen.has(key) && active()) {
        const q = [m];
        late.set(key, q);
        setTimeout(() => {
          late.delete(key);
          seen.add(key);
          for (const x of q) queue.push(x);
        }, delayMs);
      } else {
        seen.add(key);
        queue.push(m);
      }
    }
  })();
  return {
    ...forward(inner),
    receive: () => (closed ? Promise.reject(closed) : queue.take(undefined, () => closed!)),
    close: () => {
      close(new Error("consumer closed"));
      return inner.close();
    },
  };
}

/**
 * `b` with its consumers on `topic` delivering moved keys' messages late, the way a real Pulsar
 * broker did in the real-broker suite after a worker stopped (Key_Shared replays a moved key's
 * messages apart from the rest): a key has moved to a consumer when another consumer of the topic
 * got its messages first, and each of its messages is held back there until `lag` messages of the
 * consumer's own keys have passed it (or nothing arrived for `quietMs`). Each key's order is kept;
 * other topics are not delayed, so a moved key's records on them run ahead of these.
 */
export function laggingMovedKeys(
  b: PulsarBinding,
  topic: string,
  options: { readonly lag: number; readonly quietMs: number },
): PulsarBinding {
  const firstConsumer = new Map<string, ConsumerLike>();
  return wrapConsumers(b, (inner, config) =>
    config.topic === topic ? lagMoved(inner, firstConsumer, options) : inner,
  );
}

function lagMoved(
  inner: ConsumerLike,
  firstConsumer: Map<string, ConsumerLike>,
  { lag, quietMs }: { readonly lag: number; readonly quietMs: number },
): ConsumerLike {
  /** Messages of the consumer's own keys passed on so far. */
  let passed = 0;
  const held: { m: MessageLike; at: number }[] = [];
  const queue = new ReceiveQueue<MessageLike>();
  let closed: Error | undefined;
  const releaseDue = (all: boolean) => {
    while (held.length > 0 && (all || passed - held[0]!.at >= lag)) queue.push(held.shift()!.m);
  };
  void (async () => {
    while (closed === undefined) {
      let m: MessageLike;
      try {
        m = await inner.receive(quietMs);
      } catch (e) {
        if (closed !== undefined) return;
        if (!inner.isConnected()) {
          closed = e as Error;
          queue.failAll(() => closed!);
          return;
        }
        releaseDue(true); // quiet: what is held comes now
        continue;
      }
      const key = m.getPartitionKey();
      if (!firstConsumer.has(key)) firstConsumer.set(key, inner);
      if (firstConsumer.get(key) === inner) {
        passed++;
        queue.push(m);
        releaseDue(false);
      } else held.push({ m, at: passed });
    }
  })();
  return {
    ...forward(inner),
    receive: () => (closed ? Promise.reject(closed) : queue.take(undefined, () => closed!)),
    close: () => {
      closed ??= new Error("consumer closed");
      queue.failAll(() => closed!);
      return inner.close();
    },
  };
}

/**
 * `b` with consumers that lose their last `lost` acknowledgements when they close: each ack is
 * passed on only once `lost` later ones were made, and close drops what is still held. Pulsar's
 * acks are fire-and-forget (no broker answer), so acks sent just before a consumer closes can
 * vanish, and the broker then redelivers messages the worker had finished.
 */
export function lostAcksAtClose(b: PulsarBinding, lost: number): PulsarBinding {
  return wrapConsumers(b, (inner) => {
    const held: MessageLike[] = [];
    return {
      ...forward(inner),
      acknowledge: (m) => {
        held.push(m);
        return held.length > lost ? inner.acknowledge(held.shift()!) : Promise.resolve(null);
      },
      close: () => {
        held.length = 0;
        return inner.close();
      },
    };
  });
}

/**
 * `b` with its consumers on `topic` delivering some messages twice, as a real Pulsar broker did in
 * the real-broker scale-out suite (Key_Shared, no reconnection): every `every`-th message comes
 * again, the same message (same id, redelivery count 0), after `lag` further messages, while the
 * worker still holds the first copy.
 */
export function duplicatedDeliveries(
  b: PulsarBinding,
  topic: string,
  options: { readonly every: number; readonly lag: number },
): PulsarBinding {
  return wrapConsumers(b, (inner, config) => {
    if (config.topic !== topic) return inner;
    let n = 0;
    const again: { m: MessageLike; due: number }[] = [];
    return {
      ...forward(inner),
      receive: async (t) => {
        if (again.length > 0 && again[0]!.due <= n) return again.shift()!.m;
        const m = await inner.receive(t);
        n++;
        if (n % options.every === 0) again.push({ m, due: n + options.lag });
        return m;
      },
    };
  });
}

/** `b` with every consumer it subscribes passed through `wrap`. */
function wrapConsumers(
  b: PulsarBinding,
  wrap: (inner: ConsumerLike, config: Parameters<PulsarClientLike["subscribe"]>[0]) => ConsumerLike,
): PulsarBinding {
  const client: PulsarClientLike = {
    createProducer: (c) => b.client.createProducer(c),
    createReader: (c) => b.client.createReader(c),
    close: () => b.client.close(),
    subscribe: async (config) => wrap(await b.client.subscribe(config), config),
  };
  return { ...b, client, MessageId: b.MessageId };
}

/** `b` with every producer it creates passed through `wrap`. */
export function wrapProducers(
  b: PulsarBinding,
  wrap: (inner: ProducerLike, config: Parameters<PulsarClientLike["createProducer"]>[0]) => ProducerLike,
): PulsarBinding {
  const client: PulsarClientLike = {
    createProducer: async (config) => wrap(await b.client.createProducer(config), config),
    createReader: (c) => b.client.createReader(c),
    close: () => b.client.close(),
    subscribe: (c) => b.client.subscribe(c),
  };
  return { ...b, client, MessageId: b.MessageId };
}

/** A consumer that forwards every call to `inner` (override what a wrapper changes). */
function forward(inner: ConsumerLike): ConsumerLike {
  return {
    receive: (t) => inner.receive(t),
    acknowledge: (m) => inner.acknowledge(m),
    acknowledgeId: (id) => inner.acknowledgeId(id),
    negativeAcknowledge: (m) => inner.negativeAcknowledge(m),
    negativeAcknowledgeId: (id) => inner.negativeAcknowledgeId(id),
    isConnected: () => inner.isConnected(),
    close: () => inner.close(),
  };
}
