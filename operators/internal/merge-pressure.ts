import { BehaviorSubject, distinctUntilChanged, type Observable } from "rxjs";

/**
 * Backpressure signal of a priority merge, one flag per input: `true` while that input should stop
 * producing. A pull-based source (a Pulsar consumer's receive loop, a file reader) checks
 * `isPaused(i)` before pulling the next message and waits for `paused$(i)` to emit `false`.
 *
 * The merge pauses only inputs whose watermark is ahead of the merged watermark: the slowest
 * input(s) are the ones whose progress releases the buffer, so they are never paused (no deadlock).
 */
export class MergePressure {
  private readonly flags: BehaviorSubject<boolean>[];

  constructor(readonly inputs: number) {
    this.flags = Array.from({ length: inputs }, () => new BehaviorSubject(false));
  }

  /** Emits the current flag of input `i`, then every change. */
  paused$(i: number): Observable<boolean> {
    return this.flag(i).pipe(distinctUntilChanged());
  }

  isPaused(i: number): boolean {
    return this.flag(i).getValue();
  }

  /** Called by the merge. */
  set(i: number, paused: boolean): void {
    const f = this.flag(i);
    if (f.getValue() !== paused) f.next(paused);
  }

  private flag(i: number): BehaviorSubject<boolean> {
    const f = this.flags[i];
    if (f === undefined) throw new RangeError(`no input ${i} (merge has ${this.inputs})`);
    return f;
  }
}
