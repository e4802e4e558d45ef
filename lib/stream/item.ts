/**
 * The items that flow between consilium operators.
 *
 * A stream is a sequence of {@link StreamItem}s: records (a typed value with its event time, key
 * and lineage), watermarks (event-time progress) and side outputs (records an operator set aside,
 * with a tag and a reason code). Watermarks and side outputs travel in-band so that their order
 * relative to records is part of the stream, which is what makes replays byte-identical.
 */

/** A typed value with the event-time, key and lineage the runtime keeps beside it. */
export interface Envelope<T> {
  readonly kind: "record";
  readonly value: T;
  /** Event time, epoch milliseconds. */
  readonly eventTime: number;
  /** Partition key (portfolioId for everything a portfolio's decisions depend on). */
  readonly key: string;
  /** Lineage: ids of the input messages this record derives from. */
  readonly ids: readonly string[];
}

/** Event-time progress: no record with `eventTime <= time` is expected any more (except late ones). */
export interface Watermark {
  readonly kind: "watermark";
  readonly time: number;
}

/** A record an operator set aside instead of emitting it on the main output. */
export interface SideOutput<T = unknown> {
  readonly kind: "side";
  /** Which side output: `late`, `duplicate`, `rejected`, `overflow`, ... Routed by the topology. */
  readonly tag: string;
  /** Machine-readable reason code, e.g. `confidence-below-threshold`. */
  readonly reason: string;
  readonly record: Envelope<T>;
}

export type StreamItem<T> = Envelope<T> | Watermark | SideOutput;

/** Standard side-output tags used by the bundled operators. */
export const SideTag = {
  late: "late",
  duplicate: "duplicate",
  rejected: "rejected",
  overflow: "overflow",
} as const;

/**
 * A record envelope. V8 tracks allocation sites per object literal, so every envelope built here
 * shares one site; once enough of them live long (inputs held in windows or buffers), V8 allocates
 * all of them in old space (pretenuring), where short-lived ones cost a mark-compact instead of a
 * scavenge. An operator that emits many envelopes consumed at once builds its own literal instead
 * (as the window operators do).
 */
export function record<T>(value: T, eventTime: number, key: string, ids: readonly string[]): Envelope<T> {
  return { kind: "record", value, eventTime, key, ids };
}

export function watermark(time: number): Watermark {
  return { kind: "watermark", time };
}

export function sideOutput<T>(tag: string, reason: string, rec: Envelope<T>): SideOutput<T> {
  return { kind: "side", tag, reason, record: rec };
}

export function isRecord<T>(item: StreamItem<T>): item is Envelope<T> {
  return item.kind === "record";
}

export function isWatermark(item: StreamItem<unknown>): item is Watermark {
  return item.kind === "watermark";
}

export function isSideOutput(item: StreamItem<unknown>): item is SideOutput {
  return item.kind === "side";
}

/** Merge lineage id lists into one sorted, duplicate-free list (deterministic order). */
export function mergeIds(lists: Iterable<readonly string[]>): string[] {
  const set = new Set<string>();
  for (const list of lists) for (const id of list) set.add(id);
  return [...set].sort();
}
