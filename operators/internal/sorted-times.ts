/**
 * A set of numbers taken out smallest first, for values that mostly arrive in increasing order
 * (watermark values): adding a value above the largest is an array store, taking the smallest an
 * index step. Out-of-order values are inserted by binary search; repeats are ignored.
 *
 * It replaces a binary heap on the priority merge's per-watermark path, where the heap's two
 * sift operations were most of a watermark's cost between window closes.
 */
export class SortedTimes {
  /** The values are `a[head..end)`, ascending; slots past `end` are stale. */
  private a: number[] = [];
  private head = 0;
  private end = 0;

  get size(): number {
    return this.end - this.head;
  }

  /** The smallest value; undefined when empty. */
  first(): number | undefined {
    return this.head < this.end ? this.a[this.head] : undefined;
  }

  /** Add `t` (NaN is ignored: it has no place in the order). */
  add(t: number): void {
    const a = this.a;
    if (this.head === this.end) {
      if (Number.isNaN(t)) return;
      // empty: start over at the front (no length change: the stale slots are overwritten)
      this.head = 0;
      this.end = 1;
      a[0] = t;
      return;
    }
    const end = this.end;
    if (t > a[end - 1]!) {
      a[end] = t;
      this.end = end + 1;
      return;
    }
    if (Number.isNaN(t)) return;
    // first index in [head, end) with a[i] >= t
    let lo = this.head;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    if (a[lo] === t) return;
    for (let i = end; i > lo; i--) a[i] = a[i - 1]!;
    a[lo] = t;
    this.end = end + 1;
  }

  /** Remove and return the smallest value; undefined when empty. */
  shift(): number | undefined {
    if (this.head === this.end) return undefined;
    const t = this.a[this.head++]!;
    if (this.head >= 1024 && 2 * this.head > this.end) {
      // mostly taken: move the rest to the front
      this.a = this.a.slice(this.head, this.end);
      this.end -= this.head;
      this.head = 0;
    }
    return t;
  }
}
