import { sha256Hex } from "../events/lineage.js";

/** Up to this many input ids, a side output's event id lists them; beyond, it carries their digest. */
const LISTED_IDS = 8;

/**
 * The event id of a side output (its message's `consilium-event-id`, the key sinks de-duplicate
 * by): `step/tag/` and the record's input ids joined by commas, or — past {@link LISTED_IDS} ids,
 * as a window's or a portfolio batch's record has thousands — `sha256:` and the first 32 hex
 * digits of their sha256 (joined by a unit separator), so the id stays short. Deterministic in
 * the ids and their order, as the record's lineage is.
 */
export function sideOutputEventId(step: string, tag: string, ids: readonly string[]): string {
  if (ids.length <= LISTED_IDS) return `${step}/${tag}/${ids.join(",")}`;
  return `${step}/${tag}/sha256:${sha256Hex(ids.join("\u001f")).slice(0, 32)}`;
}
