import { PriorityQueue } from "@datastructures-js/priority-queue";
import type { Subscriber } from "rxjs";
import { type Envelope, type StreamItem, SideTag, sideOutput } from "../../lib/stream/item.js";
import { unionIds } from "./lineage.js";
import type { ItemHandler } from "./operate.js";
import type { EmitMode, Firing, WindowAggregator } from "./window-types.js";

/**
 * Engine of the sliding window (Kafka Streams' SlidingWindows): per key, one window per distinct
 * record time `t`, covering `(t - size, t]`, i.e. `[t - size + 1, t + 1)`. Records are kept per
 * key sorted by event time until no live window can contain them (`t + size - 1 + lateness <=
 * watermark`); each firing aggregates its window's records afresh.
 */

interface Timer {
  readonly time: number;
  readonly key: string;
  /** 0 = fire the window ending at `time`; 1 = evict records no window needs any more. */
  readonly kind: 0 | 1;
}

function compareTimers(a: Timer, b: Timer): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.kind - b.kind;
}

export interface SlidingEngineConfig<T, A, Out> {
  readonly size: number;
  readonly lateness: number;
  readonly emit: EmitMode;
  readonly keyOf: (value: T, record: Envelope<T>) => string;
  readonly aggregate: WindowAggregator<T, A, unknown>;
  readonly project: (
    key: string,
    start: number,
    end: number,
    acc: A,
    count: number,
    firing: Firing,
    ids: string[],
  ) => Envelope<Out>;
}

export class SlidingEngine<T, A, Out> implements ItemHandler<T> {
  private readonly byKey = new Map<string, Envelope<T>[]>();
  private readonly timers = new PriorityQueue<Timer>(compareTimers);
  private wm = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly out: Subscriber<StreamItem<Out>>,
    private readonly cfg: SlidingEngineConfig<T, A, Out>,
  ) {}

  /** Records held, over all keys. */
  heldRecords(): number {
    let n = 0;
    for (const l of this.byKey.values()) n += l.length;
    return n;
  }

  next(item: StreamItem<T>): void {
    if (item.kind === "record") this.onRecord(item);
    else if (item.kind === "watermark") {
      if (!(item.time > this.wm)) return;
      this.wm = item.time;
      this.drain(item.time);
      this.out.next(item);
    } else this.out.next(item);
  }

  complete(): void {
    this.wm = Number.POSITIVE_INFINITY;
    this.drain(Number.POSITIVE_INFINITY);
  }

  private onRecord(rec: Envelope<T>): void {
    const { size, lateness } = this.cfg;
    const wm = this.wm;
    const t = rec.eventTime;
    const key = this.cfg.keyOf(rec.value, rec);
    let list = this.byKey.get(key);
    // insertion point: after every record with time <= t
    let lo = 0;
    let hi = list === undefined ? 0 : list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list![mid]!.eventTime <= t) lo = mid + 1;
      else hi = mid;
    }
    const isNewTime = !(lo > 0 && list![lo - 1]!.eventTime === t);
    // later windows (existing record times in (t, t + size)) that are still alive
    const affected: number[] = [];
    if (list !== undefined) {
      for (let i = lo; i < list.length; i++) {
        const u = list[i]!.eventTime;
        if (u > t + size - 1) break;
        if (u + lateness > wm && affected[affected.length - 1] !== u) affected.push(u);
      }
    }
    const ownAlive = t + lateness > wm;
    if (!ownAlive && affected.length === 0) {
      this.out.next(sideOutput(SideTag.late, "beyond-allowed-lateness", rec));
      return;
    }
    if (list === undefined) {
      list = [];
      this.byKey.set(key, list);
    }
    list.splice(lo, 0, rec);
    if (isNewTime) {
      if (t > wm) this.timers.enqueue({ time: t, key, kind: 0 });
      this.timers.enqueue({ time: t + size - 1 + lateness, key, kind: 1 });
    }
    if (ownAlive) this.touch(key, list, t);
    for (const u of affected) this.touch(key, list, u);
  }

  /** A window gained a record: re-fire it if it already closed, or emit an update in update mode. */
  private touch(key: string, list: Envelope<T>[], windowTime: number): void {
    if (windowTime <= this.wm) this.fire(key, list, windowTime, "late");
    else if (this.cfg.emit === "update") this.fire(key, list, windowTime, "update");
  }

  private drain(until: number): void {
    const timers = this.timers;
    while (!timers.isEmpty()) {
      const tm = timers.front()!;
      if (tm.time > until) break;
      timers.dequeue();
      const list = this.byKey.get(tm.key);
      if (list === undefined) continue;
      if (tm.kind === 0) {
        this.fire(tm.key, list, tm.time, "final");
      } else {
        const { size, lateness } = this.cfg;
        let n = 0;
        while (n < list.length && list[n]!.eventTime + size - 1 + lateness <= tm.time) n++;
        if (n === list.length) this.byKey.delete(tm.key);
        else if (n > 0) list.splice(0, n);
      }
    }
  }

  private fire(key: string, list: Envelope<T>[], windowTime: number, firing: Firing): void {
    const agg = this.cfg.aggregate;
    const from = windowTime - this.cfg.size;
    let acc = agg.create();
    let count = 0;
    const ids: (readonly string[])[] = [];
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (r.eventTime <= from) continue;
      if (r.eventTime > windowTime) break;
      acc = agg.add(acc, r.value, r);
      count++;
      ids.push(r.ids);
    }
    this.out.next(this.cfg.project(key, from + 1, windowTime + 1, acc, count, firing, unionIds(ids)));
  }
}
