import type { SchedulerLike, Subscription as RxSubscription } from "rxjs";
import type { MessageLike, ReaderLike } from "../pulsar-client-like.js";
import { EmbeddedPulsarError, RESOLVED_NULL } from "./errors.js";
import { Ring } from "./ring.js";
import type { AppendListener, CursorHolder, Topic } from "./topic.js";

interface Waiter {
  resolve: (m: MessageLike) => void;
  reject: (e: Error) => void;
  timer: RxSubscription | undefined;
  live: boolean;
}

/**
 * A reader (non-durable cursor) with pulsar-client's `Reader` methods. It starts at the first
 * message for `MessageId.earliest()`, after the last published message for `latest()`, and at
 * the message AFTER a given id otherwise (Pulsar's default, `startMessageIdInclusive` false).
 */
export class EmbeddedReader implements ReaderLike, AppendListener, CursorHolder {
  private readonly waiters = new Ring<Waiter>(4);
  private liveWaiters = 0;
  private closed = false;

  constructor(
    private readonly topic: Topic,
    private pos: number,
    private readonly scheduler: SchedulerLike,
    private readonly onClose: (r: EmbeddedReader) => void,
  ) {
    topic.addReader(this);
  }

  get position(): number {
    return this.pos;
  }

  private skipTrimmed(): void {
    if (this.pos < this.topic.start) this.pos = this.topic.start;
  }

  readNext(timeout?: number): Promise<MessageLike> {
    if (this.closed) return Promise.reject(new EmbeddedPulsarError("AlreadyClosed", "Failed to read message"));
    this.skipTrimmed();
    if (this.liveWaiters === 0 && this.pos < this.topic.end) return Promise.resolve(this.topic.at(this.pos++)!);
    return new Promise<MessageLike>((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined, live: true };
      if (timeout !== undefined && timeout > 0) {
        w.timer = this.scheduler.schedule(() => {
          if (!w.live) return;
          w.live = false;
          this.liveWaiters--;
          for (let head = this.waiters.peek(); head !== undefined && !head.live; head = this.waiters.peek()) {
            this.waiters.shift();
          }
          if (this.liveWaiters === 0) this.topic.stopWaiting(this);
          w.reject(new EmbeddedPulsarError("TimeOut", "Failed to read message"));
        }, timeout);
      }
      this.waiters.push(w);
      this.liveWaiters++;
      this.topic.waitForAppend(this);
    });
  }

  onAppend(): void {
    while (this.liveWaiters > 0 && this.pos < this.topic.end) {
      const w = this.waiters.shift()!;
      if (!w.live) continue;
      w.live = false;
      this.liveWaiters--;
      w.timer?.unsubscribe();
      w.resolve(this.topic.at(this.pos++)!);
    }
    if (this.liveWaiters === 0) this.topic.stopWaiting(this);
  }

  hasNext(): boolean {
    this.skipTrimmed();
    return this.pos < this.topic.end;
  }

  isConnected(): boolean {
    return !this.closed;
  }

  close(): Promise<null> {
    if (this.closed) return RESOLVED_NULL;
    this.closed = true;
    this.topic.stopWaiting(this);
    this.topic.removeReader(this);
    for (const w of this.waiters.drain()) {
      if (!w.live) continue;
      w.live = false;
      w.timer?.unsubscribe();
      w.reject(new EmbeddedPulsarError("AlreadyClosed", "Failed to read message"));
    }
    this.liveWaiters = 0;
    this.onClose(this);
    return RESOLVED_NULL;
  }
}
