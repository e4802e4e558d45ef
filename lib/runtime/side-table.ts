interface Version<V> {
  readonly t: number;
  readonly v: V;
}

/**
 * A side-input table that answers "as of" the event time of what is being processed: while the
 * runtime pushes a record with event time t (or a watermark t), `get(key)` returns the latest
 * update with time ≤ t. Records that arrive behind the side input — redelivered after a key moved,
 * late, or from a slower topic — therefore see the table as it was at their own event time, which
 * keeps outputs independent of arrival timing and of the worker count.
 *
 * History per key is kept for `historyMs` of event time behind the watermark (plus the newest
 * older version); a record older than that sees the oldest version kept. Outside any push (`now`
 * = +∞) the table is the latest one.
 */
export class AsOfTable<V> implements ReadonlyMap<string, V> {
  private readonly versions = new Map<string, Version<V>[]>();
  /** Keys whose history was pruned: a read older than all kept versions gets the oldest kept. */
  private readonly pruned = new Set<string>();
  private watermark = Number.NEGATIVE_INFINITY;
  /** The event time reads are answered at. */
  now = Number.POSITIVE_INFINITY;

  constructor(private readonly historyMs: number) {}

  /** Apply an update (updates of one key arrive in event-time order from the merge). */
  apply(key: string, t: number, v: V): void {
    let list = this.versions.get(key);
    if (!list) this.versions.set(key, (list = []));
    // Keep the list sorted by time (an out-of-order update is inserted in place).
    let i = list.length;
    while (i > 0 && list[i - 1]!.t > t) i--;
    list.splice(i, 0, { t, v });
    const horizon = this.watermark - this.historyMs;
    while (list.length > 1 && list[1]!.t <= horizon) {
      list.shift();
      this.pruned.add(key);
    }
  }

  advance(watermark: number): void {
    this.watermark = watermark;
  }

  /** The event time from which this table answers reads exactly (older ones may get a pruned version). */
  get exactFrom(): number {
    return this.watermark - this.historyMs;
  }

  /**
   * Copy every version this table keeps into `into` (an empty table), which then answers reads as
   * this one does; returns the versions' event times (unsorted).
   */
  copyInto(into: AsOfTable<V>): number[] {
    const times: number[] = [];
    for (const [key, list] of this.versions) {
      into.versions.set(key, list.slice());
      for (const v of list) times.push(v.t);
    }
    for (const key of this.pruned) into.pruned.add(key);
    return times;
  }

  private at(key: string, list: readonly Version<V>[] | undefined): Version<V> | undefined {
    if (!list || list.length === 0) return undefined;
    const last = list[list.length - 1]!;
    if (last.t <= this.now) return last;
    let lo = 0;
    let hi = list.length - 1;
    if (list[0]!.t > this.now) return this.pruned.has(key) ? list[0] : undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (list[mid]!.t <= this.now) lo = mid;
      else hi = mid - 1;
    }
    return list[lo];
  }

  get(key: string): V | undefined {
    return this.at(key, this.versions.get(key))?.v;
  }

  has(key: string): boolean {
    return this.at(key, this.versions.get(key)) !== undefined;
  }

  get size(): number {
    let n = 0;
    for (const [k, list] of this.versions) if (this.at(k, list)) n++;
    return n;
  }

  *entries(): MapIterator<[string, V]> {
    for (const [k, list] of this.versions) {
      const v = this.at(k, list);
      if (v) yield [k, v.v];
    }
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(cb: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this);
  }
}
