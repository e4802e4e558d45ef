import { Observable, type Subscriber } from "rxjs";

/**
 * The pipeline's wiring between steps: a synchronous multicast that delivers each item to a
 * snapshot of its subscribers, as an RxJS `Subject` does, without the Subject's per-emission
 * closure and iterator. It never errors or completes (the runtime catches step errors itself).
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
}
