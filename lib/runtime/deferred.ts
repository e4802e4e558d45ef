import { Observable } from "rxjs";
import type { Topology } from "../topology/types.js";
import { fromNames } from "../topology/validate.js";

/**
 * Work the runtime does after the outputs that sit on a topology's latency path.
 *
 * A watermark that closes a window runs every step after it synchronously: an embedded broker's
 * consumer (like any in-process listener) gets the messages written in that turn only when the
 * turn ends. So the audit and analytics outputs of a window — state updates, analytics — written
 * in the same turn stood between the window's close and its decisions' delivery. Deferred work
 * runs in a task of its own right after the turn, in the order it was queued: sinks marked
 * `deferred`, and every step whose consumers are all deferred and which reads no side input or
 * keyed state (a pure step: running it later gives the same values). Each such step sees the same
 * items in the same order, only later, so its outputs are byte-identical. Side outputs are
 * written at once, by the step that sets them aside, unless their route is `deferred`: then their
 * encoding and write are queued here too.
 *
 * Acks never overtake it: the ack release runs the queue first, so a deferred output takes its
 * ack token before the acks it must hold back are decided.
 */
export class DeferredWork {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;
  private running = false;

  /**
   * @param schedule runs the queue in a task of its own (live runs: the injected scheduler, delay
   *   0); undefined: the queue runs when the runtime calls {@link run} (replays, after each push).
   */
  constructor(private readonly schedule: ((run: () => void) => void) | undefined) {}

  get size(): number {
    return this.queue.length;
  }

  add(task: () => void): void {
    this.queue.push(task);
    if (this.schedule !== undefined && !this.scheduled && !this.running) {
      this.scheduled = true;
      this.schedule(this.runTask);
    }
  }

  /** Run everything queued, including what the tasks queue meanwhile, in order. */
  run(): void {
    if (this.running) return;
    this.running = true;
    try {
      const q = this.queue;
      for (let i = 0; i < q.length; i++) q[i]!();
      q.length = 0;
    } finally {
      this.running = false;
    }
  }

  private readonly runTask = (): void => {
    this.scheduled = false;
    this.run();
  };

  /**
   * `source`'s items, each delivered through the queue (same order, later). `deliver`, if given,
   * wraps each delivery (the runtime uses it to tell which item raised a pipeline error).
   *
   * `options.drop`: items not delivered at all (what the consumer ignores anyway: watermarks, for
   * a sink). `options.coalesce`: items that supersede one another (watermarks, for a step with
   * this one input): one that arrives while this stream's previous item is such an item still
   * waiting in the queue takes its place there. A run of watermarks with nothing between them,
   * all queued in one turn, is then one delivery, of the latest; every other item keeps its
   * place, and each record still comes after the latest watermark that came before it.
   */
  later<T>(
    source: Observable<T>,
    deliver?: (item: T, next: () => void) => void,
    options: { readonly drop?: (item: T) => boolean; readonly coalesce?: (item: T) => boolean } = {},
  ): Observable<T> {
    const { drop, coalesce } = options;
    return new Observable<T>((subscriber) => {
      const send = (item: T) => {
        if (deliver === undefined) subscriber.next(item);
        else deliver(item, () => subscriber.next(item));
      };
      /** The stream's last queued item while it is coalescable and not yet delivered. */
      let waiting: { item: T } | undefined;
      // The closures are made here, not in `next`: a closure over `next`'s own variables would
      // cost a context object on every call, the coalesced and dropped ones included.
      const queueSlot = (slot: { item: T }) =>
        this.add(() => {
          if (waiting === slot) waiting = undefined;
          send(slot.item);
        });
      const queueItem = (item: T) => this.add(() => send(item));
      return source.subscribe({
        next: (item) => {
          if (drop?.(item) === true) return;
          if (coalesce?.(item) === true) {
            if (waiting !== undefined) {
              waiting.item = item;
              return;
            }
            waiting = { item };
            queueSlot(waiting);
            return;
          }
          waiting = undefined;
          queueItem(item);
        },
        error: (e) => subscriber.error(e),
        complete: () => this.add(() => subscriber.complete()),
      });
    });
  }
}

/**
 * The steps that run deferred: those with at least one consumer, every consumer a deferred sink or
 * a deferred step, and no side inputs or keyed state (see {@link DeferredWork}).
 */
export function deferredSteps(topology: Pick<Topology, "order" | "steps" | "sinks">): ReadonlySet<string> {
  const consumers = new Map<string, { step?: string; deferredSink?: boolean }[]>();
  const add = (from: string | readonly string[], c: { step?: string; deferredSink?: boolean }) => {
    for (const f of fromNames(from)) {
      let list = consumers.get(f);
      if (list === undefined) consumers.set(f, (list = []));
      list.push(c);
    }
  };
  for (const [name, step] of Object.entries(topology.steps)) add(step.from, { step: name });
  for (const sink of Object.values(topology.sinks)) add(sink.from, { deferredSink: sink.deferred === true });
  const deferred = new Set<string>();
  // `order` is topological: walking it backwards sees every consumer of a step before the step.
  for (let i = topology.order.length - 1; i >= 0; i--) {
    const name = topology.order[i]!;
    const step = topology.steps[name]!;
    if ((step.sideInputs?.length ?? 0) > 0 || (step.state?.length ?? 0) > 0) continue;
    const cs = consumers.get(name) ?? [];
    if (cs.length > 0 && cs.every((c) => (c.step !== undefined ? deferred.has(c.step) : c.deferredSink))) {
      deferred.add(name);
    }
  }
  return deferred;
}
