/**
 * Memoized composite keys `a + SEP + b`. A window operator looks up its per-key state with a
 * composite key on every record; building it afresh makes a new (cons) string each time, which
 * the map lookup must flatten and hash. The decoder hands out the same string object for a
 * repeated field value, so a two-level map from the parts returns one key object per pair, its
 * hash computed once. Memory is bounded: past `limit` distinct pairs the memo starts over
 * (keys are equal by value either way, so this only costs speed).
 */
export class PairKeys {
  private readonly byFirst = new Map<string, Map<string, string>>();
  private size = 0;

  constructor(
    private readonly sep: string,
    private readonly limit = 1 << 16,
  ) {}

  key(a: string, b: string): string {
    let inner = this.byFirst.get(a);
    if (inner === undefined) {
      if (this.size >= this.limit) this.reset();
      inner = new Map();
      this.byFirst.set(a, inner);
    }
    let k = inner.get(b);
    if (k === undefined) {
      if (this.size >= this.limit) {
        this.reset();
        inner = new Map();
        this.byFirst.set(a, inner);
      }
      k = a + this.sep + b;
      inner.set(b, k);
      this.size++;
    }
    return k;
  }

  private reset(): void {
    this.byFirst.clear();
    this.size = 0;
  }
}
