import type { SchedulerLike } from "rxjs";
import type { ProducerMessageLike, SubscriptionType } from "../pulsar-client-like.js";
import { EmbeddedPulsarError } from "./errors.js";
import { EmbeddedMessage } from "./message.js";
import { EmbeddedMessageId } from "./message-id.js";
import { Subscription } from "./subscription.js";

/** Something waiting for the topic to grow (a reader with pending `readNext` calls). */
export interface AppendListener {
  onAppend(): void;
}

/** An open reader's position, which holds back trimming of the log. */
export interface CursorHolder {
  readonly position: number;
}

/**
 * Which messages a topic keeps:
 * - `"unacknowledged"` (default, Pulsar without a retention policy): once a topic has durable
 *   subscriptions, messages every subscription has acknowledged (and no open reader still needs)
 *   are dropped; a topic without subscriptions keeps everything;
 * - `"all"`: every message is kept for the broker's lifetime.
 */
export type RetentionMode = "unacknowledged" | "all";

/** Trimming is considered every this many publishes. */
const TRIM_EVERY = 4096;

/**
 * Normalises a topic name the way Pulsar does: `x` → `persistent://public/default/x`,
 * `tenant/ns/x` → `persistent://tenant/ns/x`; names with a scheme are kept.
 */
export function fullTopicName(name: string): string {
  if (typeof name !== "string" || name.length === 0) {
    throw new EmbeddedPulsarError("InvalidConfiguration", "Invalid topic name", String(name));
  }
  if (name.includes("://")) return name;
  const parts = name.split("/");
  if (parts.length === 1) return `persistent://public/default/${name}`;
  if (parts.length === 3 && parts.every((p) => p.length > 0)) return `persistent://${name}`;
  throw new EmbeddedPulsarError("InvalidConfiguration", "Invalid topic name", name);
}

/**
 * One topic: an append-only log of messages (one ledger per topic; entry ids count up from 0),
 * its durable subscriptions, and its readers. Retention follows {@link RetentionMode}; `base` is
 * the entry id of the oldest message still stored.
 */
export class Topic {
  private log: EmbeddedMessage[] = [];
  private base = 0;
  private sinceTrim = 0;
  private readonly readers = new Set<CursorHolder>();
  private readonly subscriptions = new Map<string, Subscription>();
  /** Same subscriptions as an array, for the publish hot path. */
  private subList: Subscription[] = [];
  private readonly waiting = new Set<AppendListener>();

  constructor(
    readonly name: string,
    readonly ledgerId: number,
    readonly scheduler: SchedulerLike,
    readonly retention: RetentionMode = "unacknowledged",
  ) {}

  /** Entry id the next published message gets (= number of messages ever published). */
  get end(): number {
    return this.base + this.log.length;
  }

  /** Entry id of the oldest stored message. */
  get start(): number {
    return this.base;
  }

  /** The stored message with this entry id (its first-delivery object), if still stored. */
  at(entryId: number): EmbeddedMessage | undefined {
    return this.log[entryId - this.base];
  }

  publish(m: ProducerMessageLike, producerName: string): EmbeddedMessage {
    let props: Record<string, string> | undefined;
    if (m.properties !== undefined) {
      props = {};
      for (const k of Object.keys(m.properties)) {
        const v = m.properties[k];
        if (typeof v !== "string") {
          throw new EmbeddedPulsarError("InvalidMessage", "Failed to send message", `property ${k} is not a string`);
        }
        props[k] = v;
      }
    }
    const data = Buffer.allocUnsafe(m.data.length);
    data.set(m.data);
    const msg = new EmbeddedMessage(
      this.name,
      new EmbeddedMessageId(this.ledgerId, this.end),
      data,
      props,
      m.partitionKey ?? "",
      m.orderingKey ?? "",
      m.eventTimestamp ?? 0,
      this.scheduler.now(),
      producerName,
      0,
    );
    this.log.push(msg);
    const subs = this.subList;
    for (let i = 0; i < subs.length; i++) subs[i]!.dispatch();
    if (this.waiting.size > 0) for (const w of this.waiting) w.onAppend();
    if (++this.sinceTrim >= TRIM_EVERY) this.trim();
    return msg;
  }

  /** Drops the stored prefix no subscription or reader needs (see {@link RetentionMode}). */
  trim(): void {
    this.sinceTrim = 0;
    if (this.retention === "all" || this.subList.length === 0) return;
    let low = this.end;
    for (const s of this.subList) low = Math.min(low, s.lowWater());
    for (const r of this.readers) low = Math.min(low, r.position);
    const drop = low - this.base;
    if (drop <= 0 || drop * 2 < this.log.length) return;
    this.log = this.log.slice(drop);
    this.base = low;
  }

  addReader(r: CursorHolder): void {
    this.readers.add(r);
  }

  removeReader(r: CursorHolder): void {
    this.readers.delete(r);
  }

  subscription(name: string): Subscription | undefined {
    return this.subscriptions.get(name);
  }

  /** Gets the durable subscription, creating it at the given start position if absent. */
  ensureSubscription(name: string, type: SubscriptionType, startAtEnd: boolean): Subscription {
    let sub = this.subscriptions.get(name);
    if (sub === undefined) {
      sub = new Subscription(this, name, type, startAtEnd ? this.end : this.base);
      this.subscriptions.set(name, sub);
      this.subList = [...this.subscriptions.values()];
    }
    return sub;
  }

  subscriptionNames(): string[] {
    return [...this.subscriptions.keys()];
  }

  waitForAppend(listener: AppendListener): void {
    this.waiting.add(listener);
  }

  stopWaiting(listener: AppendListener): void {
    this.waiting.delete(listener);
  }
}
