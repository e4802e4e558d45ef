/**
 * Encoders by event name: each gives exactly {@link encodeEvent}'s bytes, faster where an event
 * repeats a large part. The runtime's sinks encode with {@link encoderFor}.
 */
import type { CoordinatedTradingDecisionEvent } from "./coordinated-trading-decision.js";
import { encodeEvent } from "./decode.js";

/** UTF-8 JSON of id arrays shared by many events, by array identity (emitted values are immutable). */
const idsBytes = new WeakMap<readonly string[], Buffer>();
const NO_IDS: readonly string[] = [];
const MARK = '"lineage":{"inputIds":[]';
const MARK_BYTES = Buffer.from(MARK, "utf8");
/** Below this many ids the array is cheaper to serialize again than to look up. */
const MIN_CACHED = 32;

/**
 * A decision's bytes. Every decision of a batch carries the same `lineage.inputIds` array — every
 * input of the portfolio window, thousands of ids in a busy window — so its UTF-8 JSON is made
 * once per array and copied in: the rest of the decision is serialized with an empty list, whose
 * one occurrence of `"lineage":{"inputIds":[]` (a quote inside a string value is escaped, so the
 * text cannot occur there) marks where the cached bytes go. The mark is ASCII, so its byte
 * offset in the UTF-8 bytes is found by a byte search.
 */
export function encodeDecision(d: CoordinatedTradingDecisionEvent): Buffer {
  const ids = d.lineage?.inputIds;
  if (!Array.isArray(ids) || ids.length < MIN_CACHED) return encodeEvent(d);
  const text = JSON.stringify({ ...d, lineage: { ...d.lineage, inputIds: NO_IDS } });
  const at = text.indexOf(MARK);
  if (at < 0 || text.indexOf(MARK, at + 1) >= 0) return encodeEvent(d);
  let list = idsBytes.get(ids);
  if (list === undefined) {
    list = Buffer.from(JSON.stringify(ids), "utf8");
    idsBytes.set(ids, list);
  }
  const rest = Buffer.from(text, "utf8");
  const head = rest.indexOf(MARK_BYTES) + MARK_BYTES.length - 2; // up to and including `"inputIds":`
  const out = Buffer.allocUnsafe(rest.length - 2 + list.length);
  rest.copy(out, 0, 0, head);
  list.copy(out, head);
  rest.copy(out, head + list.length, head + 2);
  return out;
}

/** The encoder a sink of this event schema uses. */
export function encoderFor(schemaName: string): (value: unknown) => Buffer {
  return schemaName === "CoordinatedTradingDecisionEvent" ? (encodeDecision as (v: unknown) => Buffer) : encodeEvent;
}
