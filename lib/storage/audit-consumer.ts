import { asyncScheduler, type SchedulerLike } from "rxjs";
import { type DeadLetterReason, toDeadLetter } from "../events/index.js";
import type {
  ConsumerLike,
  MessageLike,
  PulsarClientLike,
  SubscriptionType,
} from "../transports/pulsar-client-like.js";
import { type AuditEvent, type AuditValidation, AuditValidationError, validateAuditBatch } from "./audit-rows.js";

/** Where the consumer writes: `PostgresAuditLog` (anything with an idempotent `append`). */
export interface AuditAppender {
  append(events: readonly AuditEvent[]): Promise<number>;
}

export interface AuditConsumerOptions {
  /** Any pulsar-client-like client: the embedded broker's, the WebSocket one, or a native `Pulsar.Client`. */
  readonly client: PulsarClientLike;
  /** Output topics to audit (decisions, dead letters, state updates, analytics). */
  readonly topics: readonly string[];
  readonly log: AuditAppender;
  /** Default `consilium-audit`. */
  readonly subscription?: string;
  /** Default `Shared` (several auditors may split the work: writes are idempotent). */
  readonly subscriptionType?: SubscriptionType;
  /** Messages per transaction; default 500. */
  readonly maxBatch?: number;
  /** Receive timeout while waiting for a batch's first message (also how soon `stop()` is noticed); default 100 ms. */
  readonly pollMs?: number;
  /** Redelivery delay of a negatively acknowledged batch; default 1000 ms (Pulsar's own default is 60 s). */
  readonly nackRedeliverMs?: number;
  /** Pause after a failed write before receiving again; default 500 ms. */
  readonly retryDelayMs?: number;
  /** How much of each message's event is checked; default `full`. */
  readonly validate?: AuditValidation;
  /** Scheduler for the retry pause; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Called with each failed write (the batch was negatively acknowledged). */
  readonly onError?: (error: Error) => void;
}

/** Live counters (updated in place). */
export interface AuditConsumerStats {
  received: number;
  /** Messages acknowledged after their batch committed. */
  acked: number;
  /** Rows the log actually inserted (redeliveries excluded). */
  inserted: number;
  /** Messages that were not audit events, stored as `DeadLetterEvent`s instead. */
  deadLettered: number;
  /** Messages negatively acknowledged because their batch's write failed. */
  nacked: number;
  failedWrites: number;
}

export interface AuditConsumerHandle {
  readonly stats: AuditConsumerStats;
  /** Finish the batch in progress (write + ack), then close the consumer. */
  stop(): Promise<void>;
}

/**
 * Audit consilium's output topics into the log: subscribe, take batches, append them in one
 * transaction, and acknowledge only after the commit; on a failed write, negatively acknowledge the
 * batch so the broker redelivers it (the log's idempotence makes the retry safe). A message that
 * is not a valid audit event is stored as a `DeadLetterEvent` (with its bytes) and acknowledged.
 */
export async function startAuditConsumer(options: AuditConsumerOptions): Promise<AuditConsumerHandle> {
  const consumer = await options.client.subscribe({
    topics: [...options.topics],
    subscription: options.subscription ?? "consilium-audit",
    subscriptionType: options.subscriptionType ?? "Shared",
    subscriptionInitialPosition: "Earliest",
    nAckRedeliverTimeoutMs: options.nackRedeliverMs ?? 1000,
  });
  const stats: AuditConsumerStats = { received: 0, acked: 0, inserted: 0, deadLettered: 0, nacked: 0, failedWrites: 0 };
  const maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 500));
  const pollMs = options.pollMs ?? 100;
  const scheduler = options.scheduler ?? asyncScheduler;
  let stopping = false;

  const failed = async (e: unknown) => {
    options.onError?.(e as Error);
    await pause(scheduler, options.retryDelayMs ?? 500);
  };

  const loop = (async () => {
    while (!stopping) {
      let batch: MessageLike[];
      try {
        const first = await receiveOrNull(consumer, pollMs);
        if (first === null) continue;
        batch = [first];
        while (batch.length < maxBatch) {
          const next = await receiveOrNull(consumer, 1);
          if (next === null) break;
          batch.push(next);
        }
      } catch (e) {
        await failed(e); // the consumer lost its broker: wait, try again
        continue;
      }
      stats.received += batch.length;
      try {
        stats.inserted += await options.log.append(toAuditEvents(batch, options.validate ?? "full", stats));
      } catch (e) {
        stats.failedWrites += 1;
        stats.nacked += batch.length;
        for (const m of batch) consumer.negativeAcknowledge(m);
        await failed(e);
        continue;
      }
      try {
        await Promise.all(batch.map((m) => consumer.acknowledge(m)));
        stats.acked += batch.length;
      } catch (e) {
        await failed(e); // unacked messages come back; their rows are already there (idempotent)
      }
    }
  })();

  return {
    stats,
    async stop() {
      stopping = true;
      try {
        await loop;
      } finally {
        await consumer.close();
      }
    },
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** One audit event per message: the decoded event, or a dead letter carrying the message's bytes. */
function toAuditEvents(batch: readonly MessageLike[], validation: AuditValidation, stats: AuditConsumerStats) {
  const events: AuditEvent[] = [];
  for (const m of batch) {
    const bytes = m.getData();
    const dead = (reason: DeadLetterReason, message: string, issues: { path: string; message: string }[] = []) => {
      stats.deadLettered += 1;
      events.push(
        toDeadLetter({
          bytes,
          sourceTopic: m.getTopicName(),
          reason,
          message,
          issues,
          eventTime: m.getEventTimestamp() || m.getPublishTimestamp(),
          messageId: m.getMessageId().toString(),
          redeliveryCount: m.getRedeliveryCount(),
        }),
      );
    };
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(bytes));
    } catch (e) {
      dead(e instanceof SyntaxError ? "invalid-json" : "undecodable", (e as Error).message);
      continue;
    }
    try {
      events.push(...validateAuditBatch([value], validation));
    } catch (e) {
      if (!(e instanceof AuditValidationError)) throw e;
      dead("schema-violation", e.rejections[0]?.message ?? e.message, [
        { path: "", message: e.rejections[0]?.message ?? e.message },
      ]);
    }
  }
  return events;
}

async function receiveOrNull(consumer: ConsumerLike, timeoutMs: number): Promise<MessageLike | null> {
  try {
    return await consumer.receive(timeoutMs);
  } catch (e) {
    if (/time ?out/i.test((e as Error).message) || (e as { code?: unknown }).code === "TimeOut") return null;
    throw e;
  }
}

function pause(scheduler: SchedulerLike, ms: number): Promise<void> {
  return new Promise((resolve) => {
    scheduler.schedule(resolve, ms);
  });
}
