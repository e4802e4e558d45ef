/**
 * Lineage ids: the canonical order of a set of input ids and its digest, shared by the operators
 * that derive event ids from their inputs and by anything that checks a decision's lineage
 * (`lineage.inputsDigest`) against the listing in its batch's state update.
 */
import * as crypto from "node:crypto";

/** One-shot `crypto.hash` where Node has it (>= 20.12: no Hash object per call), else createHash. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

/** sha256 (hex) of a string. */
export const sha256Hex: (data: string) => string =
  oneShot !== undefined
    ? (data) => oneShot("sha256", data, "hex")
    : (data) => crypto.createHash("sha256").update(data).digest("hex");

/**
 * Arrays known to be sorted and duplicate-free, by identity: the id lists that windows and batch
 * unions build are, and checking it again costs a string comparison per id on every use (a busy
 * portfolio window has thousands). Only arrays nobody mutates afterwards (emitted lineage) belong here.
 */
const knownSorted = new WeakSet<readonly string[]>();
/** Shorter arrays are not recorded: checking them again is cheaper than the WeakSet. */
const MARK_MIN = 32;

/** Record that `ids` is sorted, duplicate-free and will not change; returns it. */
export function markSorted<T extends readonly string[]>(ids: T): T {
  if (ids.length >= MARK_MIN) knownSorted.add(ids);
  return ids;
}

/** Whether `ids` was marked with {@link markSorted} (always false below `MARK_MIN` ids). */
export function isMarkedSorted(ids: readonly string[]): boolean {
  return ids.length >= MARK_MIN && knownSorted.has(ids);
}

/** The ids in order: the array itself when it already is (lineage ids are), else a sorted copy. */
export function sortedIds(ids: readonly string[]): readonly string[] {
  if (isMarkedSorted(ids)) return ids;
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! <= ids[i]!)) return [...ids].sort();
  return ids;
}

const digests = new WeakMap<readonly string[], string>();

/**
 * sha256 (hex) of a set of input ids, sorted and joined by a unit separator (U+001F). Computed once
 * per array (arrays are compared by identity: the operators of one batch receive the same
 * envelope), so a batch of thousands of inputs is hashed once, not once per event derived from it.
 */
export function inputsDigest(inputIds: readonly string[]): string {
  let d = digests.get(inputIds);
  if (d === undefined) {
    d = sha256Hex(sortedIds(inputIds).join("\u001f"));
    digests.set(inputIds, d);
  }
  return d;
}

/** The lineage fields of a decision that lists its inputs inline: sorted ids, count and digest. */
export function listedInputs(ids: readonly string[]): { inputIds: string[]; inputCount: number; inputsDigest: string } {
  const inputIds = [...sortedIds(ids)];
  return { inputIds, inputCount: inputIds.length, inputsDigest: inputsDigest(inputIds) };
}
