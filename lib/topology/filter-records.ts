import type { Observable } from "rxjs";
import { Observable as Obs } from "rxjs";
import type { StreamItem } from "../stream/item.js";
import { describeOperator, type DescribedOperator } from "../stream/operator.js";
import { FAILED_TAG } from "./types.js";

/**
 * Keep the records whose value satisfies `predicate`; the others become side outputs tagged `tag`
 * (default `rejected`) with reason `reason` — nothing is dropped silently. Watermarks and side
 * outputs pass through. A throwing predicate yields a {@link FAILED_TAG} side output.
 *
 * ```
 * source:            --a--b--W--c--|    (p(b) false)
 * filterRecords(p):  --a--r--W--c--|    (r = side output "rejected")
 * ```
 */
export function filterRecords<T>(
  predicate: (value: T, key: string, eventTime: number) => boolean,
  reason = "predicate-false",
  tag = "rejected",
  name = predicate.name || "filter",
): DescribedOperator<T, T> {
  return describeOperator(
    (source: Observable<StreamItem<T>>) =>
      new Obs<StreamItem<T>>((sub) =>
        source.subscribe({
          next(item) {
            if (item.kind !== "record") {
              sub.next(item);
              return;
            }
            let keep: boolean;
            try {
              keep = predicate(item.value, item.key, item.eventTime);
            } catch (e) {
              sub.next({ kind: "side", tag: FAILED_TAG, reason: String((e as Error)?.message ?? e), record: item });
              return;
            }
            sub.next(keep ? item : { kind: "side", tag, reason, record: item });
          },
          error: (e) => sub.error(e),
          complete: () => sub.complete(),
        }),
      ),
    { operatorName: name, sideOutputs: [tag] },
  );
}
