import { createHash } from "node:crypto";
import { describeTopology } from "./describe.js";
import type { Topology } from "./types.js";

/** JSON with object keys sorted at every level (a stable serialization for hashing). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Map)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return v;
  });
}

/**
 * Stable hash (sha256 hex, first 16 chars) of a topology's description (names, topics, schemas,
 * operators, wiring, routes, retention) and its run configuration. Part of every decision's
 * lineage and of replay identity: same hash + same inputs = same outputs. Functions (key
 * extractors, user operators' bodies) are identified by name only — bump `version` when you
 * change their behaviour.
 */
export function topologyHash(t: Topology, config?: unknown): string {
  return createHash("sha256")
    .update(canonicalJson({ topology: describeTopology(t), config: config ?? null }))
    .digest("hex")
    .slice(0, 16);
}
