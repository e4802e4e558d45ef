import type { Subscriber } from "rxjs";
import { type Envelope, type StreamItem, type Watermark, SideTag, sideOutput } from "../../lib/stream/item.js";
import { IdArena, type IdList, unionIds } from "./lineage.js";
import type { ItemHandler } from "./operate.js";
import { TimerBuckets } from "./timer-buckets.js";
import type { Accumulation, EmitMode, Firing, WindowAggregator } from "./window-types.js";

/**
 * The event-time window engine behind the tumbling, hopping and session window operators (and the
 * signal aggregation and portfolio batching built on them).
 *
 * State: `Map<key, WindowState[]>` (the open windows of each key) plus timers bucketed by time;
 * a bucket is processed in (key, window start) order, so windows fire in the documented total order
 * (timer time, key, window start). A window's timer is at `end - 1` (its last millisecond) until it
 * fires, then at `end - 1 + allowedLateness`, when it is evicted. A window keeps at most one live
 * timer (`timerAt`); a session that grows keeps its earlier timer, which re-arms itself at the new
 * end when it comes due. Watermarks are forwarded after everything they close.
 */

/** Fixed windows (tumbling: `advance === size`; hopping: `advance < size`) or session windows. */
export type WindowAssigner =
  | { readonly kind: "fixed"; readonly size: number; readonly advance: number; readonly offset: number }
  | { readonly kind: "session"; readonly gap: number };

/** A window's mutable state (exposed read-only to the output projection). */
export interface WindowState<A> extends IdList {
  readonly key: string;
  start: number;
  end: number;
  acc: A;
  count: number;
  /** Head of the window's lineage-id list in the engine's {@link IdArena} (-1 = none). */
  ids: number;
  /** The records' id arrays (lineage `"lists"` only). */
  idLists: (readonly string[])[] | undefined;
  idsFirst: number;
  idsLast: number;
  fired: boolean;
  alive: boolean;
  timerAt: number;
  /** Next open window of the same key (per-key chain; a key rarely has more than a few). */
  next: WindowState<A> | undefined;
  /** The key's entry in the engine's key map (so evicting a window needs no map lookup). */
  readonly slot: KeySlot<A>;
}

/** A key's entry in the key map: the head of its chain of open windows (`undefined`: none). */
export interface KeySlot<A> {
  head: WindowState<A> | undefined;
  /**
   * The key's position among the keys of the last large bucket sorted by key (valid while
   * `rankEpoch` is the engine's current one): lets the next bucket of the same keys be ordered
   * by placement instead of a comparison sort.
   */
  rank: number;
  rankEpoch: number;
}

/** Firing order within one timer time: key, then window start. */
function compareStates<A>(a: WindowState<A>, b: WindowState<A>): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.start - b.start;
}

/**
 * Stable in-place sort of a small bucket by {@link compareStates} (the order `Array#sort` gives),
 * without a comparator call per comparison.
 */
function insertionSort<A>(b: WindowState<A>[]): void {
  for (let i = 1; i < b.length; i++) {
    const x = b[i]!;
    const key = x.key;
    const start = x.start;
    let j = i - 1;
    for (; j >= 0; j--) {
      const y = b[j]!;
      // stop once y <= x (equal elements keep their order)
      if (y.key === key ? !(y.start - start > 0) : y.key < key) break;
      b[j + 1] = y;
    }
    b[j + 1] = x;
  }
}

export interface WindowEngineConfig<T, A, Out> {
  readonly assigner: WindowAssigner;
  readonly keyOf: (value: T, record: Envelope<T>) => string;
  readonly aggregate: WindowAggregator<T, A, unknown>;
  readonly emit: EmitMode;
  readonly lateness: number;
  readonly accumulation: Accumulation;
  /**
   * How a window keeps its records' lineage ids: `"ids"` (default) pushes each id into the engine's
   * arena, which orders them by keys given as they arrive (in id order, or nearly: see `IdArena`)
   * and sorts them at firing otherwise — cheapest for records with one id
   * each; `"lists"` keeps each record's id array and merges them at firing — for records that
   * carry many ids, already sorted (net signals into a portfolio batch).
   */
  readonly lineage?: "ids" | "lists";
  /**
   * With `"ids"`: each firing's id list keeps the arena's order keys, so that a union downstream
   * merges the lists by key instead of by id (see `unionIds`) — for windows whose outputs are
   * merged (net signals, batched per portfolio). Costs ~10 ns an id at firing. Default false.
   */
  readonly orderKeys?: boolean;
  /** Build the output record of one firing; `ids` is the sorted union of the window's lineage. */
  readonly project: (state: WindowState<A>, firing: Firing, ids: string[]) => Envelope<Out>;
}

