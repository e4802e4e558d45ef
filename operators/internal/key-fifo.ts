/**
 * A set of keys in admission order, each with a number (an expiry), for {@link dedup}: what a
 * `Map<string, number>` used as a FIFO gives (lookup, insert at the back, remove or requeue the
 * front), with the same order, but cheaper on a large, constantly renewed key set:
 *
 * - the order is a ring buffer (key, expiry, hash per slot), so removing at the front is O(1) — a
 *   Map leaves a hole per deleted entry that every scan from the front walks over until a rehash;
 * - lookup is an open-addressing table (linear probing, backward-shift deletion, load <= 1/2) of
 *   (32-bit hash, ring slot) pairs in one Int32Array: a miss usually costs one cache line and no
 *   string comparison, where a Map probe also loads each candidate key.
 *
 * A key re-admitted while still present (an expired key seen again) leaves a dead slot behind in
 * the ring; dead slots are skipped at the front and compacted away when the ring fills up.
 * Keys are compared with SameValueZero, as a Map does. The hash has a fixed seed: layout never
 * affects results, only speed.
 */

/** Marks a dead ring slot (never a key: it is private to this module). */
const DEAD: unknown = Symbol("dead");

const MIN_RING = 1024;
const MIN_TABLE = 2048;

/** FNV-1a over UTF-16 code units, then murmur3's finaliser (spreads the low bits used as index). */
function hashKey(k: unknown): number {
  if (typeof k !== "string") return 0; // not a string key (contract breach): correct, only slow
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function sameKey(a: unknown, b: unknown): boolean {
  return a === b || Object.is(a, b); // SameValueZero: NaN equals NaN, 0 equals -0
}

function pow2AtLeast(n: number, min: number): number {
  let c = min;
  while (c < n) c *= 2;
  return c;
}

export class KeyFifo {
  private qKey: unknown[];
  private qExp: Float64Array;
  private qHash: Int32Array;
  private qMask: number;
  /** Ring index of the front slot. */
  private qHead = 0;
  /** Slots in use, dead ones included. */
  private qLen = 0;
  /** Live keys. */
  private live = 0;
  /** Buckets: [hash, ring slot + 1] pairs; slot + 1 = 0 is an empty bucket. */
  private tab: Int32Array;
  private tMask: number;
  /** Bucket found (or free for insertion) by the last {@link find}. */
  private bucket = 0;
  private hash = 0;

  constructor() {
    this.qKey = new Array<unknown>(MIN_RING);
    this.qExp = new Float64Array(MIN_RING);
    this.qHash = new Int32Array(MIN_RING);
    this.qMask = MIN_RING - 1;
    this.tab = new Int32Array(2 * MIN_TABLE);
    this.tMask = MIN_TABLE - 1;
  }

  /** Number of keys held. */
  get size(): number {
    return this.live;
  }

  /**
   * Ring slot of `key`, or -1. Also makes room for one more key, and remembers the bucket, for an
   * {@link append} (after -1) or a {@link readmit} (after a slot) of this key right after.
   */
  find(key: unknown): number {
    if (this.qLen === this.qMask + 1 || 2 * (this.live + 1) > this.tMask + 1) this.rebuild(this.live + 1);
    const h = hashKey(key);
    const tab = this.tab;
    const mask = this.tMask;
    let b = h & mask;
    for (;;) {
      const p = tab[2 * b + 1]!;
      if (p === 0) break;
      if (tab[2 * b] === h && sameKey(this.qKey[p - 1], key)) {
        this.bucket = b;
        return p - 1;
      }
      b = (b + 1) & mask;
    }
    this.bucket = b;
    this.hash = h;
    return -1;
  }

  /** The value (expiry) held at a ring slot returned by {@link find}. */
  valueAt(slot: number): number {
    return this.qExp[slot]!;
  }

  /** Add `key` (just looked up by {@link find}, absent) at the back. */
  append(key: unknown, value: number): void {
    const slot = this.pushSlot(key, value, this.hash);
    this.tab[2 * this.bucket] = this.hash;
    this.tab[2 * this.bucket + 1] = slot + 1;
    this.live++;
  }

  /** Move `key` (just found by {@link find} at `slot`) to the back with a new value. */
  readmit(slot: number, key: unknown, value: number): void {
    const h = this.qHash[slot]!;
    this.qKey[slot] = DEAD;
    this.tab[2 * this.bucket + 1] = this.pushSlot(key, value, h) + 1;
  }

  /** True when no key is held. Drops dead slots at the front. */
  isEmpty(): boolean {
    this.skipDead();
    return this.live === 0;
  }

  /** Value of the front (oldest admitted) key; call {@link isEmpty} first. */
  frontValue(): number {
    return this.qExp[this.qHead]!;
  }

  /** Forget the front key; call {@link isEmpty} first. */
  removeFront(): void {
    const slot = this.qHead;
    this.unlink(slot);
    this.qKey[slot] = undefined;
    this.qHead = (slot + 1) & this.qMask;
    this.qLen--;
    this.live--;
  }

  /** Move the front key to the back, value unchanged; call {@link isEmpty} first. */
  requeueFront(): void {
    const slot = this.qHead;
    const b = this.bucketOf(slot);
    const key = this.qKey[slot];
    const value = this.qExp[slot]!;
    const h = this.qHash[slot]!;
    this.qKey[slot] = undefined;
    this.qHead = (slot + 1) & this.qMask;
    this.qLen--;
    this.tab[2 * b + 1] = this.pushSlot(key, value, h) + 1;
  }

  private skipDead(): void {
    const qKey = this.qKey;
    while (this.qLen > 0 && qKey[this.qHead] === DEAD) {
      qKey[this.qHead] = undefined;
      this.qHead = (this.qHead + 1) & this.qMask;
      this.qLen--;
    }
  }

  /** Append a slot at the back of the ring (there is room: {@link find} made it). */
  private pushSlot(key: unknown, value: number, h: number): number {
    const slot = (this.qHead + this.qLen) & this.qMask;
    this.qKey[slot] = key;
    this.qExp[slot] = value;
    this.qHash[slot] = h;
    this.qLen++;
    return slot;
  }

  /** The bucket that points at a (live) ring slot. */
  private bucketOf(slot: number): number {
    const tab = this.tab;
    const mask = this.tMask;
    let b = this.qHash[slot]! & mask;
    while (tab[2 * b + 1] !== slot + 1) b = (b + 1) & mask;
    return b;
  }

  /** Remove a live slot's bucket, shifting later entries of its probe run back (no tombstones). */
  private unlink(slot: number): void {
    const tab = this.tab;
    const mask = this.tMask;
    let hole = this.bucketOf(slot);
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const p = tab[2 * j + 1]!;
      if (p === 0) break;
      const home = tab[2 * j]! & mask;
      // the entry at j may fill the hole unless its home lies cyclically in (hole, j]
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        tab[2 * hole] = tab[2 * j]!;
        tab[2 * hole + 1] = p;
        hole = j;
      }
    }
    tab[2 * hole] = 0;
    tab[2 * hole + 1] = 0;
  }

  /**
   * Re-lay the ring (live slots only, in order, from index 0) and the table for `need` keys:
   * ring capacity >= 1.5 × need (so the next rebuild is at least need / 2 appends away), table
   * load <= 1/3 (it is rebuilt again when it passes 1/2).
   */
  private rebuild(need: number): void {
    const ringCap = pow2AtLeast(need + (need >> 1), MIN_RING);
    const tableCap = pow2AtLeast(3 * need, MIN_TABLE);
    const oKey = this.qKey;
    const oExp = this.qExp;
    const oHash = this.qHash;
    const oMask = this.qMask;
    const qKey = new Array<unknown>(ringCap);
    const qExp = new Float64Array(ringCap);
    const qHash = new Int32Array(ringCap);
    const tab = new Int32Array(2 * tableCap);
    const tMask = tableCap - 1;
    let n = 0;
    for (let i = 0; i < this.qLen; i++) {
      const s = (this.qHead + i) & oMask;
      const k = oKey[s];
      if (k === DEAD) continue;
      const h = oHash[s]!;
      qKey[n] = k;
      qExp[n] = oExp[s]!;
      qHash[n] = h;
      let b = h & tMask;
      while (tab[2 * b + 1] !== 0) b = (b + 1) & tMask;
      tab[2 * b] = h;
      tab[2 * b + 1] = n + 1;
      n++;
    }
    this.qKey = qKey;
    this.qExp = qExp;
    this.qHash = qHash;
    this.qMask = ringCap - 1;
    this.qHead = 0;
    this.qLen = n;
    this.tab = tab;
    this.tMask = tMask;
  }
}
