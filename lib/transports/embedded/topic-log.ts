/**
 * A topic's stored messages, column by column: their bytes packed in slabs, their offsets,
 * timestamps and keys in typed arrays and plain arrays. A stored message is no JavaScript
 * object of its own; {@link TopicLog.message} makes one when it is delivered or read.
 *
 * Why: a broker holding a backlog kept five heap objects per message (the message, its id, its
 * Buffer and two boxed timestamps, ~300 bytes). They outlive a few scavenges, so every published
 * message was promoted to the old generation, and a full collection had to mark them all: in the
 * topology bench, whose setup publishes 60k signals at a time, that was more than half of what the
 * old generation took in. Messages in flight are objects (the consumer holds them), and they die
 * young once acknowledged.
 */
import { EmbeddedMessage, type StoredEntries } from "./message.js";

/** Entries per chunk: the unit of trimming (as a ledger is Pulsar's). */
const CHUNK = 1024;
/**
 * Bytes per slab: a chunk's messages go into slabs of this size (a bigger message gets one of its
 * own). Below the allocator's mmap threshold, so opening one is cheap, and a slab is never grown
 * or copied.
 */
const SLAB = 64 * 1024;

/** What a stored entry keeps besides its bytes. */
export interface EntryFields {
  readonly properties: Readonly<Record<string, string>> | undefined;
  readonly partitionKey: string;
  readonly orderingKey: string;
  readonly eventTimestamp: number;
  readonly publishTimestamp: number;
  readonly producerName: string;
}

class Chunk implements StoredEntries {
  count = 0;
  private readonly slabs: Buffer[] = [];
  /** Bytes used in the last slab. */
  private used = 0;
  // The numeric columns share one allocation (each typed array of its own would be a separate
  // backing store: a new chunk cost up to tens of microseconds on the send that opened it).
  readonly eventTs: Float64Array;
  readonly publishTs: Float64Array;
  /** Entry i's bytes: `slabs[slabOf[i]]` from `starts[i]`, `lengths[i]` long. */
  private readonly slabOf: Int32Array;
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;
  /** Key_Shared hash slot + 1 of each entry's sticky key, 0 until first asked for. */
  readonly keySlots: Int32Array;
  // Sized once (a growing array leaves a copy of itself behind at every growth).
  readonly partitionKeys = new Array<string>(CHUNK);
  /** Only entries with an ordering key or properties have an element (most have neither). */
  readonly orderingKeys: (string | undefined)[] = [];
  readonly properties: (Readonly<Record<string, string>> | undefined)[] = [];
  readonly producers = new Array<string>(CHUNK);

  constructor(
    readonly ledgerId: number,
    readonly first: number,
  ) {
    const columns = new ArrayBuffer(CHUNK * 32);
    this.eventTs = new Float64Array(columns, 0, CHUNK);
    this.publishTs = new Float64Array(columns, CHUNK * 8, CHUNK);
    this.slabOf = new Int32Array(columns, CHUNK * 16, CHUNK);
    this.starts = new Int32Array(columns, CHUNK * 20, CHUNK);
    this.lengths = new Int32Array(columns, CHUNK * 24, CHUNK);
    this.keySlots = new Int32Array(columns, CHUNK * 28, CHUNK);
  }

  get end(): number {
    return this.first + this.count;
  }

  bytesOf(i: number): Buffer {
    const start = this.starts[i]!;
    return this.slabs[this.slabOf[i]!]!.subarray(start, start + this.lengths[i]!);
  }

  byteLengthOf(i: number): number {
    return this.lengths[i]!;
  }

  append(data: Uint8Array, f: EntryFields): void {
    const i = this.count;
    const n = data.length;
    let slab = this.slabs.length - 1;
    if (slab < 0 || this.used + n > this.slabs[slab]!.length) {
      this.slabs.push(Buffer.allocUnsafeSlow(Math.max(SLAB, n)));
      this.used = 0;
      slab++;
    }
    this.slabs[slab]!.set(data, this.used);
    this.slabOf[i] = slab;
    this.starts[i] = this.used;
    this.lengths[i] = n;
    this.used += n;
    this.eventTs[i] = f.eventTimestamp;
    this.publishTs[i] = f.publishTimestamp;
    this.partitionKeys[i] = f.partitionKey;
    if (f.orderingKey !== "") this.orderingKeys[i] = f.orderingKey;
    if (f.properties !== undefined) this.properties[i] = f.properties;
    this.producers[i] = f.producerName;
    this.count = i + 1;
  }
}

export class TopicLog {
  private chunks: Chunk[] = [];
  private base = 0;
  private next = 0;

  constructor(
    readonly topicName: string,
    readonly ledgerId: number,
  ) {}

  /** Entry id of the oldest stored message. */
  get start(): number {
    return this.base;
  }

  /** Entry id the next message gets (= number of messages ever appended). */
  get end(): number {
    return this.next;
  }

  /** Stores a copy of `data` with its fields; returns its entry id. */
  append(data: Uint8Array, fields: EntryFields): number {
    const chunks = this.chunks;
    let last = chunks[chunks.length - 1];
    if (last === undefined || last.count === CHUNK) {
      last = new Chunk(this.ledgerId, this.next);
      chunks.push(last);
    }
    last.append(data, fields);
    return this.next++;
  }

  private chunkOf(entryId: number): Chunk | undefined {
    if (entryId < this.base || entryId >= this.next) return undefined;
    const chunks = this.chunks;
    // chunks are full except the last, and start at multiples of CHUNK from the first one's start
    return chunks[Math.floor((entryId - chunks[0]!.first) / CHUNK)];
  }

  /** The stored message as a first delivery (`redeliveryCount` 0): a new cursor each call. */
  message(entryId: number): EmbeddedMessage | undefined {
    const c = this.chunkOf(entryId);
    return c === undefined ? undefined : new EmbeddedMessage(this.topicName, entryId, c, 0);
  }

  /** Bytes of a stored entry (0 when not stored). */
  byteLength(entryId: number): number {
    const c = this.chunkOf(entryId);
    return c === undefined ? 0 : c.byteLengthOf(entryId - c.first);
  }

  /** The sticky key Key_Shared dispatch uses (orderingKey if set, else partitionKey). */
  stickyKey(entryId: number): string {
    const c = this.chunkOf(entryId)!;
    const i = entryId - c.first;
    return c.orderingKeys[i] ?? c.partitionKeys[i]!;
  }

  /** The cached Key_Shared hash slot of a stored entry, or -1. */
  keySlot(entryId: number): number {
    const c = this.chunkOf(entryId);
    return c === undefined ? -1 : c.keySlots[entryId - c.first]! - 1;
  }

  setKeySlot(entryId: number, slot: number): void {
    const c = this.chunkOf(entryId);
    if (c !== undefined) c.keySlots[entryId - c.first] = slot + 1;
  }

  /** Drops every chunk whose entries all lie below `low` (whole chunks, as Pulsar drops whole ledgers). */
  trimBefore(low: number): void {
    const chunks = this.chunks;
    let drop = 0;
    while (drop < chunks.length - 1 && chunks[drop]!.end <= low) drop++;
    // the last chunk (still filling) goes too once everything in it is below `low`
    if (drop === chunks.length - 1 && chunks[drop]!.count === CHUNK && chunks[drop]!.end <= low) drop++;
    if (drop === 0) return;
    this.chunks = chunks.slice(drop);
    this.base = this.chunks.length > 0 ? this.chunks[0]!.first : this.next;
  }
}