export class WindowEngine<T, A, Out> implements ItemHandler<T> {
  /**
   * Each key's slot (head of its chain of open windows; windows point back to it, so creating and
   * evicting a window needs no map operation). A key whose windows were all evicted keeps its slot
   * with head `undefined` (so the key's next window needs no delete and fresh insert); such keys are swept out once they outnumber twice the most keys with open
   * windows since the last sweep (and 1024): a map within three times that high-water mark. (Not
   * the current live count: right after a window end fires, a tumbling window's keys are all
   * empty, and would all be deleted and inserted again per window.)
   */
  private readonly windows = new Map<string, KeySlot<A>>();
  /** Keys with at least one open window (the map's other entries are `undefined`). */
  private liveKeys = 0;
  /** Most keys with open windows since the last sweep. */
  private liveHigh = 0;
  /** Current key-rank epoch (0: none yet) and the placement array of {@link sortLarge}. */
  private rankEpoch = 0;
  private readonly rankScratch: (WindowState<A> | undefined)[] = [];
  private readonly timers = new TimerBuckets<WindowState<A>>();
  private readonly arena = new IdArena();
  private readonly lists: boolean;
  private readonly orderKeys: boolean;
  private wm = Number.NEGATIVE_INFINITY;
  private readonly size: number;
  private readonly advance: number;
  private readonly offset: number;
  private readonly gap: number;
  private readonly session: boolean;

  constructor(
    private readonly out: Subscriber<StreamItem<Out>>,
    private readonly cfg: WindowEngineConfig<T, A, Out>,
  ) {
    const a = cfg.assigner;
    this.session = a.kind === "session";
    this.size = a.kind === "fixed" ? a.size : 0;
    this.advance = a.kind === "fixed" ? a.advance : 0;
    this.offset = a.kind === "fixed" ? a.offset : 0;
    this.gap = a.kind === "session" ? a.gap : 0;
    this.lists = cfg.lineage === "lists";
    this.orderKeys = cfg.orderKeys === true;
  }

  /** Number of open (not yet evicted) windows, over all keys. */
  openWindows(): number {
    let n = 0;
    for (const slot of this.windows.values()) {
      for (let w = slot.head; w !== undefined; w = w.next) n++;
    }
    return n;
  }

  next(item: StreamItem<T>): void {
    if (item.kind === "record") {
      const accepted = this.session ? this.addSession(item) : this.addFixed(item);
      if (!accepted) this.out.next(sideOutput(SideTag.late, "beyond-allowed-lateness", item));
    } else if (item.kind === "watermark") {
      this.onWatermark(item);
    } else {
      this.out.next(item);
    }
  }

  complete(): void {
    this.drain(Number.POSITIVE_INFINITY);
  }

  private onWatermark(item: Watermark): void {
    if (!(item.time > this.wm)) return;
    this.wm = item.time;
    this.drain(item.time);
    this.out.next(item);
  }

