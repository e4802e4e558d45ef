import { PriorityQueue } from "@datastructures-js/priority-queue";
import type { Subscriber } from "rxjs";
import { type Envelope, type StreamItem, type Watermark, SideTag, sideOutput } from "../../lib/stream/item.js";
import { unionIds } from "./lineage.js";
import type { ItemHandler } from "./operate.js";
import type { Accumulation, EmitMode, Firing, WindowAggregator } from "./window-types.js";

/**
 * The event-time window engine behind the tumbling, hopping and session window operators (and the
 * signal aggregation and portfolio batching built on them).
 *
 * State: `Map<key, WindowState[]>` (the open windows of each key) plus one timer heap ordered by
 * (timer time, key, window start): the documented total order in which windows fire. A window's
 * timer is at `end - 1` (its last millisecond) until it fires, then at `end - 1 + allowedLateness`,
 * when it is evicted. Watermarks are forwarded after everything they close.
 */

/** Fixed windows (tumbling: `advance === size`; hopping: `advance < size`) or session windows. */
export type WindowAssigner =
  | { readonly kind: "fixed"; readonly size: number; readonly advance: number; readonly offset: number }
  | { readonly kind: "session"; readonly gap: number };

/** A window's mutable state (exposed read-only to the output projection). */
export interface WindowState<A> {
  readonly key: string;
  start: number;
  end: number;
  acc: A;
  count: number;
  ids: (readonly string[])[];
  fired: boolean;
  alive: boolean;
  timerAt: number;
}

interface Timer<A> {
  readonly time: number;
  readonly key: string;
  readonly start: number;
  readonly state: WindowState<A>;
}

function compareTimers<A>(a: Timer<A>, b: Timer<A>): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.start - b.start;
}

export interface WindowEngineConfig<T, A, Out> {
  readonly assigner: WindowAssigner;
  readonly keyOf: (value: T, record: Envelope<T>) => string;
  readonly aggregate: WindowAggregator<T, A, unknown>;
  readonly emit: EmitMode;
  readonly lateness: number;
  readonly accumulation: Accumulation;
  /** Build the output record of one firing; `ids` is the sorted union of the window's lineage. */
  readonly project: (state: WindowState<A>, firing: Firing, ids: string[]) => Envelope<Out>;
}

export class WindowEngine<T, A, Out> implements ItemHandler<T> {
  private readonly windows = new Map<string, WindowState<A>[]>();
  private readonly timers = new PriorityQueue<Timer<A>>(compareTimers);
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
  }

  /** Number of open (not yet evicted) windows, over all keys. */
  openWindows(): number {
    let n = 0;
    for (const list of this.windows.values()) n += list.length;
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

  private drain(until: number): void {
    const timers = this.timers;
    while (!timers.isEmpty()) {
      const t = timers.front()!;
      if (t.time > until) break;
      timers.dequeue();
      const st = t.state;
      if (!st.alive || st.timerAt !== t.time) continue;
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
    const lateness = this.cfg.lateness;
    if (end - 1 + lateness <= this.wm) return false;
    let list = this.windows.get(key);
    let st: WindowState<A> | undefined;
    if (list === undefined) {
      list = [];
      this.windows.set(key, list);
    } else {
      for (let i = 0; i < list.length; i++) {
        const w = list[i]!;
        if (w.start === start) {
          st = w;
          break;
        }
      }
    }
    if (st === undefined) {
      st = this.newState(key, start, end);
      list.push(st);
    }
    this.addRecord(st, rec);
    return true;
  }

  private newState(key: string, start: number, end: number): WindowState<A> {
    return {
      key,
      start,
      end,
      acc: this.cfg.aggregate.create(),
      count: 0,
      ids: [],
      fired: false,
      alive: true,
      timerAt: Number.NaN,
    };
  }

  /** Add a record to a live window, then fire / schedule as its position against the watermark says. */
  private addRecord(st: WindowState<A>, rec: Envelope<T>): void {
    st.acc = this.cfg.aggregate.add(st.acc, rec.value, rec);
    st.count++;
    st.ids.push(rec.ids);
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
    let list = this.windows.get(key);
    let target: WindowState<A> | undefined;
    let start = t;
    let end = t + gap;
    if (list !== undefined) {
      // Sessions of a key are disjoint; the new [t, t + gap) overlaps a contiguous run of them.
      for (let i = 0; i < list.length; i++) {
        const w = list[i]!;
        if (w.start < t + gap && t < w.end) {
          if (w.start < start) start = w.start;
          if (w.end > end) end = w.end;
          if (target === undefined || w.start < target.start) target = w;
        }
      }
    }
    if (target === undefined) {
      if (end - 1 + this.cfg.lateness <= this.wm) return false;
      if (list === undefined) {
        list = [];
        this.windows.set(key, list);
      }
      const st = this.newState(key, start, end);
      list.push(st);
      this.addRecord(st, rec);
      return true;
    }
    const merge = this.cfg.aggregate.merge;
    for (let i = list!.length - 1; i >= 0; i--) {
      const w = list![i]!;
      if (w === target || !(w.start < t + gap && t < w.end)) continue;
      if (merge === undefined) throw new TypeError("session windows need an aggregator with merge()");
      target.acc = merge(target.acc, w.acc);
      target.count += w.count;
      for (const ids of w.ids) target.ids.push(ids);
      w.alive = false;
      list!.splice(i, 1);
    }
    target.start = start;
    target.end = end;
    this.addRecord(target, rec);
    return true;
  }

  private schedule(st: WindowState<A>): void {
    const at = st.fired ? st.end - 1 + this.cfg.lateness : st.end - 1;
    if (st.timerAt === at) return;
    st.timerAt = at;
    this.timers.enqueue({ time: at, key: st.key, start: st.start, state: st });
  }

  private fire(st: WindowState<A>, firing: Firing): void {
    const discarding = this.cfg.accumulation === "discarding";
    if (discarding && st.count === 0) return;
    this.out.next(this.cfg.project(st, firing, unionIds(st.ids)));
    if (discarding) {
      st.acc = this.cfg.aggregate.create();
      st.count = 0;
      st.ids = [];
    }
  }

  private evict(st: WindowState<A>): void {
    st.alive = false;
    const list = this.windows.get(st.key);
    if (list === undefined) return;
    const i = list.indexOf(st);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.windows.delete(st.key);
  }
}
