/**
 * Encoders by event name: each gives exactly {@link encodeEvent}'s bytes, faster where an event
 * repeats a large part. The runtime's sinks encode with {@link encoderFor}.
 */
import type { CoordinatedTradingDecisionEvent } from "./coordinated-trading-decision.js";
import { encodeEvent } from "./decode.js";

/** JSON of id arrays shared by many events, by array identity (emitted values are immutable). */
const idsJson = new WeakMap<readonly string[], string>();
const NO_IDS: readonly string[] = [];
const MARK = '"lineage":{"inputIds":[]';
/** Below this many ids the array is cheaper to serialize again than to look up. */
const MIN_CACHED = 32;

/**
 * A decision's bytes. Every decision of a batch carries the same `lineage.inputIds` array — every
 * input of the portfolio window, thousands of ids in a busy window — so its JSON is made once per
 * array and spliced in: the rest of the decision is serialized with an empty list, whose one
 * occurrence of `"lineage":{"inputIds":[]` (a quote inside a string value is escaped, so the text
 * cannot occur there) is replaced by the cached list.
 */
export function encodeDecision(d: CoordinatedTradingDecisionEvent): Buffer {
  const ids = d.lineage?.inputIds;
  if (!Array.isArray(ids) || ids.length < MIN_CACHED) return encodeEvent(d);
  const text = JSON.stringify({ ...d, lineage: { ...d.lineage, inputIds: NO_IDS } });
  const at = text.indexOf(MARK);
  if (at < 0 || text.indexOf(MARK, at + 1) >= 0) return encodeEvent(d);
  let list = idsJson.get(ids);
  if (list === undefined) {
    list = JSON.stringify(ids);
    idsJson.set(ids, list);
  }
  const head = at + MARK.length - 2; // up to and including `"inputIds":`
  return Buffer.from(`${text.slice(0, head)}${list}${text.slice(head + 2)}`, "utf8");
}

/** The encoder a sink of this event schema uses. */
export function encoderFor(schemaName: string): (value: unknown) => Buffer {
  return schemaName === "CoordinatedTradingDecisionEvent" ? (encodeDecision as (v: unknown) => Buffer) : encodeEvent;
}
