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

/**
 * Sorted, duplicate-free copy of a flat id list; sorts `ids` in place (the multiset is unchanged,
 * so callers may keep appending to it).
 */
export function sortedUnique(ids: string[]): string[] {
  if (ids.length <= 1) return ids.slice();
  ids.sort();
  const out: string[] = [ids[0]!];
  for (let i = 1; i < ids.length; i++) {
    const id = ids[i]!;
    if (id !== ids[i - 1]) out.push(id);
  }
  return out;
}

/**
 * Lineage ids of many open windows in one arena: each window holds the head of a singly linked
 * list of slots (`-1` = empty); slots of evicted windows go to a free list. No per-window arrays
 * grow on the hot path, which is what keeps keyed windows with few records each cheap.
 */
export class IdArena {
  private ids: string[] = [];
  private links = new Int32Array(4096);
  private free = -1;
  private used = 0;

  /** Slots in use or free (high-water mark). */
  get capacity(): number {
    return this.used;
  }

  /** Prepend `id` to the list starting at `head`; returns the new head. */
  push(head: number, id: string): number {
    let i = this.free;
    if (i >= 0) {
      this.free = this.links[i]!;
    } else {
      i = this.used++;
      if (i >= this.links.length) {
        const grown = new Int32Array(this.links.length * 2);
        grown.set(this.links);
        this.links = grown;
      }
    }
    this.ids[i] = id;
    this.links[i] = head;
    return i;
  }

  /**
   * The list's ids, sorted and duplicate-free. Ids that arrived in increasing order (time-ordered
   * ids, or one record per window) are recognised in one pass and not sorted.
   */
  collect(head: number): string[] {
    const out: string[] = [];
    for (let i = head; i >= 0; i = this.links[i]!) out.push(this.ids[i]!);
    const n = out.length;
    if (n <= 1) return out;
    // the list is newest first: strictly decreasing here = strictly increasing arrival
    let i = 1;
    while (i < n && out[i - 1]! > out[i]!) i++;
    if (i === n) return out.reverse();
    out.sort();
    let w = 1;
    for (let r = 1; r < out.length; r++) {
      const id = out[r]!;
      if (id !== out[w - 1]) out[w++] = id;
    }
    out.length = w;
    return out;
  }

  /** Append list `b` to list `a`; returns the head of the joined list. */
  concat(a: number, b: number): number {
    if (a < 0) return b;
    if (b < 0) return a;
    let i = a;
    while (this.links[i]! >= 0) i = this.links[i]!;
    this.links[i] = b;
    return a;
  }

  /** Return a list's slots to the free list. */
  release(head: number): void {
    if (head < 0) return;
    let i = head;
    for (;;) {
      this.ids[i] = "";
      const n = this.links[i]!;
      if (n < 0) break;
      i = n;
    }
    this.links[i] = this.free;
    this.free = head;
  }
}
