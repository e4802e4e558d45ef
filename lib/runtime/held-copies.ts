import type { MessageLike } from "../transports/pulsar-client-like.js";
import type { AckTracker, Inbound } from "./ack-tracker.js";

/** How many of the newest open messages a possible copy is looked for among. */
export const COPY_SEARCH = 256;

/** A key's latest records received on a source: their event time and event ids. */
interface KeyFront {
  time: number;
  id: string;
  /** Further ids at `time`, when several records of the key share it. */
  more: Set<string> | undefined;
}

/**
 * Recognises, on one source, a message the worker holds already: received and not yet acked or
 * negatively acked. Pulsar delivers at least once, and a real broker's Key_Shared dispatcher was
 * seen sending a run of messages to a consumer a second time (same message ids, redelivery count
 * 0) while the first copies were still open. Processing such a copy would apply its record to keyed
 * state (or a window) a second time — its outputs are dropped as duplicates by the sinks, so only
 * the state shows it, in every later output of its key. The runtime lets the copy ride on the
 * first: its ack or nack stands for both.
 *
 * Cheap on the common path: per key, the latest event time received and the event ids at that
 * time. Only a record that is not after them — a copy, a redelivery, a late record — is looked for
 * among the {@link COPY_SEARCH} newest open messages (same event time, event id, key, source and
 * message id), so a stream whose keys' records often arrive out of order pays a bounded search for
 * them (~4–5 µs with 10,000 open messages), not one over every open message (~250–450 µs). A copy
 * that comes after that many newer open messages, or after the first was acked, is not recognised.
 */
export class HeldCopies {
  private readonly fronts = new Map<string, KeyFront>();

  constructor(
    private readonly source: string,
    private readonly tracker: AckTracker,
  ) {}

  /** The open message `msg` is a copy of, if any; otherwise `msg`'s record is noted as received. */
  originalOf(key: string, id: string, eventTime: number, msg: MessageLike): Inbound | undefined {
    const front = this.fronts.get(key);
    if (front === undefined) {
      this.fronts.set(key, { time: eventTime, id, more: undefined });
      return undefined;
    }
    if (eventTime > front.time) {
      front.time = eventTime;
      front.id = id;
      front.more?.clear();
      return undefined;
    }
    if (eventTime === front.time && id !== front.id && front.more?.has(id) !== true) {
      (front.more ??= new Set()).add(id);
      return undefined;
    }
    let messageId: string | undefined;
    return this.tracker.findNewestOpen(
      COPY_SEARCH,
      eventTime,
      (o) =>
        o.id === id &&
        o.key === key &&
        o.source === this.source &&
        // the same message, not another one with the same event
        o.msg.getMessageId().toString() === (messageId ??= msg.getMessageId().toString()),
    );
  }
}
