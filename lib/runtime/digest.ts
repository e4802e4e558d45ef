import { createHash } from "node:crypto";

/** What {@link outputDigest} hashes: a written message's topic, key and bytes. */
export interface DigestInput {
  readonly topic: string;
  readonly key: string;
  readonly data: Uint8Array;
}

/**
 * sha256 (hex) of outputs in a canonical order that does not depend on how keys were spread over
 * workers: grouped by topic, then by key (both sorted), each key's messages in the order they were
 * written (per-key order is part of the result). Equal digests = byte-identical outputs per key.
 * Pass `topics` to hash only those topics.
 */
export function outputDigest(outputs: Iterable<DigestInput>, topics?: readonly string[]): string {
  const only = topics ? new Set(topics) : undefined;
  const groups = new Map<string, Uint8Array[]>();
  for (const o of outputs) {
    if (only && !only.has(o.topic)) continue;
    const g = `${o.topic}\u0000${o.key}`;
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(o.data);
  }
  const h = createHash("sha256");
  for (const g of [...groups.keys()].sort()) {
    h.update(g).update("\u0001");
    for (const d of groups.get(g)!) {
      h.update(String(d.byteLength)).update(":").update(d);
    }
  }
  return h.digest("hex");
}
