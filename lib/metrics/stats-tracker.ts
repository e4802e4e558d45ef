import type { RuntimeObserver } from "./runtime-observer.js";

/**
 * The part of the runtime's live stats object (`RunHandle.stats`, updated in place) that maps onto
 * the metrics: monotonic counts by source, sink, reason and tag, acks, nacks, and in-flight work.
 */
export interface RuntimeStatsLike {
  readonly in: Readonly<Record<string, number>>;
  readonly out: Readonly<Record<string, number>>;
  readonly deadLettered: Readonly<Record<string, number>>;
  readonly sideOutputs: Readonly<Record<string, number>>;
  readonly acked: number;
  readonly nacked: number;
  readonly inFlight: number;
}

/**
 * Turns a live stats object into observer reports: each `pull()` reports what grew since the last
 * pull (a count that went down — a new run reusing the object — is taken as a restart from 0).
 * Lets a runtime that only keeps stats feed {@link ConsiliumMetrics} at scrape time.
 */
export class StatsTracker {
  private readonly seen = {
    in: new Map<string, number>(),
    out: new Map<string, number>(),
    deadLettered: new Map<string, number>(),
    sideOutputs: new Map<string, number>(),
    acked: 0,
    nacked: 0,
  };

  constructor(
    private readonly stats: RuntimeStatsLike,
    private readonly observer: RuntimeObserver,
  ) {}

  pull(): void {
    const { stats, observer, seen } = this;
    diffRecord(stats.in, seen.in, (k, n) => observer.onIn(k, n));
    diffRecord(stats.out, seen.out, (k, n) => observer.onOut(k, n));
    diffRecord(stats.deadLettered, seen.deadLettered, (k, n) => observer.onDeadLetter(k, n));
    diffRecord(stats.sideOutputs, seen.sideOutputs, (k, n) => observer.onSide(k, n));
    const acked = grow(seen.acked, stats.acked);
    seen.acked = stats.acked;
    if (acked > 0) observer.onAck(acked);
    const nacked = grow(seen.nacked, stats.nacked);
    seen.nacked = stats.nacked;
    if (nacked > 0) observer.onNack(nacked);
    observer.onInFlight?.(stats.inFlight);
  }
}

function grow(before: number, now: number): number {
  return now >= before ? now - before : now;
}

function diffRecord(
  now: Readonly<Record<string, number>>,
  seen: Map<string, number>,
  report: (key: string, n: number) => void,
): void {
  for (const key of Object.keys(now)) {
    const value = now[key]!;
    const before = seen.get(key);
    const n = grow(before ?? 0, value);
    seen.set(key, value);
    if (n > 0 || before === undefined) report(key, n); // a new key shows up, even at 0
  }
}
