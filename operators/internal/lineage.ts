import { isMarkedSorted, markSorted } from "../../lib/events/lineage.js";

/**
 * Union of lineage id lists as one sorted, duplicate-free array — the same result as `mergeIds`
 * from `lib/stream`, without the intermediate Set (hot path of every window firing). Lists that
 * are already sorted and distinct (what windows emit) are merged pairwise, O(n log k) comparisons
 * for k lists, instead of sorting the concatenation, O(n log n). Lists collected by one
 * {@link IdArena} since its latest break carry order keys and are merged by those (numbers, not
 * strings: no id is touched, which matters when thousands of ids sit scattered over the heap).
 */
export function unionIds(lists: readonly (readonly string[])[]): string[] {
  if (lists.length === 1) {
    const only = lists[0]!;
    if (only.length <= 1) return only.slice();
  } else if (lists.length > 1) {
    const byKey = unionByKey(lists);
    if (byKey !== undefined) return byKey;
  }
  return unionByValue(lists);
}

/** {@link unionIds} by string comparison: sorted lists merged, any other input sorted. */
function unionByValue(lists: readonly (readonly string[])[]): string[] {
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

/**
 * The order keys of an id list an {@link IdArena} collected from pushes after its latest break:
 * their order is the ids' order (see {@link IdArena}), so lists of one arena and one break (one
 * run) are merged by comparing keys, not ids. `keys[i]` is the key of `ids[i]`: equal ids share
 * it, distinct ids never do.
 */
class KeyedList {
  constructor(
    readonly arena: IdArena,
    /** The arena's latest break when the list was collected. */
    readonly since: number,
    readonly keys: number[],
  ) {}
}

/** The order keys of emitted id lists, by identity (they are not mutated once emitted). */
const keyedLists = new WeakMap<readonly string[], KeyedList>();
/**
 * Shorter lists are not recorded: recording costs ~10 ns an id plus a WeakMap entry (an ephemeron
 * every scavenge visits). At 16, the topology benchmark's spread lists (~28 ids) were recorded, and
 * its long-lived spread case had a worse p99 and throughput in three alternating pairs; at 64 only
 * the one-day lists (~170 ids) are, whose closes it shortens.
 */
const KEYED_MIN = 64;

/** Whether `ids` has order keys (collected keyed by an {@link IdArena}, or a union of such lists). */
export function hasOrderKeys(ids: readonly string[]): boolean {
  return keyedLists.has(ids);
}

/** An id list with the order key of each id (`keys[i]` is the key of `ids[i]`). */
interface KeyedIds {
  readonly ids: readonly string[];
  readonly keys: number[];
}

/**
 * The union of the lists that share one run (see {@link KeyedList}), merged by key;
 * the others, if any, are merged in by string comparison. Undefined when fewer than two
 * lists share the run of the first recorded one (nothing to gain).
 */
function unionByKey(lists: readonly (readonly string[])[]): string[] | undefined {
  // most unions (short lists: sliding windows, instrument universes) have no recorded list at all
  let any = false;
  for (let i = 0; i < lists.length && !any; i++) any = lists[i]!.length >= KEYED_MIN;
  if (!any) return undefined;
  let run: KeyedList | undefined;
  let group: KeyedIds[] | undefined;
  let others: (readonly string[])[] | undefined;
  for (let i = 0; i < lists.length; i++) {
    const l = lists[i]!;
    if (l.length === 0) continue;
    const r = l.length >= KEYED_MIN ? keyedLists.get(l) : undefined;
    if (r !== undefined && (run === undefined || (r.arena === run.arena && r.since === run.since))) {
      run = r;
      (group ??= []).push({ ids: l, keys: r.keys });
    } else {
      (others ??= []).push(l);
    }
  }
  if (run === undefined || group!.length < 2) return undefined;
  const merged = mergePairwise(group!, mergeByKey) as KeyedIds & { ids: string[] }; // fresh: a merge's output
  keyedLists.set(merged.ids, new KeyedList(run.arena, run.since, merged.keys));
  if (others === undefined) return markSorted(merged.ids);
  return markSorted(mergeTwo(merged.ids, unionByValue(others)));
}

/** Merge two lists of one run by their keys (fresh arrays; equal keys are one id). */
function mergeByKey(a: KeyedIds, b: KeyedIds): KeyedIds & { ids: string[] } {
  const na = a.ids.length;
  const nb = b.ids.length;
  const ids = new Array<string>(na + nb);
  const keys = new Array<number>(na + nb);
  const ak = a.keys;
  const bk = b.keys;
  let i = 0;
  let j = 0;
  let w = 0;
  while (i < na && j < nb) {
    const x = ak[i]!;
    const y = bk[j]!;
    if (x < y) {
      keys[w] = x;
      ids[w++] = a.ids[i++]!;
    } else {
      keys[w] = y;
      ids[w++] = b.ids[j++]!;
      if (x === y) i++;
    }
  }
  while (i < na) {
    keys[w] = ak[i]!;
    ids[w++] = a.ids[i++]!;
  }
  while (j < nb) {
    keys[w] = bk[j]!;
    ids[w++] = b.ids[j++]!;
  }
  ids.length = w;
  keys.length = w;
  return { ids, keys };
}

/**
 * Merges non-empty `lists` two by two, level by level, until one is left (an odd one out goes on
 * to the next level as it is): O(n log k) element moves for k lists of n elements in all.
 */
function mergePairwise<T>(lists: readonly T[], merge: (a: T, b: T) => T): T {
  let level = lists;
  while (level.length > 1) {
    const next: T[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(merge(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** Pairwise merge of sorted, distinct lists into one sorted, distinct list (a fresh array). */
function mergeSorted(lists: readonly (readonly string[])[]): string[] {
  if (lists.length === 0) return [];
  if (lists.length === 1) return lists[0]!.slice();
  return mergePairwise(lists, mergeTwo) as string[]; // fresh: a merge's output
}

function mergeTwo(a: readonly string[], b: readonly string[]): string[] {
  if (b.length * GALLOP_RATIO < a.length) return mergeSmall(a, b);
  if (a.length * GALLOP_RATIO < b.length) return mergeSmall(b, a);
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

/** A list this many times shorter than the other is placed into it by binary search. */
const GALLOP_RATIO = 8;

/**
 * {@link mergeTwo} of a long list and a much shorter one: each id of `small` is placed by binary
 * search in `big` (O(m log n) comparisons, not O(n + m)); the stretches of `big` between are copied.
 */
function mergeSmall(big: readonly string[], small: readonly string[]): string[] {
  const nb = big.length;
  const out = new Array<string>(nb + small.length);
  let w = 0;
  let i = 0;
  for (let k = 0; k < small.length; k++) {
    const y = small[k]!;
    let lo = i;
    let hi = nb;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (big[mid]! < y) lo = mid + 1;
      else hi = mid;
    }
    while (i < lo) out[w++] = big[i++]!;
    if (i < nb && big[i] === y) continue; // in both: taken from `big`
    out[w++] = y;
  }
  while (i < nb) out[w++] = big[i++]!;
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

/** Key distance between consecutive new maxima: room for `log2(KEY_STEP)` ids placed between two. */
const KEY_STEP = 1024;
/**
 * Past this, a break restarts the keys: a gap of `KEY_STEP` between doubles this large halves only
 * ~12 times before two keys meet (near 0, ~60 times).
 */
const KEY_LIMIT = 2 ** 50;
/**
 * How many of the latest pushes an id that arrives below the largest one so far is placed among
 * (a power of two: the ring is indexed by `seq & (RECENT - 1)`).
 */
const RECENT = 32;

/**
 * Lineage ids of many open windows in one arena: each window holds the head of a singly linked
 * list of slots (`-1` = empty); slots of evicted windows go to a stack of free slots. No
 * per-window arrays grow on the hot path, which is what keeps keyed windows with few records each
 * cheap.
 *
 * Order without sorting strings: every push gets an *order key*, a number whose order is the ids'
 * string order among all pushes since the latest *break*. An id above every id so far (ids that
 * grow with time: sequence numbers, ULIDs, UUIDv7) gets the largest key plus `KEY_STEP`; an id
 * equal to one already placed gets its key; an id below the largest is placed among the latest
 * `RECENT` pushes — between the keys of its neighbours there (a few records out of id order, e.g.
 * equal event times fed in another order) — when it is above every id pushed before them and none
 * of them was released since, else it is a break (as is a {@link concat}, and running out of room
 * between two keys). A list whose first push came after the latest break is collected by its keys,
 * without a string comparison, and can keep its keys (see {@link collect}) so that
 * {@link unionIds} merges it with others of the same run by key; a list begun before the latest
 * break is sorted by its ids. Each push costs one string comparison (with the largest id) when in
 * order, up to `2 × RECENT` when not.
 */
export class IdArena {
  private ids: string[] = [];
  private links = new Int32Array(4096);
  /** Per slot: the order key of its push. */
  private keys = new Float64Array(4096);
  /** Free slots (a stack: popping one reads no slot, unlike a linked free list). */
  private free = new Int32Array(4096);
  private freeTop = 0;
  private used = 0;
  /** Pushes so far (the next push's sequence number). */
  private seq = 0;
  /** Sequence number of the latest break (see the class comment); -1: none yet. */
  private lastBreak = -1;
  /** Sequence number of the latest push that started the keys afresh (the first, or a break but a concat's). */
  private lastRestart = 0;
  /** The largest id since the latest restart, and (`maxKey`) its key (undefined: no push yet). */
  private maxId: string | undefined;
  /** Sequence number of the first push of the largest id. */
  private maxSince = 0;
  /**
   * Sequence number of the latest push out of push order: an id placed below the largest, or the
   * largest again into a list that has it (-1: none). A list begun after it and after the latest
   * break is strictly increasing in push order.
   */
  private lastIrregular = -1;
  /**
   * The latest pushes, push `seq` at `seq & (RECENT - 1)`: its slot (released or reused since,
   * perhaps), and the key of the largest id pushed before it in its run (-∞: none).
   */
  private readonly recentSlots = new Int32Array(RECENT);
  private readonly recentFloorKeys = new Float64Array(RECENT);

  /**
   * @param maxKey where the first run's keys start (they start at 0 after every break); a test
   *   sets it near the limit, where gaps run out of room sooner
   */
  constructor(private maxKey = 0) {}

  /** Slots in use or free (high-water mark). */
  get capacity(): number {
    return this.used;
  }

  /** Prepend `id` to `list`. */
  push(list: IdList, id: string): void {
    const seq = this.seq++;
    const head = list.ids;
    const max = this.maxId;
    const maxKey = this.maxKey;
    let key: number;
    if (max === undefined || id > max) {
      key = maxKey + KEY_STEP;
      if (key > KEY_LIMIT) key = this.restart(seq, id);
      else {
        this.maxId = id;
        this.maxKey = key;
        this.maxSince = seq;
      }
    } else if (id === max) {
      key = maxKey;
      if (head >= 0 && list.idsLast >= this.maxSince) this.lastIrregular = seq; // a duplicate in the list
    } else {
      key = this.place(seq, id);
    }
    let i: number;
    if (this.freeTop > 0) {
      i = this.free[--this.freeTop]!;
    } else {
      i = this.used++;
      if (i >= this.links.length) this.grow();
    }
    this.ids[i] = id;
    this.links[i] = head;
    this.keys[i] = key;
    const at = seq & (RECENT - 1);
    this.recentSlots[at] = i;
    this.recentFloorKeys[at] = this.lastRestart === seq ? Number.NEGATIVE_INFINITY : maxKey;
    list.ids = i;
    if (head < 0) list.idsFirst = seq;
    list.idsLast = seq;
  }

  private grow(): void {
    const links = new Int32Array(this.links.length * 2);
    links.set(this.links);
    this.links = links;
    const keys = new Float64Array(links.length);
    keys.set(this.keys);
    this.keys = keys;
  }

  /**
   * The key of an id below the largest of the run: between its neighbours among the latest pushes,
   * when one of those below it is at least the largest id pushed before them (so every id above it
   * is among them); else, or when one of them was released since (its id is gone), a break.
   */
  private place(seq: number, id: string): number {
    // the pushes of this run before this one, up to RECENT of them
    const n = Math.min(RECENT, seq - this.lastRestart);
    let lo = Number.NEGATIVE_INFINITY;
    let hi = this.maxKey;
    for (let q = seq - n; q < seq; q++) {
      const slot = this.recentSlots[q & (RECENT - 1)]!;
      const other = this.ids[slot]!;
      // released since: its id is gone (an id of "" lands here too: a needless break, never a
      // wrong key). A slot reused since holds a later push, itself in the ring: a harmless repeat.
      if (other === "") return this.restart(seq, id);
      const key = this.keys[slot]!;
      if (other === id) {
        this.lastIrregular = seq;
        return key;
      }
      if (other < id) {
        if (key > lo) lo = key;
      } else if (key < hi) {
        hi = key;
      }
    }
    // a full ring: its oldest push's floor (the largest id before it) must be at most `lo`'s id
    if (n === RECENT && !(lo >= this.recentFloorKeys[seq & (RECENT - 1)]!)) return this.restart(seq, id);
    const key = lo === Number.NEGATIVE_INFINITY ? hi - KEY_STEP : (lo + hi) / 2;
    if (!(key > lo && key < hi)) return this.restart(seq, id);
    this.lastIrregular = seq;
    return key;
  }

  /** A break at push `seq`: `id` starts the order keys afresh. */
  private restart(seq: number, id: string): number {
    this.lastBreak = seq;
    this.lastRestart = seq;
    this.maxId = id;
    this.maxKey = 0;
    this.maxSince = seq;
    return 0;
  }

  /**
   * The list's ids, sorted and duplicate-free. A list pushed after the latest break (see the class
   * comment) is ordered by its keys; otherwise its ids are checked and sorted.
   *
   * @param keyed also record the keys of such a list (when it has `KEYED_MIN` ids or more), so
   *   that {@link unionIds} merges it with others of the same run without comparing ids: for lists
   *   that are merged downstream (a recorded list costs ~10 ns an id, which a list nobody merges
   *   pays for nothing)
   */
  collect(list: IdList, keyed = false): string[] {
    const inRun = list.idsFirst >= this.lastBreak;
    if (inRun && (keyed || list.idsFirst <= this.lastIrregular)) return this.collectByKey(list, keyed);
    const out: string[] = [];
    for (let i = list.ids; i >= 0; i = this.links[i]!) out.push(this.ids[i]!);
    const n = out.length;
    if (n <= 1 || inRun) return markSorted(out.reverse()); // in run, regular: increasing as pushed
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

  /** {@link collect} of a list of the current run (begun after the latest break): by its keys. */
  private collectByKey(list: IdList, keyed: boolean): string[] {
    const out: string[] = [];
    let ordered = true;
    let next = Number.POSITIVE_INFINITY;
    for (let i = list.ids; i >= 0; i = this.links[i]!) {
      const k = this.keys[i]!;
      if (!(k < next)) ordered = false;
      next = k;
      out.push(this.ids[i]!);
    }
    const n = out.length;
    if (n <= 1) return markSorted(out);
    const record = keyed && n >= KEYED_MIN;
    if (ordered && !record) return markSorted(out.reverse());
    let ids = out.reverse();
    let keys = new Array<number>(n);
    let w = n;
    for (let i = list.ids; i >= 0; i = this.links[i]!) keys[--w] = this.keys[i]!;
    if (!ordered) {
      // a few ids out of order, or one twice: the ids by key, equal keys once
      const byKey = keys;
      const order = Array.from({ length: n }, (_, t) => t).sort((x, y) => byKey[x]! - byKey[y]!);
      const sortedIds: string[] = [];
      const sortedKeys: number[] = [];
      for (let j = 0; j < n; j++) {
        const t = order[j]!;
        const k = byKey[t]!;
        if (sortedKeys.length > 0 && sortedKeys[sortedKeys.length - 1] === k) continue;
        sortedKeys.push(k);
        sortedIds.push(ids[t]!);
      }
      ids = sortedIds;
      keys = sortedKeys;
      if (!(keyed && ids.length >= KEYED_MIN)) return markSorted(ids);
    }
    keyedLists.set(ids, new KeyedList(this, this.lastBreak, keys));
    return markSorted(ids);
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
