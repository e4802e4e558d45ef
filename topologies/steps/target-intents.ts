import { Observable } from "rxjs";
import type { TargetIntent } from "../../lib/domain/signals.js";
import type { PortfolioOptimizationEvent } from "../../lib/events/portfolio-optimization.js";
import type { RebalanceRequestEvent } from "../../lib/events/rebalance-request.js";
import { record, type StreamItem } from "../../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../../lib/stream/operator.js";

export type TargetEvent = RebalanceRequestEvent | PortfolioOptimizationEvent;

/** The target intents one rebalance request or optimization result stands for, one per instrument. */
export function intentsOf(event: TargetEvent): TargetIntent[] {
  if (event.eventType === "RebalanceRequest") {
    return event.targets.map((t) => ({
      kind: "rebalance",
      portfolioId: event.portfolioId,
      instrumentId: t.instrumentId,
      targetWeight: t.targetWeight,
      urgency: event.urgency,
      source: event.source,
      eventId: event.eventId,
      participation: event.participation,
    }));
  }
  return event.targetWeights.map((t) => ({
    kind: "optimization",
    portfolioId: event.portfolioId,
    instrumentId: t.instrumentId,
    targetWeight: t.weight,
    urgency: event.urgency,
    source: event.source,
    eventId: event.eventId,
    participation: 1,
  }));
}

/**
 * Splits each rebalance request / optimization result into one {@link TargetIntent} record per
 * instrument (same key, event time and lineage ids as the event). Watermarks and side outputs pass
 * through; every input record's ids end up in its intents (an event always has ≥ 1 target).
 *
 * ```
 * input:  -r(AAPL 0.1, MSFT 0.2)--W--|
 * output: -(a m)------------------W--|    a = intent AAPL 0.1, m = intent MSFT 0.2
 * ```
 */
export function toTargetIntents(): DescribedOperator<TargetEvent, TargetIntent> {
  return describeOperator(
    (source: Observable<StreamItem<TargetEvent>>) =>
      new Observable<StreamItem<TargetIntent>>((sub) =>
        source.subscribe({
          next(item) {
            if (item.kind !== "record") {
              sub.next(item);
              return;
            }
            for (const intent of intentsOf(item.value)) sub.next(record(intent, item.eventTime, item.key, item.ids));
          },
          error: (e) => sub.error(e),
          complete: () => sub.complete(),
        }),
      ),
    { operatorName: "toTargetIntents" },
  );
}
