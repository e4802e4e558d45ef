import type { ConsumerLike, MessageLike, ProducerLike } from "../../lib/transports/pulsar-client-like.js";

/** Receives one message or `undefined` if none arrives within `timeoutMs`. */
export async function tryReceive(consumer: ConsumerLike, timeoutMs: number): Promise<MessageLike | undefined> {
  try {
    return await consumer.receive(timeoutMs);
  } catch {
    return undefined;
  }
}

/** Receives exactly `n` messages (acknowledging them if `ack`), failing after `deadlineMs`. */
export async function receiveN(
  consumer: ConsumerLike,
  n: number,
  options: { ack?: boolean; deadlineMs?: number } = {},
): Promise<MessageLike[]> {
  const out: MessageLike[] = [];
  const deadline = Date.now() + (options.deadlineMs ?? 10_000);
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`received ${out.length} of ${n} messages before the deadline`);
    const m = await tryReceive(consumer, Math.min(left, 1000));
    if (m === undefined) continue;
    out.push(m);
    if (options.ack !== false) await consumer.acknowledge(m);
  }
  return out;
}

/**
 * Receives from several consumers at once until `total` messages arrived in all, acknowledging
 * each; returns what each consumer got, in its receive order.
 */
export async function receiveFromAll(
  consumers: readonly ConsumerLike[],
  total: number,
  deadlineMs = 15_000,
): Promise<MessageLike[][]> {
  const got: MessageLike[][] = consumers.map(() => []);
  let count = 0;
  const deadline = Date.now() + deadlineMs;
  await Promise.all(
    consumers.map(async (c, i) => {
      while (count < total && Date.now() < deadline) {
        const m = await tryReceive(c, 200);
        if (m === undefined) continue;
        got[i]!.push(m);
        count++;
        await c.acknowledge(m);
      }
    }),
  );
  if (count !== total) throw new Error(`received ${count} of ${total} messages before the deadline`);
  return got;
}

/** Sends `n` messages `${prefix}-${i}` (awaiting each), with optional per-message extras. */
export async function sendN(
  producer: ProducerLike,
  n: number,
  prefix: string,
  extra: (i: number) => { partitionKey?: string; properties?: Record<string, string> } = () => ({}),
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = await producer.send({ data: Buffer.from(`${prefix}-${i}`), ...extra(i) });
    ids.push(id.toString());
  }
  return ids;
}

export function texts(ms: readonly MessageLike[]): string[] {
  return ms.map((m) => m.getData().toString());
}
