/**
 * Event-time timers grouped by time: a bucket (array) per distinct timer time and a binary min-heap
 * of the distinct times. Fixed windows share a handful of end times, so firing touches one bucket
 * per window end instead of one heap operation per window.
 */
export class TimerBuckets<S> {
  private readonly buckets = new Map<number, S[]>();
  private readonly heap: number[] = [];
  /** Emptied bucket arrays, reused for new timer times (at most 64 kept). */
  private readonly spare: S[][] = [];

  get size(): number {
    return this.heap.length;
  }

  add(time: number, item: S): void {
    const b = this.buckets.get(time);
    if (b !== undefined) {
      b.push(item);
      return;
    }
    const nb = this.spare.pop() ?? [];
    nb.push(item);
    this.buckets.set(time, nb);
    const h = this.heap;
    let i = h.length;
    h.push(time);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= time) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = time;
  }

  /** Earliest timer time, or +∞ when empty. */
  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0]! : Number.POSITIVE_INFINITY;
  }

  /** Hand back a bucket returned by {@link popBucket} once it has been processed. */
  recycle(bucket: S[]): void {
    bucket.length = 0;
    if (this.spare.length < 64) this.spare.push(bucket);
  }

  /** Remove and return the bucket of the earliest time (call {@link peekTime} first). */
  popBucket(): S[] {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && h[r]! < h[l]! ? r : l;
        if (h[c]! >= last) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    const b = this.buckets.get(top)!;
    this.buckets.delete(top);
    return b;
  }
}
