import { Observable, type Subscriber } from "rxjs";

/**
 * A synchronous multicast: delivers each item to a snapshot of its subscribers, as an RxJS
 * `Subject` does, without the Subject's per-emission closure (`errorContext`) and array iterator.
 * The runtime wires its steps with it (one item per record or watermark, at every step), and
 * operators can hand it to `connect` as the connector (`connect(selector, { connector: () =>
 * new Fanout() })`). `error` and `complete` reach the current subscribers; it keeps no state
 * about them, so it is for a source that is subscribed once, before it emits (what `connect` does).
 */
export class Fanout<T> extends Observable<T> {
  private subscribers: Subscriber<T>[] = [];

  constructor() {
    super((subscriber) => {
      this.subscribers = [...this.subscribers, subscriber];
      return () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
      };
    });
  }

  next(value: T): void {
    const subs = this.subscribers;
    for (let i = 0; i < subs.length; i++) subs[i]!.next(value);
  }

  error(err: unknown): void {
    for (const s of this.subscribers) s.error(err);
  }

  complete(): void {
    for (const s of this.subscribers) s.complete();
  }
}
