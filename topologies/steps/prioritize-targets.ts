import { connect, filter, type Observable } from "rxjs";
import { URGENCY_RANK } from "../../lib/events/common.js";
import type { StreamItem } from "../../lib/stream/item.js";
import { Fanout } from "../../lib/stream/fanout.js";
import { type DescribedOperator, describeOperator } from "../../lib/stream/operator.js";
import { type BatchInput, isTargetIntent } from "../../operators/batch-by-portfolio.js";
import { priorityMerge } from "../../operators/priority-merge.js";

/** Priority of a batch input: urgency rank, target intents above signals at equal urgency. */
export function batchInputPriority(v: BatchInput): number {
  return URGENCY_RANK[v.urgency] * 2 + (isTargetIntent(v) ? 1 : 0);
}

/**
 * Puts the target intents (rebalance requests, optimizer results) and net signals of one merged
 * stream through {@link priorityMerge} as two inputs: between two watermarks, records are released
 * by priority (urgency, then targets before signals), then event time. Watermarks reach both
 * inputs; side outputs travel on the signal input only, so none is duplicated.
 *
 * ```
 * input:  -s(low)--t(high)--W5--|
 * output: ----------------(t s W5)|
 * ```
 */
export function prioritizeTargets(): DescribedOperator<BatchInput, BatchInput> {
  return describeOperator(
    (source: Observable<StreamItem<BatchInput>>) =>
      source.pipe(
        // `connect` subscribes both branches before the source starts, so nothing is missed. A
        // Fanout connector: every item (a watermark nearly every record) passes through it.
        connect(
          (shared) =>
            priorityMerge<BatchInput>(
              [
                shared.pipe(filter((i) => i.kind !== "record" || !isTargetIntent(i.value))),
                shared.pipe(filter((i) => i.kind === "watermark" || (i.kind === "record" && isTargetIntent(i.value)))),
              ],
              { priority: batchInputPriority },
            ),
          { connector: () => new Fanout<StreamItem<BatchInput>>() },
        ),
      ),
    { operatorName: "priorityMerge(targets, signals)" },
  );
}
