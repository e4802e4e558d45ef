import type { MessageIdLike, MessageLike, ReaderLike } from "../transports/pulsar-client-like.js";

/** Opens a Reader on the topic after `after` (exclusive), or from the earliest message when undefined. */
export type OpenReader = (after: MessageIdLike | undefined) => Promise<ReaderLike>;

/**
 * Reads a topic (a keyed-state changelog, a sink's topic for de-duplication) up to its end as of
 * the moment `readToEnd()` is called — every message the broker had confirmed by then.
 *
 * A Reader's `hasNext()` is not enough for that once the reader is older than the messages: the
 * WebSocket API has no "has message available" command, so the WebSocket client's `hasNext()`
 * knows the topic's end only as of the reader's creation and otherwise counts what it has buffered
 * locally (which, with a bounded receiver queue, lags the topic by up to the queue's size and by
 * the network). A catch-up that loops `while (hasNext())` on a long-lived reader can then stop
 * far short of the end. So each `readToEnd()` after the first opens a fresh Reader positioned after
 * the last message read (nothing is read twice or skipped) and closes the old one: a new reader's
 * `hasNext()` knows the end as of its creation on every implementation (the native client asks the
 * broker each time, the embedded broker knows, the WebSocket client fetches the last message id).
 */
export class TopicTail {
  private last: MessageIdLike | undefined;
  private fresh = true;

  constructor(
    private reader: ReaderLike,
    private readonly open: OpenReader,
  ) {}

  /** True when the reader knows of messages not read yet (may be false while behind; see the class note). */
  behind(): boolean {
    return this.reader.hasNext();
  }

  /** Hand every message up to the topic's current end, in order, to `apply`. */
  async readToEnd(apply: (m: MessageLike) => void): Promise<void> {
    if (!this.fresh) {
      const old = this.reader;
      this.reader = await this.open(this.last);
      await old.close().catch(() => null);
    }
    this.fresh = false;
    while (this.reader.hasNext()) {
      const m = await this.reader.readNext();
      this.last = m.getMessageId();
      apply(m);
    }
  }

  async close(): Promise<void> {
    await this.reader.close().catch(() => null);
  }
}
