import type { ConsumerConfigLike, ConsumerLike, MessageIdLike, MessageLike } from "../pulsar-client-like.js";
import { WebSocketPulsarError } from "./errors.js";
import { isWireMessage, WebSocketMessage } from "./message.js";
import { messageIdBase64, WebSocketMessageId } from "./message-id.js";
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

/** The WebSocket session of one topic of the consumer. */
interface Session {
  readonly topic: TopicName;
  socket: PulsarSocket;
  /** Messages taken by `receive` since the last permit top-up. */
  taken: number;
  /** Acks and nacks made while the session was reconnecting. */
  readonly unsent: string[];
  /** Key of this session's subscription in `recentlyClosed`. */
  closeKey?: string;
}

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
 * When a connection drops, messages buffered but not yet received are dropped (the broker
 * redelivers them); acknowledgements made while disconnected are sent first after reconnecting.
 *
 * A consumer of several topics (`topics: [...]`) holds one session per topic, as Pulsar's own
 * multi-topic consumer holds one consumer per topic, and merges their messages in arrival order;
 * acknowledgements go to the session of the message's topic.
 */
/**
 * When this process closed a consumer of a subscription (by `<serviceUrl> <topic> <subscription>`),
 * epoch ms. The broker's WebSocket proxy closes the Pulsar consumer behind a session
 * asynchronously, after the WebSocket close handshake that `close()` waits for; an Exclusive or
 * Failover subscribe right after it can still meet the old consumer ("ConsumerBusy"). Such a
 * subscribe is retried for {@link CLOSE_SETTLE_MS}; any other ConsumerBusy fails at once.
 */
const recentlyClosed = new Map<string, number>();
const CLOSE_SETTLE_MS = 5000;

