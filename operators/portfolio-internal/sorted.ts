import { unionIds } from "../internal/lineage.js";

/**
 * Sorted, de-duplicated union of two id lists (the universes the portfolio operators build). The
 * inputs are usually already sorted (holdings and proposals are sorted by instrumentId by
 * contract), so the union is an O(n) merge; any other input falls back to a sort. Either way the
 * result is what `[...new Set([...a, ...b])].sort()` gives.
 */
export function sortedUnion(a: readonly string[], b: readonly string[]): string[] {
  return unionIds([a, b]);
}