  /**
   * Sort a large bucket in (key, start) order. When every window's key was ranked by the latest
   * comparison sort and no two windows share a key, the order is the rank order: the windows are
   * placed by rank, O(n + ranked keys). Otherwise a comparison sort, after which the bucket's keys
   * are ranked afresh (a new epoch, so ranks of different sorts are never mixed).
   */
  private sortLarge(bucket: WindowState<A>[]): void {
    const epoch = this.rankEpoch;
    const placed = this.rankScratch;
    let ok = epoch > 0;
    let n = 0;
    if (ok) {
      for (; n < bucket.length; n++) {
        const slot = bucket[n]!.slot;
        if (slot.rankEpoch !== epoch || placed[slot.rank] !== undefined) {
          ok = false;
          break;
        }
        placed[slot.rank] = bucket[n]!;
      }
    }
    if (ok) {
      let w = 0;
      for (let r = 0; r < placed.length; r++) {
        const st = placed[r];
        if (st !== undefined) {
          bucket[w++] = st;
          placed[r] = undefined;
        }
      }
      return;
    }
    for (let i = 0; i < n; i++) placed[bucket[i]!.slot.rank] = undefined;
    bucket.sort(compareStates);
    const next = epoch + 1;
    this.rankEpoch = next;
    let rank = -1;
    let prev: string | undefined;
    for (let i = 0; i < bucket.length; i++) {
      const st = bucket[i]!;
      if (i === 0 || st.key !== prev) rank++;
      prev = st.key;
      st.slot.rank = rank;
      st.slot.rankEpoch = next;
    }
    placed.length = rank + 1;
  }

  private drain(until: number): void {
    const timers = this.timers;
    while (timers.size > 0 && timers.peekTime() <= until) {
      const time = timers.peekTime();
      const bucket = timers.popBucket();
      if (bucket.length > 16) this.sortLarge(bucket);
      else if (bucket.length > 1) insertionSort(bucket);
      for (let i = 0; i < bucket.length; i++) {
        const st = bucket[i]!;
        if (!st.alive || st.timerAt !== time) continue;
        st.timerAt = Number.NaN;
        const due = st.fired ? st.end - 1 + this.cfg.lateness : st.end - 1;
        if (due > time) {
          // the window grew (session) since this timer was set: re-arm at its new due time
          st.timerAt = due;
          timers.add(due, st);
          continue;
        }
        if (!st.fired) {
          st.fired = true;
          this.fire(st, "final");
          if (this.cfg.lateness > 0) {
            this.schedule(st);
            continue;
          }
        }
        this.evict(st);
      }
      timers.recycle(bucket);
    }
  }

  private addFixed(rec: Envelope<T>): boolean {
    const t = rec.eventTime;
    const size = this.size;
    const advance = this.advance;
    const m = (t - this.offset) % advance;
    const last = t - (m < 0 ? m + advance : m);
    let first = last;
    while (first - advance > t - size) first -= advance;
    const key = this.cfg.keyOf(rec.value, rec);
    let accepted = false;
    for (let s = first; s <= last; s += advance) {
      if (this.addToFixed(key, s, s + size, rec)) accepted = true;
    }
    return accepted;
  }

  private addToFixed(key: string, start: number, end: number, rec: Envelope<T>): boolean {
    if (end - 1 + this.cfg.lateness <= this.wm) return false;
    const slot = this.slotOf(key);
    const head = slot.head;
    let st = head;
    while (st !== undefined && st.start !== start) st = st.next;
    if (st === undefined) {
      st = this.newState(slot, key, start, end, head);
      if (head === undefined && ++this.liveKeys > this.liveHigh) this.liveHigh = this.liveKeys;
      slot.head = st;
    }
    this.addRecord(st, rec);
    return true;
  }

  /** The key's map entry, created (empty) on the key's first window. */
  private slotOf(key: string): KeySlot<A> {
    let slot = this.windows.get(key);
    if (slot === undefined) {
      slot = { head: undefined, rank: 0, rankEpoch: 0 };
      this.windows.set(key, slot);
    }
    return slot;
  }

  private newState(
    slot: KeySlot<A>,
    key: string,
    start: number,
    end: number,
    next: WindowState<A> | undefined,
  ): WindowState<A> {
    return {
      key,
      start,
      end,
      acc: this.cfg.aggregate.create(),
      count: 0,
      ids: -1,
      idLists: this.lists ? [] : undefined,
      idsFirst: 0,
      idsLast: 0,
      fired: false,
      alive: true,
      timerAt: Number.NaN,
      next,
      slot,
    };
  }

