/**
 * The local receive queue of a consumer or reader: messages pushed by the socket wait here until
 * `receive()` / `readNext()` takes them; a taker that finds the queue empty waits (FIFO) for the
 * next push, optionally with a timeout.
 */
export class ReceiveQueue<T> {
  private items: T[] = [];
  private head = 0;
  private readonly waiters = new Set<Waiter<T>>();

  /** Messages buffered and not yet taken. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Hands the item to the oldest waiting taker, or buffers it. */
  push(item: T): void {
    for (const waiter of this.waiters) {
      this.waiters.delete(waiter);
      waiter.settle();
      waiter.resolve(item);
      return;
    }
    this.items.push(item);
  }

  /**
   * The oldest buffered item, or the next one pushed. With `timeoutMs` the promise rejects with
   * `onTimeout()` if nothing arrives in time.
   */
  take(timeoutMs: number | undefined, onTimeout: () => Error): Promise<T> {
    if (this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.items[this.head] = undefined as T;
      this.head++;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve(item);
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject, settle: () => undefined };
      if (timeoutMs !== undefined) {
        const timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(onTimeout());
        }, timeoutMs);
        waiter.settle = () => clearTimeout(timer);
      }
      this.waiters.add(waiter);
    });
  }

  /** Drops every buffered item (waiting takers keep waiting); returns how many were dropped. */
  clear(): number {
    const dropped = this.size;
    this.items = [];
    this.head = 0;
    return dropped;
  }

  /** Drops the buffered items that match; returns how many were dropped. */
  removeWhere(match: (item: T) => boolean): number {
    const kept = this.items.slice(this.head).filter((item) => !match(item));
    const dropped = this.size - kept.length;
    this.items = kept;
    this.head = 0;
    return dropped;
  }

  /** Rejects every waiting taker with `error()` and drops the buffer. */
  failAll(error: () => Error): void {
    for (const waiter of this.waiters) {
      waiter.settle();
      waiter.reject(error());
    }
    this.waiters.clear();
    this.clear();
  }
}

interface Waiter<T> {
  resolve(item: T): void;
  reject(error: Error): void;
  settle(): void;
}
