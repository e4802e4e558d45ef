import type { OperatorFunction } from "rxjs";
import type { StreamItem } from "./item.js";

/** An RxJS operator over consilium stream items. */
export type StreamOperator<In, Out> = OperatorFunction<StreamItem<In>, StreamItem<Out>>;

/** What a topology needs to know about an operator to validate and describe it. */
export interface OperatorInfo {
  /** Operator name as shown by `describe()`, e.g. `dedup`. */
  readonly operatorName: string;
  /** Side-output tags the operator may emit; a topology must route each one. */
  readonly sideOutputs: readonly string[];
  /**
   * How long (event-time ms past a record's own event time) the operator may hold a record's
   * lineage before it has emitted everything derived from it. 0 for stateless operators.
   */
  readonly retentionMs: number;
  /**
   * Exact form of the retention, for operators that know it (fixed windows): for an input at
   * event time `t`, the last watermark at which the operator may still emit something derived
   * from it. Without it, `t + retentionMs`.
   */
  readonly retainUntil?: (t: number) => number;
  /** For an input at event time `t`, the latest event time of what the operator derives from it. Without it, `t + retentionMs`. */
  readonly derivedTime?: (t: number) => number;
}

export type DescribedOperator<In, Out> = StreamOperator<In, Out> & OperatorInfo;

/** Attach {@link OperatorInfo} to an operator function. */
export function describeOperator<In, Out>(
  op: StreamOperator<In, Out>,
  info: {
    operatorName: string;
    sideOutputs?: readonly string[];
    retentionMs?: number;
    hold?: { retainUntil: (t: number) => number; derivedTime: (t: number) => number } | undefined;
  },
): DescribedOperator<In, Out> {
  return Object.assign(op, {
    operatorName: info.operatorName,
    sideOutputs: info.sideOutputs ?? [],
    retentionMs: info.retentionMs ?? 0,
    ...(info.hold ? { retainUntil: info.hold.retainUntil, derivedTime: info.hold.derivedTime } : {}),
  });
}

export function operatorInfo(op: unknown): OperatorInfo | undefined {
  if (typeof op === "function" && typeof (op as Partial<OperatorInfo>).operatorName === "string") {
    return op as unknown as OperatorInfo;
  }
  return undefined;
}
