import type { TopicTail } from "./topic-tail.js";
import type { TopicWriter } from "./topic-writer.js";

/**
 * One entry of the finished-records topic: event ids of `key`'s records a worker had acked, and
 * its watermark when it handed the key over.
 */
interface FinishedEntry {
  readonly key: string;
  readonly finished: readonly string[];
  readonly watermark?: number;
  /** Sources on which records of the key were still open (to be redelivered) at the stop. */
  readonly open?: readonly string[];
}

/** How a stopped worker handed a key over. */
export interface HandOver {
  /** The watermark the key's records were at. */
  readonly watermark: number;
  /** Sources with records of the key it handed back unacked (the broker redelivers them). */
  readonly openSources: readonly string[];
}

/** Slots per chunk of the acked-records ring (a power of two). */
const RING_SHIFT = 10;
const RING_CHUNK = 1 << RING_SHIFT;
const RING_MASK = RING_CHUNK - 1;

/** Ids per entry: keeps an entry far below a broker's message size limit. */
const IDS_PER_ENTRY = 4096;

/**
 * What a worker hands over besides its keyed state: the records it had finished.
 *
 * Pulsar's acknowledgements are fire-and-forget (no broker answer): acks sent just before a
 * consumer closes can be lost, and the broker then redelivers records whose outputs are on the
 * sinks' topics and whose state changes are in the changelogs. Outputs are safe (the sinks drop
 * them by event id); keyed state is not — the next owner would apply those records a second time.
 * So a worker keeps the event ids of the last `capacity` records it acked (a ring: two array
 * writes per ack), and a graceful stop writes them, per key, to this topic before its consumers
 * close. The next owner of a key reads the topic when it takes the key over ({@link catchUp}, with
 * the changelogs) and acks a redelivered record listed there without processing it
 * (`stats.redeliveredDone`). Each key's entry also carries the stopping worker's watermark: a key
 * handed over from behind the next owner's watermark gets a lane starting there (see the runtime).
 *
 * Limits: a worker that dies without a graceful stop writes nothing (its in-flight records are
 * redelivered and their state changes can apply twice: at-least-once state); acks lost further
 * back than `capacity` records are not covered.
 */
export class FinishedRecords {
  /**
   * The ring, in chunks of {@link RING_CHUNK} made as it fills: slot i is `keys[i >> 10][i & 1023]`
   * (and `ids` alike). Two arrays of `capacity` made up front were large objects, ~2 ms each to
   * allocate (65,536 slots), paid by every `run()` however few records it acks.
   */
  private readonly keys: string[][] = [];
  private readonly ids: string[][] = [];
  private count = 0;
  /** Finished elsewhere, by key: ids a redelivery may still bring here. */
  private readonly elsewhere = new Map<string, Set<string>>();
  /** Keys handed over by a stopped worker (the highest watermark if several). */
  private readonly handed = new Map<string, HandOver>();

  constructor(
    readonly topic: string,
    private readonly writer: TopicWriter,
    private readonly tail: TopicTail,
    private readonly ownedKeys: ReadonlySet<string>,
    readonly capacity: number,
    private readonly workerId: string,
  ) {}

  /** A record of `key` with event id `id` was acked here. */
  acked(key: string, id: string): void {
    const i = this.count++ % this.capacity;
    const c = i >> RING_SHIFT;
    if (c === this.keys.length) {
      this.keys.push(new Array<string>(RING_CHUNK));
      this.ids.push(new Array<string>(RING_CHUNK));
    }
    this.keys[c]![i & RING_MASK] = key;
    this.ids[c]![i & RING_MASK] = id;
  }

  /** Keys with records finished elsewhere that have not come here (yet). */
  get pending(): number {
    return this.elsewhere.size;
  }

  /** True (once) when the record was finished by a previous owner of its key. */
  take(key: string, id: string): boolean {
    const set = this.elsewhere.get(key);
    if (set === undefined || !set.delete(id)) return false;
    if (set.size === 0) this.elsewhere.delete(key);
    return true;
  }

  /** Whether a stopped worker listed `key` (and no record of it came here since). */
  wasHandedOver(key: string): boolean {
    return this.handed.has(key);
  }

  /** How a stopped worker handed `key` over (once), or undefined when none listed the key. */
  handedOver(key: string): HandOver | undefined {
    const w = this.handed.get(key);
    if (w !== undefined) this.handed.delete(key);
    return w;
  }

  /**
   * At a graceful stop, before the consumers close: per key this worker processed, what it
   * finished last, the watermark its records were at (`watermarkOf`: the worker's, or a lane's)
   * and the sources of its records still open (`openSources`).
   */
  write(
    watermarkOf: (key: string) => number,
    keys: Iterable<string>,
    openSources: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
  ): void {
    const n = Math.min(this.count, this.capacity);
    const byKey = new Map<string, string[]>();
    for (const key of keys) byKey.set(key, []);
    for (let j = this.count - n; j < this.count; j++) {
      const i = j % this.capacity;
      const key = this.keys[i >> RING_SHIFT]![i & RING_MASK]!;
      const id = this.ids[i >> RING_SHIFT]![i & RING_MASK]!;
      const list = byKey.get(key);
      if (list) list.push(id);
      else byKey.set(key, [id]);
    }
    let seq = 0;
    for (const [key, ids] of byKey) {
      for (let from = 0; from === 0 || from < ids.length; from += IDS_PER_ENTRY) {
        const open = [...(openSources.get(key) ?? [])].sort();
        const entry: FinishedEntry = {
          key,
          finished: ids.slice(from, from + IDS_PER_ENTRY),
          watermark: watermarkOf(key),
          ...(open.length > 0 ? { open } : {}),
        };
        this.writer.write({
          data: Buffer.from(JSON.stringify(entry), "utf8"),
          key,
          eventId: `${this.workerId}:finished:${seq++}`,
          eventTime: 0,
          done: () => undefined,
        });
      }
    }
  }

  /** Read the topic to its end: remember the records finished elsewhere for keys not processed here. */
  async catchUp(): Promise<void> {
    await this.tail.readToEnd((m) => {
      let entry: FinishedEntry;
      try {
        entry = JSON.parse(m.getData().toString("utf8")) as FinishedEntry;
      } catch {
        return; // not ours: the topic only holds what FinishedRecords wrote
      }
      if (typeof entry?.key !== "string" || !Array.isArray(entry.finished) || this.ownedKeys.has(entry.key)) return;
      if (typeof entry.watermark === "number") {
        const h = this.handed.get(entry.key);
        const openSources = Array.isArray(entry.open) ? entry.open.filter((s) => typeof s === "string") : [];
        if (h === undefined || entry.watermark > h.watermark) {
          this.handed.set(entry.key, { watermark: entry.watermark, openSources });
        }
      }
      if (entry.finished.length === 0) return;
      let set = this.elsewhere.get(entry.key);
      if (set === undefined) this.elsewhere.set(entry.key, (set = new Set()));
      for (const id of entry.finished) set.add(id);
    });
  }

  async close(): Promise<void> {
    await this.tail.close();
  }
}
