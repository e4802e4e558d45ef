import type { WindowAssigner } from "./window-engine.js";

/** Exact hold bounds of a window operator (see {@link OperatorInfo.retainUntil}). */
export interface WindowHold {
  readonly retainUntil: (t: number) => number;
  readonly derivedTime: (t: number) => number;
}

/**
 * For fixed windows (tumbling, hopping): a record at `t` is in windows up to the one starting at
 * the last window start `s ≤ t`; that window fires at `s + size − 1` (its outputs carry that event
 * time) and re-fires for late records until `s + size − 1 + lateness`, then it is evicted.
 * Sessions grow with their keys' activity, so no bound follows from `t` alone: undefined (the
 * operator keeps its `retentionMs`).
 */
export function windowHold(assigner: WindowAssigner, lateness: number): WindowHold | undefined {
  if (assigner.kind !== "fixed") return undefined;
  const { size, advance, offset } = assigner;
  const lastEnd = (t: number) => Math.floor((t - offset) / advance) * advance + offset + size;
  return {
    retainUntil: (t) => lastEnd(t) - 1 + lateness,
    derivedTime: (t) => lastEnd(t) - 1,
  };
}
