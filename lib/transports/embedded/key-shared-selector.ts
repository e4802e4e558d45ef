import { murmur3 } from "./murmur3.js";

/** Size of Pulsar's Key_Shared hash space: a key's slot is `murmur3(key) % 65536`. */
export const HASH_RANGE_SIZE = 65536;

interface Range<C> {
  start: number;
  end: number;
  owner: C;
}

const slotCache = new Map<string, number>();
const SLOT_CACHE_LIMIT = 16_384;

/** The hash slot of a sticky key (see {@link HASH_RANGE_SIZE}); recent keys are memoised. */
export function keySlot(key: string): number {
  let slot = slotCache.get(key);
  if (slot === undefined) {
    slot = murmur3(key) % HASH_RANGE_SIZE;
    if (slotCache.size >= SLOT_CACHE_LIMIT) slotCache.clear();
    slotCache.set(key, slot);
  }
  return slot;
}

/**
 * Assigns Key_Shared hash ranges to consumers the way Pulsar's auto-split selector does: the
 * first consumer owns the whole range [0, 65535]; each newcomer takes the upper half of the
 * currently largest range (the first of equals); a leaving consumer's ranges merge into their
 * lower neighbour (or the upper one for the lowest range). Every slot has exactly one owner
 * while there is at least one consumer, so each key goes to exactly one consumer.
 */
export class KeySharedSelector<C> {
  private ranges: Range<C>[] = [];

  get size(): number {
    return this.ranges.length;
  }

  add(owner: C): void {
    if (this.ranges.length === 0) {
      this.ranges.push({ start: 0, end: HASH_RANGE_SIZE - 1, owner });
      return;
    }
    let largest = 0;
    for (let i = 1; i < this.ranges.length; i++) {
      const r = this.ranges[i]!;
      const l = this.ranges[largest]!;
      if (r.end - r.start > l.end - l.start) largest = i;
    }
    const r = this.ranges[largest]!;
    if (r.end === r.start) throw new RangeError("no hash range left to split for a new Key_Shared consumer");
    const mid = r.start + Math.floor((r.end - r.start) / 2);
    this.ranges.splice(largest + 1, 0, { start: mid + 1, end: r.end, owner });
    r.end = mid;
  }

  remove(owner: C): void {
    for (let i = 0; i < this.ranges.length; ) {
      const r = this.ranges[i]!;
      if (r.owner !== owner) {
        i++;
        continue;
      }
      this.ranges.splice(i, 1);
      if (this.ranges.length === 0) return;
      if (i > 0) this.ranges[i - 1]!.end = r.end;
      else this.ranges[0]!.start = r.start;
    }
    // merge neighbours with the same owner
    for (let i = 1; i < this.ranges.length; ) {
      const prev = this.ranges[i - 1]!;
      const cur = this.ranges[i]!;
      if (prev.owner === cur.owner) {
        prev.end = cur.end;
        this.ranges.splice(i, 1);
      } else i++;
    }
  }

  /** The owner of a hash slot; `undefined` only when there are no consumers. */
  select(slot: number): C | undefined {
    const rs = this.ranges;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rs[mid]!.end < slot) lo = mid + 1;
      else hi = mid;
    }
    return rs[lo]?.owner;
  }

  /** The ranges as [start, end, owner] triples, lowest first. */
  snapshot(): [number, number, C][] {
    return this.ranges.map((r) => [r.start, r.end, r.owner]);
  }
}
