/**
 * Side inputs for the portfolio operators: observables whose latest value is read synchronously
 * when a main record arrives.
 *
 * The operator subscribes to every side input when it is itself subscribed (before the main
 * source), keeps the latest value of each, and forwards watermarks and upstream side outputs
 * untouched. The runtime feeds side inputs and main records from one deterministically ordered
 * loop, so "latest" is deterministic. An error on a side input or thrown by the record handler is
 * routed to `error()`.
 */
import { Observable, Subscription } from "rxjs";
import type { Envelope, StreamItem } from "../../lib/stream/item.js";
import type { StreamOperator } from "../../lib/stream/operator.js";

export type SideInputSources = Readonly<Record<string, Observable<unknown> | undefined>>;

/** The latest value of each side input (undefined until the first value arrives). */
export type Latest<S extends SideInputSources> = {
  readonly [K in keyof S]: S[K] extends Observable<infer T> ? T | undefined : undefined;
};

export function withSideInputs<In, Out, S extends SideInputSources>(
  sideInputs: S,
  onRecord: (rec: Envelope<In>, latest: Latest<S>, emit: (item: StreamItem<Out>) => void) => void,
): StreamOperator<In, Out> {
  return (source) =>
    new Observable<StreamItem<Out>>((subscriber) => {
      const latest: Record<string, unknown> = {};
      const subs = new Subscription();
      const emit = (item: StreamItem<Out>): void => subscriber.next(item);
      for (const name of Object.keys(sideInputs).sort()) {
        const input = sideInputs[name];
        if (input === undefined) continue;
        subs.add(
          input.subscribe({
            next: (value) => {
              latest[name] = value;
            },
            error: (err: unknown) => subscriber.error(err),
          }),
        );
      }
      subs.add(
        source.subscribe({
          next: (item) => {
            if (item.kind !== "record") {
              subscriber.next(item);
              return;
            }
            try {
              onRecord(item, latest as Latest<S>, emit);
            } catch (err) {
              subscriber.error(err);
            }
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        }),
      );
      return subs;
    });
}

/** Look up a per-portfolio table entry, falling back to the `"*"` default. */
export function forPortfolio<T>(table: ReadonlyMap<string, T> | undefined, portfolioId: string): T | undefined {
  if (table === undefined) return undefined;
  return table.get(portfolioId) ?? table.get("*");
}