  /** Add a record to a live window, then fire / schedule as its position against the watermark says. */
  private addRecord(st: WindowState<A>, rec: Envelope<T>): void {
    st.acc = this.cfg.aggregate.add(st.acc, rec.value, rec);
    st.count++;
    const ids = rec.ids;
    if (st.idLists !== undefined) st.idLists.push(ids);
    else for (let i = 0; i < ids.length; i++) this.arena.push(st, ids[i]!);
    if (st.end - 1 <= this.wm) {
      st.fired = true;
      this.fire(st, "late");
    } else {
      st.fired = false;
      if (this.cfg.emit === "update") this.fire(st, "update");
    }
    this.schedule(st);
  }

  private addSession(rec: Envelope<T>): boolean {
    const t = rec.eventTime;
    const gap = this.gap;
    const key = this.cfg.keyOf(rec.value, rec);
    const slot = this.slotOf(key);
    const head = slot.head;
    let target: WindowState<A> | undefined;
    let start = t;
    let end = t + gap;
    // Sessions of a key are disjoint; the new [t, t + gap) overlaps a contiguous run of them.
    for (let w = head; w !== undefined; w = w.next) {
      if (w.start < t + gap && t < w.end) {
        if (w.start < start) start = w.start;
        if (w.end > end) end = w.end;
        if (target === undefined || w.start < target.start) target = w;
      }
    }
    if (target === undefined) {
      if (end - 1 + this.cfg.lateness <= this.wm) return false;
      const st = this.newState(slot, key, start, end, head);
      if (head === undefined && ++this.liveKeys > this.liveHigh) this.liveHigh = this.liveKeys;
      slot.head = st;
      this.addRecord(st, rec);
      return true;
    }
    const merge = this.cfg.aggregate.merge;
    for (let w = head; w !== undefined; w = w.next) {
      if (w === target || !(w.start < t + gap && t < w.end)) continue;
      if (merge === undefined) throw new TypeError("session windows need an aggregator with merge()");
      target.acc = merge(target.acc, w.acc);
      target.count += w.count;
      if (target.idLists !== undefined) for (const l of w.idLists!) target.idLists.push(l);
      else this.arena.concat(target, w);
      this.evict(w);
    }
    target.start = start;
    target.end = end;
    this.addRecord(target, rec);
    return true;
  }

  private schedule(st: WindowState<A>): void {
    const at = st.fired ? st.end - 1 + this.cfg.lateness : st.end - 1;
    if (at >= st.timerAt) return; // an earlier (or equal) timer is pending; it re-arms if needed
    st.timerAt = at;
    this.timers.add(at, st);
  }

  private fire(st: WindowState<A>, firing: Firing): void {
    const discarding = this.cfg.accumulation === "discarding";
    if (discarding && st.count === 0) return;
    const ids = st.idLists !== undefined ? unionIds(st.idLists) : this.arena.collect(st, this.orderKeys);
    this.out.next(this.cfg.project(st, firing, ids));
    if (discarding) {
      st.acc = this.cfg.aggregate.create();
      st.count = 0;
      if (st.idLists !== undefined) st.idLists.length = 0;
      else this.arena.release(st);
    }
  }

  /** Remove the keys without open windows (amortised O(1) per evicted key). */
  private sweep(): void {
    for (const [k, slot] of this.windows) if (slot.head === undefined) this.windows.delete(k);
    this.liveHigh = this.liveKeys;
  }

  private evict(st: WindowState<A>): void {
    st.alive = false;
    if (st.idLists !== undefined) st.idLists.length = 0;
    else this.arena.release(st);
    const slot = st.slot;
    const head = slot.head;
    if (head === st) {
      slot.head = st.next;
      if (st.next === undefined) {
        this.liveKeys--;
        const empty = this.windows.size - this.liveKeys;
        if (empty > 1024 && empty > 2 * this.liveHigh) this.sweep();
      }
      return;
    }
    for (let w = head; w !== undefined; w = w.next) {
      if (w.next === st) {
        w.next = st.next;
        return;
      }
    }
  }
}