async function connectSettling(key: string, connect: () => Promise<PulsarSocket>): Promise<PulsarSocket> {
  for (;;) {
    try {
      return await connect();
    } catch (err) {
      const closedAt = recentlyClosed.get(key);
      const settling = closedAt !== undefined && Date.now() - closedAt < CLOSE_SETTLE_MS;
      if (!(err instanceof WebSocketPulsarError && err.code === "ConsumerBusy" && settling)) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export class WebSocketConsumer implements ConsumerLike {
  private readonly queue = new ReceiveQueue<WebSocketMessage>();
  private readonly sessions = new Map<string, Session>();
  private closed = false;
  /** Messages for the listener, handed over in a microtask (see `onFrame`). */
  private toListener: { session: Session; message: WebSocketMessage }[] = [];

  private constructor(
    private readonly queueSize: number,
    private readonly listener: ConsumerConfigLike["listener"],
  ) {}

  static async create(
    serviceUrl: string,
    config: ConsumerConfigLike,
    topics: readonly TopicName[],
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
    const consumer = new WebSocketConsumer(queueSize, config.listener);
    const subscription = encodeURIComponent(config.subscription);
    try {
      for (const topic of topics) {
        if (consumer.sessions.has(topic.fullName)) continue;
        const session: Session = { topic, socket: undefined as unknown as PulsarSocket, taken: 0, unsent: [] };
        const key = `${serviceUrl} ${topic.fullName} ${config.subscription}`;
        session.socket = await connectSettling(key, () =>
          PulsarSocket.connect(
            `${serviceUrl}/ws/v2/consumer/${topic.urlPath}/${subscription}?${params}`,
            "consumer",
            settings,
            {
              onMessage: (text) => consumer.onFrame(session, text),
              onOpen: (reconnected, socket) => consumer.onOpen(session, reconnected, socket),
              onDisconnect: () => consumer.queue.removeWhere((m) => m.getTopicName() === topic.fullName),
            },
          ),
        );
        session.closeKey = key;
        consumer.sessions.set(topic.fullName, session);
      }
    } catch (err) {
      await consumer.close();
      throw err;
    }
    return consumer;
  }

  /** Resolves with the next message; with `timeout` (ms) rejects with `TimeOut` if none arrives in time. */
  async receive(timeout?: number): Promise<WebSocketMessage> {
    if (this.closed) throw new WebSocketPulsarError("AlreadyClosed", "Failed to receive message");
    if (this.listener !== undefined) {
      throw new WebSocketPulsarError(
        "InvalidConfiguration",
        "Failed to receive message",
        "the consumer has a listener",
      );
    }
    const message = await this.queue.take(
      timeout,
      () => new WebSocketPulsarError("TimeOut", "Failed to receive message"),
    );
    const session = this.sessions.get(message.getTopicName());
    if (session !== undefined) this.onTaken(session);
    return message;
  }

  acknowledge(message: MessageLike): Promise<null> {
    return this.acknowledgeId(message.getMessageId());
  }

  async acknowledgeId(messageId: MessageIdLike): Promise<null> {
    if (this.closed) throw new WebSocketPulsarError("AlreadyClosed", "Failed to acknowledge");
    this.command(messageId, JSON.stringify({ messageId: messageIdBase64(messageId) }));
    return null;
  }

  negativeAcknowledge(message: MessageLike): void {
    this.negativeAcknowledgeId(message.getMessageId());
  }

  negativeAcknowledgeId(messageId: MessageIdLike): void {
    if (this.closed) return;
    this.command(messageId, JSON.stringify({ type: "negativeAcknowledge", messageId: messageIdBase64(messageId) }));
  }

  isConnected(): boolean {
    if (this.closed || this.sessions.size === 0) return false;
    for (const s of this.sessions.values()) if (!s.socket.isOpen) return false;
    return true;
  }

  /** Ends the session(s); unacknowledged messages go back to the subscription. Pending receives reject. */
  async close(): Promise<null> {
    if (this.closed) return null;
    this.closed = true;
    this.queue.failAll(() => new WebSocketPulsarError("AlreadyClosed", "Failed to receive message"));
    await Promise.all([...this.sessions.values()].map((s) => s.socket.close()));
    const now = Date.now();
    for (const [key, at] of recentlyClosed) if (now - at >= CLOSE_SETTLE_MS) recentlyClosed.delete(key);
    for (const s of this.sessions.values()) if (s.closeKey !== undefined) recentlyClosed.set(s.closeKey, now);
    return null;
  }

  /** For tests: drop the connection(s) as a network failure would. */
  simulateNetworkFailure(): void {
    for (const s of this.sessions.values()) s.socket.simulateNetworkFailure();
  }

  /**
   * Sends an ack or nack to the session of the id's topic. An id without a known topic (one
   * deserialized by the caller) goes to every session when the consumer has several topics.
   */
  private command(messageId: MessageIdLike, frame: string): void {
    const topic = messageId instanceof WebSocketMessageId ? messageId.topicName : undefined;
    const target = topic === undefined ? undefined : this.sessions.get(topic);
    const targets = target !== undefined ? [target] : [...this.sessions.values()];
    for (const s of targets) if (!s.socket.send(frame)) s.unsent.push(frame);
  }

  private onOpen(session: Session, reconnected: boolean, socket: PulsarSocket): void {
    session.socket = socket;
    if (reconnected) for (const frame of session.unsent.splice(0)) socket.send(frame);
    session.taken = 0;
    this.permit(session, this.queueSize);
  }

  private onFrame(session: Session, text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!isWireMessage(frame) || this.closed) return;
    const message = new WebSocketMessage(session.topic.fullName, frame);
    if (this.listener === undefined) {
      this.queue.push(message);
      return;
    }
    // pulsar-client's listener: messages in arrival order, in a microtask (not inside the socket's
    // callback); a listener that throws leaves its message unacknowledged (redelivered later).
    if (this.toListener.push({ session, message }) === 1) queueMicrotask(() => this.deliverToListener());
  }

  private deliverToListener(): void {
    const batch = this.toListener;
    this.toListener = [];
    for (const { session, message } of batch) {
      if (this.closed) return;
      this.onTaken(session);
      try {
        this.listener!(message, this);
      } catch {
        // unacknowledged: the broker redelivers it (ack timeout, nack, or a new session)
      }
    }
  }

  /** Tops the session's permits up once half its receive queue has been taken. */
  private onTaken(session: Session): void {
    session.taken++;
    if (session.taken * 2 >= this.queueSize) {
      const n = session.taken;
      session.taken = 0;
      this.permit(session, n);
    }
  }

  private permit(session: Session, n: number): void {
    session.socket.send(JSON.stringify({ type: "permit", permitMessages: n }));
  }
}
