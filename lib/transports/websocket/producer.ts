import type { ProducerConfigLike, ProducerLike, ProducerMessageLike } from "../pulsar-client-like.js";
import { WebSocketPulsarError } from "./errors.js";
import { WebSocketMessageId } from "./message-id.js";
import { PulsarSocket, type SocketSettings } from "./socket.js";
import type { TopicName } from "./topic-name.js";

/** pulsar-client's defaults. */
const DEFAULT_MAX_PENDING = 1000;
const DEFAULT_SEND_TIMEOUT_MS = 30_000;

interface PendingSend {
  readonly frame: string;
  readonly deadline: number;
  readonly promise: Promise<WebSocketMessageId>;
  resolve(id: WebSocketMessageId): void;
  reject(error: Error): void;
}

/** The broker's answer to one send (`ProducerAck`). */
interface SendReceipt {
  result?: string;
  messageId?: string;
  context?: string;
  errorMsg?: string;
}

let producerSeq = 0;

/**
 * A producer over the WebSocket API (`/ws/v2/producer/...`), with pulsar-client's `Producer` API.
 *
 * Each `send` becomes one JSON frame carrying a `context` token; the promise resolves with the
 * message id when the broker's receipt with that token arrives (`{"result":"ok"}`) and rejects on
 * a `send-error` receipt or after `sendTimeoutMs`. At most `maxPendingMessages` sends are in flight:
 * beyond that `send` rejects with `ProducerQueueIsFull`, or with `blockIfQueueFull` waits
 * (asynchronously — the event loop is never blocked) for a receipt to free a slot. If the
 * connection drops, the in-flight sends are sent again, in order, once it is back: delivery is
 * at-least-once, as with the native client without broker-side deduplication.
 */
export class WebSocketProducer implements ProducerLike {
  private readonly pending = new Map<string, PendingSend>();
  private readonly slotWaiters: Array<() => void> = [];
  private nextContext = 0;
  private closing = false;
  private closed = false;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private socket!: PulsarSocket;

  private constructor(
    private readonly topic: TopicName,
    private readonly name: string,
    private readonly maxPending: number,
    private readonly blockIfQueueFull: boolean,
    private readonly sendTimeoutMs: number,
  ) {}

  static async create(serviceUrl: string, config: ProducerConfigLike, topic: TopicName, settings: SocketSettings) {
    const name = config.producerName ?? `ws-producer-${process.pid}-${++producerSeq}-${Date.now().toString(36)}`;
    const sendTimeoutMs = config.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    const maxPending =
      config.maxPendingMessages !== undefined && config.maxPendingMessages > 0
        ? config.maxPendingMessages
        : DEFAULT_MAX_PENDING;
    const params = new URLSearchParams({ producerName: name });
    if (sendTimeoutMs > 0) params.set("sendTimeoutMillis", String(sendTimeoutMs));
    if (config.batchingEnabled !== undefined) params.set("batchingEnabled", String(config.batchingEnabled));
    if (config.batchingEnabled === true) {
      if (config.batchingMaxMessages !== undefined)
        params.set("batchingMaxMessages", String(config.batchingMaxMessages));
      if (config.batchingMaxPublishDelayMs !== undefined) {
        params.set("batchingMaxPublishDelay", String(config.batchingMaxPublishDelayMs));
      }
      params.set("maxPendingMessages", String(maxPending));
    }
    const producer = new WebSocketProducer(topic, name, maxPending, config.blockIfQueueFull ?? false, sendTimeoutMs);
    producer.socket = await PulsarSocket.connect(
      `${serviceUrl}/ws/v2/producer/${topic.urlPath}?${params}`,
      "producer",
      settings,
      {
        onMessage: (text) => producer.onReceipt(text),
        onOpen: (reconnected) => {
          if (reconnected) producer.resendPending();
        },
        onDisconnect: () => undefined,
      },
    );
    return producer;
  }

