/**
 * A feed's merge buffer keeps its items in the feed's order — event time, then key — as far as
 * arrival allows: a record that arrives after newer ones of its topic (its key moved to this worker
 * and the broker redelivered it) goes back in its place instead of behind them. A key's own records
 * keep their arrival order (their topic's order), whatever their times.
 */
export interface Ordered {
  readonly eventTime: number;
  readonly key: string;
}

/**
 * Put `p` into `buf` (items before `head` are already released): at the tail when it is not older
 * than the last buffered item — every record of a topic read in order, so this is the only path
 * while keys stay put — and otherwise before the first buffered item that comes after it, but
 * never before a buffered item of its own key.
 */
export function enqueueInOrder<T extends Ordered>(buf: T[], head: number, p: T): void {
  const last = buf.length - 1;
  if (last < head || !comesAfter(buf[last]!, p)) {
    buf.push(p);
    return;
  }
  let lo = head;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comesAfter(buf[mid]!, p)) hi = mid;
    else lo = mid + 1;
  }
  for (let i = last; i >= lo; i--) {
    if (buf[i]!.key === p.key) {
      lo = i + 1;
      break;
    }
  }
  buf.splice(lo, 0, p);
}

/** `a` comes after `b` in a feed's order. */
function comesAfter(a: Ordered, b: Ordered): boolean {
  return a.eventTime > b.eventTime || (a.eventTime === b.eventTime && a.key > b.key);
}
