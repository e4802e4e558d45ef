import type { SchedulerLike } from "rxjs";
import type { ProducerMessageLike, SubscriptionType } from "../pulsar-client-like.js";
import { EmbeddedPulsarError } from "./errors.js";
import { keySlot } from "./key-shared-selector.js";
import type { EmbeddedMessage } from "./message.js";
import { EmbeddedMessageId } from "./message-id.js";
import { Subscription } from "./subscription.js";
import { TopicLog } from "./topic-log.js";

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
 * One topic: an append-only log of messages (one ledger per topic; entry ids count up from 0; stored
 * column by column, see {@link TopicLog}), its durable subscriptions, and its readers. Retention
 * follows {@link RetentionMode}, in whole chunks of the log.
 */
export class Topic {
  private readonly log: TopicLog;
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
  ) {
    this.log = new TopicLog(name, ledgerId);
  }

  /** Entry id the next published message gets (= number of messages ever published). */
  get end(): number {
    return this.log.end;
  }

  /** Entry id of the oldest stored message. */
  get start(): number {
    return this.log.start;
  }

  /** The stored message with this entry id as a first delivery (a new object each call), if still stored. */
  at(entryId: number): EmbeddedMessage | undefined {
    return this.log.message(entryId);
  }

  /** Key_Shared hash slot of a stored entry's sticky key (computed once per entry). */
  keySlotOf(entryId: number): number {
    let slot = this.log.keySlot(entryId);
    if (slot < 0) {
      slot = keySlot(this.log.stickyKey(entryId));
      this.log.setKeySlot(entryId, slot);
    }
    return slot;
  }

  /** Stores the message (a copy of its bytes) and dispatches it; returns its id. */
  publish(m: ProducerMessageLike, producerName: string): EmbeddedMessageId {
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
    const entryId = this.log.append(m.data, {
      properties: props,
      partitionKey: m.partitionKey ?? "",
      orderingKey: m.orderingKey ?? "",
      eventTimestamp: m.eventTimestamp ?? 0,
      publishTimestamp: this.scheduler.now(),
      producerName,
    });
    const subs = this.subList;
    for (let i = 0; i < subs.length; i++) subs[i]!.dispatch();
    if (this.waiting.size > 0) for (const w of this.waiting) w.onAppend();
    if (++this.sinceTrim >= TRIM_EVERY) this.trim();
    return new EmbeddedMessageId(this.ledgerId, entryId);
  }

  /** Drops the stored prefix no subscription or reader needs (see {@link RetentionMode}). */
  trim(): void {
    this.sinceTrim = 0;
    if (this.retention === "all" || this.subList.length === 0) return;
    let low = this.end;
    for (const s of this.subList) low = Math.min(low, s.lowWater());
    for (const r of this.readers) low = Math.min(low, r.position);
    this.log.trimBefore(low);
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
      sub = new Subscription(this, name, type, startAtEnd ? this.end : this.start);
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
