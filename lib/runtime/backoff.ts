import type { SchedulerLike } from "rxjs";
import type { ReconnectOptions } from "./types.js";

/** Wait `ms` on the injected scheduler (a virtual-time scheduler makes this instant in replays). */
export function delay(scheduler: SchedulerLike, ms: number): Promise<void> {
  return new Promise((resolve) => {
    scheduler.schedule(() => resolve(), ms);
  });
}

/** Backoff delay of attempt `n` (0-based): `initial * 2^n`, capped. */
export function backoffDelay(n: number, o: ReconnectOptions = {}): number {
  const initial = o.initialDelayMs ?? 50;
  const max = o.maxDelayMs ?? 5000;
  return Math.min(max, initial * 2 ** Math.min(n, 30));
}

/**
 * Call `fn` until it succeeds, waiting `backoffDelay(attempt)` between failures; after
 * `maxAttempts` consecutive failures (default 20) the last error is thrown. `onRetry` sees each
 * failure (counts reconnects). `isStopped` ends the retries early (throws the last error).
 */
export async function withBackoff<T>(
  fn: () => Promise<T>,
  scheduler: SchedulerLike,
  o: ReconnectOptions = {},
  onRetry?: (e: unknown, attempt: number) => void,
  isStopped?: () => boolean,
): Promise<T> {
  const max = o.maxAttempts ?? 20;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt + 1 >= max || isStopped?.()) throw e;
      onRetry?.(e, attempt);
      await delay(scheduler, backoffDelay(attempt, o));
    }
  }
}
