import type { Observable } from "rxjs";
import { Observable as Obs } from "rxjs";
import type { StreamItem } from "../stream/item.js";
import { describeOperator, type DescribedOperator } from "../stream/operator.js";
import { FAILED_TAG } from "./types.js";

/**
 * Wrap a plain function as a step: each record's value is mapped with `fn` (event time, key and
 * lineage kept); watermarks and side outputs pass through. If `fn` throws, the record becomes a
 * side output tagged {@link FAILED_TAG} (reason: the error message) — the runtime negative-acks
 * its input messages and dead-letters them after `maxRedeliverCount` — and the stream goes on.
 *
 * ```
 * source:  --a--W--b--c--|      (W = watermark, fn(c) throws)
 * map(fn): --A--W--B--x--|      (x = side output "failed")
 * ```
 */
export function mapRecords<In, Out>(
  fn: (value: In, key: string, eventTime: number) => Out,
  name = fn.name || "map",
): DescribedOperator<In, Out> {
  return describeOperator(
    (source: Observable<StreamItem<In>>) =>
      new Obs<StreamItem<Out>>((sub) =>
        source.subscribe({
          next(item) {
            if (item.kind !== "record") {
              sub.next(item);
              return;
            }
            let out: Out;
            try {
              out = fn(item.value, item.key, item.eventTime);
            } catch (e) {
              sub.next({ kind: "side", tag: FAILED_TAG, reason: String((e as Error)?.message ?? e), record: item });
              return;
            }
            sub.next({ kind: "record", value: out, eventTime: item.eventTime, key: item.key, ids: item.ids });
          },
          error: (e) => sub.error(e),
          complete: () => sub.complete(),
        }),
      ),
    { operatorName: name, sideOutputs: [] },
  );
}
