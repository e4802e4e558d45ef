import type { MessageLike } from "../pulsar-client-like.js";
import { WebSocketMessageId } from "./message-id.js";

/** A message as the WebSocket API delivers it (consumer and reader endpoints). */
export interface WireMessage {
  messageId: string;
  payload: string;
  properties?: Record<string, string>;
  publishTime?: string;
  eventTime?: string;
  redeliveryCount?: number;
  key?: string;
}

/** Whether a parsed frame from a consumer or reader socket is a message (not a command response). */
export function isWireMessage(frame: unknown): frame is WireMessage {
  if (typeof frame !== "object" || frame === null) return false;
  const f = frame as Record<string, unknown>;
  return typeof f["messageId"] === "string" && typeof f["payload"] === "string";
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/** Parses the broker's ISO-8601 timestamps (millisecond precision) to epoch ms; 0 when absent. */
function epochMs(text: string | undefined): number {
  if (text === undefined || text === "") return 0;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : 0;
}

/**
 * A received message with pulsar-client's `Message` getters. The payload is decoded from base64
 * once, on construction; publish and event times arrive as ISO-8601 text and are returned as epoch
 * milliseconds (event time 0 when the producer set none, like pulsar-client).
 */
export class WebSocketMessage implements MessageLike {
  readonly messageId: WebSocketMessageId;
  private readonly data: Buffer;
  private readonly properties: Readonly<Record<string, string>>;
  private readonly partitionKey: string;
  private readonly publishTimestamp: number;
  private readonly eventTimestamp: number;
  private readonly redeliveryCount: number;

  constructor(
    private readonly topicName: string,
    wire: WireMessage,
  ) {
    this.messageId = WebSocketMessageId.fromBase64(wire.messageId, topicName);
    this.data = Buffer.from(wire.payload, "base64");
    this.properties = wire.properties ?? EMPTY;
    this.partitionKey = wire.key ?? "";
    this.publishTimestamp = epochMs(wire.publishTime);
    this.eventTimestamp = epochMs(wire.eventTime);
    this.redeliveryCount = wire.redeliveryCount ?? 0;
  }

  getTopicName(): string {
    return this.topicName;
  }

  /** A fresh copy on every call, like pulsar-client. */
  getProperties(): { [key: string]: string } {
    return { ...this.properties };
  }

  getData(): Buffer {
    return this.data;
  }

  getMessageId(): WebSocketMessageId {
    return this.messageId;
  }

  getPublishTimestamp(): number {
    return this.publishTimestamp;
  }

  getEventTimestamp(): number {
    return this.eventTimestamp;
  }

  getRedeliveryCount(): number {
    return this.redeliveryCount;
  }

  /** "" when the producer set none, like pulsar-client. */
  getPartitionKey(): string {
    return this.partitionKey;
  }

  /** The WebSocket API does not carry ordering keys: always "". */
  getOrderingKey(): string {
    return "";
  }

  /** The WebSocket API does not carry producer names: always "". */
  getProducerName(): string {
    return "";
  }
}
