/**
 * Union of lineage id lists as one sorted, duplicate-free array — the same result as `mergeIds`
 * from `lib/stream`, without the intermediate Set (hot path of every window firing).
 */
export function unionIds(lists: readonly (readonly string[])[]): string[] {
  if (lists.length === 1) {
    const only = lists[0]!;
    if (only.length <= 1) return only.slice();
  }
  const all: string[] = [];
  for (let i = 0; i < lists.length; i++) {
    const l = lists[i]!;
    for (let j = 0; j < l.length; j++) all.push(l[j]!);
  }
  all.sort();
  let w = 0;
  for (let r = 0; r < all.length; r++) {
    const id = all[r]!;
    if (w === 0 || all[w - 1] !== id) all[w++] = id;
  }
  all.length = w;
  return all;
}
