import type { ConsumerConfigLike, ConsumerLike, MessageIdLike, MessageLike } from "../pulsar-client-like.js";
import { WebSocketPulsarError } from "./errors.js";
import { isWireMessage, WebSocketMessage } from "./message.js";
import { messageIdBase64 } from "./message-id.js";
import { ReceiveQueue } from "./receive-queue.js";
import { PulsarSocket, type SocketSettings } from "./socket.js";
import type { TopicName } from "./topic-name.js";

/** The broker's WebSocket service caps a consumer's receiver queue at 1000 messages. */
export const MAX_RECEIVER_QUEUE = 1000;
/** pulsar-client's default negative-ack redelivery delay. */
const DEFAULT_NACK_DELAY_MS = 60_000;
/** A dead-letter policy without maxRedeliverCount never dead-letters (pulsar-client's INT_MAX default). */
const INT32_MAX = 2_147_483_647;

const SUBSCRIPTION_TYPES = {
  Exclusive: "Exclusive",
  Shared: "Shared",
  Failover: "Failover",
  KeyShared: "Key_Shared",
} as const;

/**
 * A consumer over the WebSocket API (`/ws/v2/consumer/.../{subscription}`), with pulsar-client's
 * `Consumer` API, for Exclusive, Shared, Failover and KeyShared subscriptions.
 *
 * Flow control uses the API's pull mode: the client grants the broker permits for as many
 * messages as its receive queue holds (`receiverQueueSize`, at most 1000) and tops them up as
 * `receive()` takes messages, so unacknowledged messages never stall delivery. Acknowledgements
 * and negative acknowledgements are frames without a broker answer: `acknowledge` resolves once
 * the frame is handed to the socket (or queued while reconnecting). Ack timeout, negative-ack
 * delay and the dead-letter policy run in the broker's WebSocket service (its Java consumer).
 * When the connection drops, messages buffered but not yet received are dropped (the broker
 * redelivers them); acknowledgements made while disconnected are sent first after reconnecting.
 */
export class WebSocketConsumer implements ConsumerLike {
  private readonly queue = new ReceiveQueue<WebSocketMessage>();
  private readonly unsentCommands: string[] = [];
  private closed = false;
  private taken = 0;
  private socket!: PulsarSocket;

  private constructor(
    private readonly topic: TopicName,
    private readonly queueSize: number,
  ) {}

  static async create(
    serviceUrl: string,
    config: ConsumerConfigLike,
    topic: TopicName,
    settings: SocketSettings,
  ): Promise<WebSocketConsumer> {
    const queueSize = Math.max(1, Math.min(config.receiverQueueSize ?? MAX_RECEIVER_QUEUE, MAX_RECEIVER_QUEUE));
    const params = new URLSearchParams({
      subscriptionType: SUBSCRIPTION_TYPES[config.subscriptionType ?? "Exclusive"],
      receiverQueueSize: String(queueSize),
      pullMode: "true",
      negativeAckRedeliveryDelay: String(config.nAckRedeliverTimeoutMs ?? DEFAULT_NACK_DELAY_MS),
    });
    if (config.subscriptionInitialPosition !== undefined) {
      params.set("subscriptionInitialPosition", config.subscriptionInitialPosition);
    }
    if (config.ackTimeoutMs !== undefined && config.ackTimeoutMs > 0) {
      params.set("ackTimeoutMillis", String(config.ackTimeoutMs));
    }
    if (config.consumerName !== undefined) params.set("consumerName", config.consumerName);
    if (config.deadLetterPolicy !== undefined) {
      params.set("deadLetterTopic", config.deadLetterPolicy.deadLetterTopic);
      params.set("maxRedeliverCount", String(config.deadLetterPolicy.maxRedeliverCount ?? INT32_MAX));
    }
    const consumer = new WebSocketConsumer(topic, queueSize);
    const subscription = encodeURIComponent(config.subscription);
    consumer.socket = await PulsarSocket.connect(
      `${serviceUrl}/ws/v2/consumer/${topic.urlPath}/${subscription}?${params}`,
      "consumer",
      settings,
      {
        onMessage: (text) => consumer.onFrame(text),
        onOpen: (reconnected, socket) => consumer.onOpen(reconnected, socket),
        onDisconnect: () => consumer.queue.clear(),
      },
    );
    return consumer;
  }

  /** Resolves with the next message; with `timeout` (ms) rejects with `TimeOut` if none arrives in time. */
  async receive(timeout?: number): Promise<WebSocketMessage> {
    if (this.closed) throw new WebSocketPulsarError("AlreadyClosed", "Failed to receive message");
    const message = await this.queue.take(
      timeout,
      () => new WebSocketPulsarError("TimeOut", "Failed to receive message"),
    );
    this.onTaken();
    return message;
  }

  acknowledge(message: MessageLike): Promise<null> {
    return this.acknowledgeId(message.getMessageId());
  }

  async acknowledgeId(messageId: MessageIdLike): Promise<null> {
    if (this.closed) throw new WebSocketPulsarError("AlreadyClosed", "Failed to acknowledge");
    this.command(JSON.stringify({ messageId: messageIdBase64(messageId) }));
    return null;
  }

  negativeAcknowledge(message: MessageLike): void {
    this.negativeAcknowledgeId(message.getMessageId());
  }

  negativeAcknowledgeId(messageId: MessageIdLike): void {
    if (this.closed) return;
    this.command(JSON.stringify({ type: "negativeAcknowledge", messageId: messageIdBase64(messageId) }));
  }

  isConnected(): boolean {
    return !this.closed && this.socket.isOpen;
  }

  /** Ends the session; unacknowledged messages go back to the subscription. Pending receives reject. */
  async close(): Promise<null> {
    if (this.closed) return null;
    this.closed = true;
    this.queue.failAll(() => new WebSocketPulsarError("AlreadyClosed", "Failed to receive message"));
    await this.socket.close();
    return null;
  }

  /** For tests: drop the connection as a network failure would. */
  simulateNetworkFailure(): void {
    this.socket.simulateNetworkFailure();
  }

  private command(frame: string): void {
    if (!this.socket.send(frame)) this.unsentCommands.push(frame);
  }

  private onOpen(reconnected: boolean, socket: PulsarSocket): void {
    this.socket = socket;
    if (reconnected) {
      for (const frame of this.unsentCommands.splice(0)) this.socket.send(frame);
    }
    this.taken = 0;
    this.permit(this.queueSize);
  }

  private onFrame(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!isWireMessage(frame) || this.closed) return;
    this.queue.push(new WebSocketMessage(this.topic.fullName, frame));
  }

  /** Tops the broker's permits up once half the receive queue has been taken. */
  private onTaken(): void {
    this.taken++;
    if (this.taken * 2 >= this.queueSize) {
      const n = this.taken;
      this.taken = 0;
      this.permit(n);
    }
  }

  private permit(n: number): void {
    this.socket.send(JSON.stringify({ type: "permit", permitMessages: n }));
  }
}
