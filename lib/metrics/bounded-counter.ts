import type { Counter } from "prom-client";

/** Label value that absorbs every value past a counter's cardinality cap. */
export const OVERFLOW_LABEL = "_overflow";

interface Cell {
  readonly child: { inc(value?: number): void };
  pending: number;
}

/**
 * A one-label prom-client counter fed from the hot path at the cost of a Map lookup and an add:
 * increments accumulate in plain numbers and are flushed into prom-client when the registry is
 * collected (scrape, `metricsText()`). At most `maxValues` distinct label values get their own
 * series; further values fold into `_overflow` and are reported through `onOverflow(n)`.
 */
export class BoundedCounter {
  private readonly cells = new Map<string, Cell>();
  private overflow: Cell | undefined;

  constructor(
    private readonly counter: Counter<string>,
    private readonly maxValues: number,
    private readonly onOverflow: (n: number) => void,
  ) {}

  /** Add `n` to the series of `value` (0 just creates the series; negative, NaN, ∞ are ignored). */
  add(value: string, n: number): void {
    if (!(n >= 0 && n !== Number.POSITIVE_INFINITY)) return;
    const cell = this.cells.get(value) ?? this.cellFor(value, n);
    cell.pending += n;
  }

  /** Create the series of `value` (at 0, so rates work from its first scrape), or the overflow one. */
  private cellFor(value: string, n: number): Cell {
    if (this.cells.size >= this.maxValues) {
      this.onOverflow(n);
      this.overflow ??= { child: this.counter.labels(OVERFLOW_LABEL), pending: 0 };
      return this.overflow;
    }
    const cell: Cell = { child: this.counter.labels(value), pending: 0 };
    cell.child.inc(0);
    this.cells.set(value, cell);
    return cell;
  }

  /** Number of label values with their own series (the overflow series not included). */
  get size(): number {
    return this.cells.size;
  }

  /** Move pending increments into prom-client. */
  flush(): void {
    for (const cell of this.cells.values()) {
      if (cell.pending > 0) {
        cell.child.inc(cell.pending);
        cell.pending = 0;
      }
    }
    if (this.overflow !== undefined && this.overflow.pending > 0) {
      this.overflow.child.inc(this.overflow.pending);
      this.overflow.pending = 0;
    }
  }
}
