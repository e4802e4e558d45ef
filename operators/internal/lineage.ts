import { isMarkedSorted, markSorted } from "../../lib/events/lineage.js";

/**
 * Union of lineage id lists as one sorted, duplicate-free array — the same result as `mergeIds`
 * from `lib/stream`, without the intermediate Set (hot path of every window firing). Lists that
 * are already sorted and distinct (what windows emit) are merged pairwise, O(n log k) comparisons
 * for k lists, instead of sorting the concatenation, O(n log n).
 */
export function unionIds(lists: readonly (readonly string[])[]): string[] {
  if (lists.length === 1) {
    const only = lists[0]!;
    if (only.length <= 1) return only.slice();
  }
  let sorted = true;
  for (let i = 0; i < lists.length && sorted; i++) {
    const l = lists[i]!;
    sorted = isMarkedSorted(l) || strictlyIncreasing(l);
  }
  if (sorted) return markSorted(mergeSorted(lists));
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
  return markSorted(all);
}

function strictlyIncreasing(l: readonly string[]): boolean {
  for (let j = 1; j < l.length; j++) if (!(l[j - 1]! < l[j]!)) return false;
  return true;
}

/** Pairwise merge of sorted, distinct lists into one sorted, distinct list (fresh arrays). */
function mergeSorted(lists: readonly (readonly string[])[]): string[] {
  if (lists.length === 0) return [];
  let level: (readonly string[])[] = lists.slice();
  while (level.length > 1) {
    const next: string[][] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(mergeTwo(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!.slice());
    level = next;
  }
  return level[0] === lists[0] ? level[0]!.slice() : (level[0] as string[]);
}

function mergeTwo(a: readonly string[], b: readonly string[]): string[] {
  // Written by index into an array of the final size at most, then trimmed (no growth copies).
  const out = new Array<string>(a.length + b.length);
  const na = a.length;
  const nb = b.length;
  let i = 0;
  let j = 0;
  let w = 0;
  while (i < na && j < nb) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      out[w++] = x;
      i++;
    } else if (y < x) {
      out[w++] = y;
      j++;
    } else {
      out[w++] = x;
      i++;
      j++;
    }
  }
  while (i < na) out[w++] = a[i++]!;
  while (j < nb) out[w++] = b[j++]!;
  out.length = w;
  return out;
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

/** A list of lineage ids in an {@link IdArena}, as a window state holds it. */
export interface IdList {
  /** Head slot (the newest id); -1 = empty. */
  ids: number;
  /** Push sequence numbers of the list's first and latest push (meaningless when empty). */
  idsFirst: number;
  idsLast: number;
}

/**
 * Lineage ids of many open windows in one arena: each window holds the head of a singly linked
 * list of slots (`-1` = empty); slots of evicted windows go to a stack of free slots. No
 * per-window arrays grow on the hot path, which is what keeps keyed windows with few records each
 * cheap.
 *
 * Sortedness without looking at a window's ids: every push is compared with the push before it
 * (over all lists; both strings were just touched, so it is cheap). A *break* is a push whose id is
 * below the previous one, or equal to it while the target list already got that id in the current
 * run of equal pushes (a duplicate in the list), or a {@link concat}. A list whose first push came
 * after the latest break is strictly increasing in push order (each pair of consecutive elements
 * has only non-decreasing pushes between them, one of them strict) and is collected without a
 * single string comparison; otherwise it is checked and sorted as before.
 */
export class IdArena {
  private ids: string[] = [];
  private links = new Int32Array(4096);
  /** Free slots (a stack: popping one reads no slot, unlike a linked free list). */
  private free = new Int32Array(4096);
  private freeTop = 0;
  private used = 0;
  /** Pushes so far (the next push's sequence number). */
  private seq = 0;
  private lastId: string | undefined;
  /** Sequence number of the first push of the current run of pushes equal to `lastId`. */
  private runStart = 0;
  /** Sequence number of the latest break (see the class comment); -1: none yet. */
  private lastBreak = -1;

  /** Slots in use or free (high-water mark). */
  get capacity(): number {
    return this.used;
  }

  /** Prepend `id` to `list`. */
  push(list: IdList, id: string): void {
    const seq = this.seq++;
    const head = list.ids;
    const last = this.lastId;
    if (last !== undefined) {
      if (id === last) {
        if (head >= 0 && list.idsLast >= this.runStart) this.lastBreak = seq;
      } else {
        if (id < last) this.lastBreak = seq;
        this.runStart = seq;
      }
    }
    this.lastId = id;
    let i: number;
    if (this.freeTop > 0) {
      i = this.free[--this.freeTop]!;
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
    list.ids = i;
    if (head < 0) list.idsFirst = seq;
    list.idsLast = seq;
  }

  /**
   * The list's ids, sorted and duplicate-free. A list pushed after the latest break (see the class
   * comment) is reversed as is; otherwise ids that arrived in increasing order (time-ordered ids,
   * or one record per window) are recognised in one pass and not sorted.
   */
  collect(list: IdList): string[] {
    const out: string[] = [];
    for (let i = list.ids; i >= 0; i = this.links[i]!) out.push(this.ids[i]!);
    const n = out.length;
    if (n <= 1) return markSorted(out);
    if (list.idsFirst >= this.lastBreak) return markSorted(out.reverse());
    // the list is newest first: strictly decreasing here = strictly increasing arrival
    let i = 1;
    while (i < n && out[i - 1]! > out[i]!) i++;
    if (i === n) return markSorted(out.reverse());
    out.sort();
    let w = 1;
    for (let r = 1; r < out.length; r++) {
      const id = out[r]!;
      if (id !== out[w - 1]) out[w++] = id;
    }
    out.length = w;
    return markSorted(out);
  }

  /** Append list `b` to list `a` (a break: see above), leaving `b` empty. */
  concat(a: IdList, b: IdList): void {
    if (b.ids < 0) return;
    if (a.ids < 0) {
      a.ids = b.ids;
      a.idsFirst = b.idsFirst;
      a.idsLast = b.idsLast;
    } else {
      this.lastBreak = this.seq;
      let i = a.ids;
      while (this.links[i]! >= 0) i = this.links[i]!;
      this.links[i] = b.ids;
    }
    b.ids = -1;
  }

  /** Return a list's slots to the free stack, leaving the list empty. */
  release(list: IdList): void {
    let i = list.ids;
    if (i < 0) return;
    list.ids = -1;
    let top = this.freeTop;
    if (this.free.length < this.used) {
      const grown = new Int32Array(this.links.length);
      grown.set(this.free.subarray(0, top));
      this.free = grown;
    }
    const free = this.free;
    for (; i >= 0; i = this.links[i]!) {
      this.ids[i] = "";
      free[top++] = i;
    }
    this.freeTop = top;
  }
}
