/**
 * A topic's stored messages, column by column: the bytes of a run of entries in one slab, their
 * offsets, timestamps and keys in typed arrays and plain arrays. A stored message is no JavaScript
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
/** A chunk's first slab, and the floor of later guesses (bytes). */
const MIN_SLAB = 16 * 1024;

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
  used = 0;
  bytes: Buffer;
  /** Byte offset of entry i is `ends[i - 1]` (0 for the first); its end is `ends[i]`. */
  readonly ends = new Int32Array(CHUNK);
  readonly eventTs = new Float64Array(CHUNK);
  readonly publishTs = new Float64Array(CHUNK);
  /** Key_Shared hash slot of each entry's sticky key, -1 until first asked for. */
  readonly keySlots = new Int32Array(CHUNK).fill(-1);
  readonly partitionKeys: string[] = [];
  /** Only entries with an ordering key or properties have an element (most have neither). */
  readonly orderingKeys: (string | undefined)[] = [];
  readonly properties: (Readonly<Record<string, string>> | undefined)[] = [];
  readonly producers: string[] = [];

  constructor(
    readonly ledgerId: number,
    readonly first: number,
    slabBytes: number,
  ) {
    this.bytes = Buffer.allocUnsafeSlow(slabBytes);
  }

  bytesOf(i: number): Buffer {
    return this.bytes.subarray(i === 0 ? 0 : this.ends[i - 1]!, this.ends[i]!);
  }

  byteLengthOf(i: number): number {
    return this.ends[i]! - (i === 0 ? 0 : this.ends[i - 1]!);
  }

  get end(): number {
    return this.first + this.count;
  }

  append(data: Uint8Array, f: EntryFields): void {
    const i = this.count;
    const need = this.used + data.length;
    if (need > this.bytes.length) {
      // Grown by doubling; views already handed out keep the old slab, whose bytes never change.
      const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.bytes.length));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.bytes.set(data, this.used);
    this.used = need;
    this.ends[i] = need;
    this.eventTs[i] = f.eventTimestamp;
    this.publishTs[i] = f.publishTimestamp;
    this.partitionKeys.push(f.partitionKey);
    if (f.orderingKey !== "") this.orderingKeys[i] = f.orderingKey;
    if (f.properties !== undefined) this.properties[i] = f.properties;
    this.producers.push(f.producerName);
    this.count = i + 1;
  }
}

export class TopicLog {
  private chunks: Chunk[] = [];
  private base = 0;
  private next = 0;
  /** Size of the last completed chunk's bytes: the next chunk's first slab, so few grow. */
  private slabGuess = MIN_SLAB;

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
      if (last !== undefined) this.slabGuess = Math.max(MIN_SLAB, Math.ceil(last.used * 1.125));
      last = new Chunk(this.ledgerId, this.next, Math.max(this.slabGuess, data.length));
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
    return c === undefined ? -1 : c.keySlots[entryId - c.first]!;
  }

  setKeySlot(entryId: number, slot: number): void {
    const c = this.chunkOf(entryId);
    if (c !== undefined) c.keySlots[entryId - c.first] = slot;
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
