import { Observable, type Subscriber } from "rxjs";
import type { StreamItem } from "../../lib/stream/item.js";
import type { StreamOperator } from "../../lib/stream/operator.js";

/** Per-subscription state machine of a stream operator. */
export interface ItemHandler<In> {
  next(item: StreamItem<In>): void;
  /** Called when the source completes, before the output completes: flush held state here. */
  complete(): void;
}

/**
 * Build a stream operator from a per-subscription handler, RxJS `operate` style: one source
 * subscription, no inner operator chains, and anything a handler (or a user function it calls)
 * throws is routed to the output's `error()`.
 */
export function streamOperator<In, Out>(
  create: (out: Subscriber<StreamItem<Out>>) => ItemHandler<In>,
): StreamOperator<In, Out> {
  return (source) =>
    new Observable<StreamItem<Out>>((subscriber) => {
      const handler = create(subscriber);
      return source.subscribe({
        next(item) {
          if (subscriber.closed) return;
          try {
            handler.next(item);
          } catch (e) {
            subscriber.error(e);
          }
        },
        error(e) {
          subscriber.error(e);
        },
        complete() {
          if (subscriber.closed) return;
          try {
            handler.complete();
          } catch (e) {
            subscriber.error(e);
            return;
          }
          subscriber.complete();
        },
      });
    });
}