  async send(message: ProducerMessageLike): Promise<WebSocketMessageId> {
    if (this.closing || this.closed) throw new WebSocketPulsarError("AlreadyClosed", "Failed to send message");
    if (!Buffer.isBuffer(message.data)) {
      throw new WebSocketPulsarError("InvalidMessage", "Failed to send message", "data must be a Buffer");
    }
    while (this.pending.size >= this.maxPending) {
      if (!this.blockIfQueueFull) throw new WebSocketPulsarError("ProducerQueueIsFull", "Failed to send message");
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
      if (this.closing || this.closed) throw new WebSocketPulsarError("AlreadyClosed", "Failed to send message");
    }
    const context = (this.nextContext++).toString(36);
    const frame = JSON.stringify(toWire(message, context));
    let resolve!: (id: WebSocketMessageId) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<WebSocketMessageId>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const deadline = this.sendTimeoutMs > 0 ? Date.now() + this.sendTimeoutMs : Number.POSITIVE_INFINITY;
    this.pending.set(context, { frame, deadline, promise, resolve, reject });
    this.socket.send(frame);
    this.armTimeout();
    return promise;
  }

  /** Resolves once every send issued before the call has its receipt (or has failed). */
  async flush(): Promise<null> {
    if (this.pending.size > 0) await Promise.allSettled([...this.pending.values()].map((p) => p.promise));
    return null;
  }

  /** Waits for the in-flight sends (as pulsar-client does), then ends the session. */
  async close(): Promise<null> {
    if (this.closed || this.closing) return null;
    this.closing = true;
    for (const wake of this.slotWaiters.splice(0)) wake();
    await this.flush();
    this.closed = true;
    clearTimeout(this.timeoutTimer);
    await this.socket.close();
    return null;
  }

  getProducerName(): string {
    return this.name;
  }

  getTopic(): string {
    return this.topic.fullName;
  }

  isConnected(): boolean {
    return !this.closed && this.socket.isOpen;
  }

  /** For tests: drop the connection as a network failure would. */
  simulateNetworkFailure(): void {
    this.socket.simulateNetworkFailure();
  }

  private onReceipt(text: string): void {
    let receipt: SendReceipt;
    try {
      receipt = JSON.parse(text) as SendReceipt;
    } catch {
      return;
    }
    if (receipt.context === undefined) return;
    const entry = this.pending.get(receipt.context);
    if (entry === undefined) return;
    this.pending.delete(receipt.context);
    if (receipt.result === "ok" && typeof receipt.messageId === "string") {
      try {
        entry.resolve(WebSocketMessageId.fromBase64(receipt.messageId));
      } catch (err) {
        entry.reject(err as Error);
      }
    } else {
      entry.reject(
        new WebSocketPulsarError(
          "UnknownError",
          "Failed to send message",
          `${receipt.result}: ${receipt.errorMsg ?? ""}`,
        ),
      );
    }
    this.slotWaiters.shift()?.();
  }

  private resendPending(): void {
    for (const entry of this.pending.values()) this.socket.send(entry.frame);
  }

  /** One timer for the oldest in-flight send; expired sends reject with `TimeOut`. */
  private armTimeout(): void {
    if (this.timeoutTimer !== undefined || this.sendTimeoutMs <= 0) return;
    const oldest = this.pending.values().next().value;
    if (oldest === undefined) return;
    this.timeoutTimer = setTimeout(
      () => {
        this.timeoutTimer = undefined;
        const now = Date.now();
        for (const [context, entry] of this.pending) {
          if (entry.deadline > now) break;
          this.pending.delete(context);
          entry.reject(new WebSocketPulsarError("TimeOut", "Failed to send message"));
          this.slotWaiters.shift()?.();
        }
        this.armTimeout();
      },
      Math.max(0, oldest.deadline - Date.now()) + 1,
    );
    this.timeoutTimer.unref();
  }
}

/** The WebSocket API's `ProducerMessage` frame for one send. */
function toWire(message: ProducerMessageLike, context: string): Record<string, unknown> {
  const wire: Record<string, unknown> = { payload: message.data.toString("base64"), context };
  if (message.properties !== undefined && Object.keys(message.properties).length > 0) {
    wire["properties"] = message.properties;
  }
  if (message.partitionKey !== undefined && message.partitionKey !== "") wire["key"] = message.partitionKey;
  if (message.eventTimestamp !== undefined && message.eventTimestamp > 0) {
    wire["eventTime"] = new Date(message.eventTimestamp).toISOString();
  }
  if (message.deliverAt !== undefined && message.deliverAt > 0) wire["deliverAt"] = message.deliverAt;
  if (message.deliverAfter !== undefined && message.deliverAfter > 0) wire["deliverAfterMs"] = message.deliverAfter;
  return wire;
}
