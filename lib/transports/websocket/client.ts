import type {
  ConsumerConfigLike,
  PulsarBinding,
  PulsarClientLike,
  ProducerConfigLike,
  ReaderConfigLike,
} from "../pulsar-client-like.js";
import { WebSocketConsumer } from "./consumer.js";
import { WebSocketPulsarError } from "./errors.js";
import { WebSocketMessageId } from "./message-id.js";
import { WebSocketProducer } from "./producer.js";
import { WebSocketReader } from "./reader.js";
import type { SocketSettings } from "./socket.js";
import { parseTopicName } from "./topic-name.js";

export interface WebSocketClientConfig {
  /** The broker's (or WebSocket proxy's) web service, e.g. `ws://127.0.0.1:8080`. */
  readonly serviceUrl: string;
  /**
   * The admin REST API, e.g. `http://127.0.0.1:8080`; defaults to `serviceUrl` with `ws` → `http`.
   * Used to create a dead-letter policy's `initialSubscriptionName` and for `Reader.hasNext()`.
   */
  readonly adminUrl?: string;
  /** How long creating a producer, consumer or reader may take, retries included. Default 30 s. */
  readonly operationTimeoutMs?: number;
  /** First reconnection delay after a dropped connection (doubling per failure). Default 100 ms. */
  readonly initialBackoffMs?: number;
  /** Longest reconnection delay. Default 10 s. */
  readonly maxBackoffMs?: number;
  /** WebSocket ping period keeping quiet sessions open. Default 30 s; 0 disables. */
  readonly pingIntervalMs?: number;
}

interface Closable {
  close(): Promise<null>;
}

/**
 * A Pulsar client speaking the broker's WebSocket API, in plain TypeScript on `ws`: for users
 * who cannot build pulsar-client's native addon. It implements the subset of pulsar-client's
 * `Client` that consilium's binding uses ({@link PulsarClientLike}).
 *
 * Limits of the WebSocket API, and so of this client:
 * - a consumer's or reader's receiver queue is capped at 1000 messages by the broker;
 * - acknowledgements are individual (no cumulative acks) and unconfirmed: the broker sends no
 *   answer to an ack, so `acknowledge` resolves once the frame is written;
 * - a consumer of a `topics` list holds one WebSocket session per topic (no topic patterns);
 *   partitioned topics are not supported;
 * - messages carry no ordering key, producer name or schema; `partitionKey` travels as the key;
 * - a dead-letter policy's `initialSubscriptionName` is created through the admin REST API;
 * - `Reader.hasNext()` is answered from the topic's last message id, fetched from the admin REST
 *   API when the reader is created, plus the messages already received;
 * - producers do not batch on the client; each send is one JSON frame with a base64 payload, and a
 *   reconnection resends in-flight messages (at-least-once, possible duplicates);
 * - broker-side batching is off unless `batchingEnabled: true` (pulsar-client's default is on): the
 *   WebSocket producer cannot batch by key, and a batch mixing keys breaks KeyShared routing;
 * - ack timeouts below 1000 ms are refused by the broker (the Java client's minimum).
 */
export class WebSocketPulsarClient implements PulsarClientLike {
  private readonly serviceUrl: string;
  private readonly adminUrl: string;
  private readonly settings: SocketSettings;
  private readonly open = new Set<Closable>();
  private closed = false;

  constructor(config: WebSocketClientConfig) {
    const serviceUrl = config.serviceUrl.replace(/\/+$/, "");
    if (!/^wss?:\/\//.test(serviceUrl)) {
      throw new WebSocketPulsarError("InvalidConfiguration", "Invalid service URL", config.serviceUrl);
    }
    this.serviceUrl = serviceUrl;
    this.adminUrl = (config.adminUrl ?? serviceUrl.replace(/^ws/, "http")).replace(/\/+$/, "");
    this.settings = {
      operationTimeoutMs: config.operationTimeoutMs ?? 30_000,
      initialBackoffMs: config.initialBackoffMs ?? 100,
      maxBackoffMs: config.maxBackoffMs ?? 10_000,
      pingIntervalMs: config.pingIntervalMs ?? 30_000,
    };
  }

  async createProducer(config: ProducerConfigLike): Promise<WebSocketProducer> {
    this.assertOpen("Failed to create producer");
    const producer = await WebSocketProducer.create(
      this.serviceUrl,
      config,
      parseTopicName(config.topic),
      this.settings,
    );
    return this.track(producer);
  }

  async subscribe(config: ConsumerConfigLike): Promise<WebSocketConsumer> {
    this.assertOpen("Failed to create consumer");
    const names = [...(config.topic !== undefined ? [config.topic] : []), ...(config.topics ?? [])];
    if (names.length === 0) {
      throw new WebSocketPulsarError("InvalidConfiguration", "Failed to create consumer", "no topic given");
    }
    const dlq = config.deadLetterPolicy;
    if (dlq?.initialSubscriptionName !== undefined) {
      await this.createSubscription(dlq.deadLetterTopic, dlq.initialSubscriptionName);
    }
    const consumer = await WebSocketConsumer.create(this.serviceUrl, config, names.map(parseTopicName), this.settings);
    return this.track(consumer);
  }

  async createReader(config: ReaderConfigLike): Promise<WebSocketReader> {
    this.assertOpen("Failed to create reader");
    const reader = await WebSocketReader.create(
      this.serviceUrl,
      this.adminUrl,
      config,
      parseTopicName(config.topic),
      this.settings,
    );
    return this.track(reader);
  }

  /** Closes every producer, consumer and reader this client created. */
  async close(): Promise<null> {
    if (this.closed) return null;
    this.closed = true;
    await Promise.allSettled([...this.open].map((c) => c.close()));
    this.open.clear();
    return null;
  }

  /**
   * Creates `subscription` on `topic` (at its end) through the admin REST API, creating the topic
   * if needed; an existing subscription is kept. This is how a dead-letter topic gets its initial
   * subscription, so dead-lettered messages are retained until someone reads them.
   */
  async createSubscription(topic: string, subscription: string): Promise<void> {
    const t = parseTopicName(topic);
    const url = `${this.adminUrl}/admin/v2/${t.urlPath}/subscription/${encodeURIComponent(subscription)}`;
    const res = await fetch(url, { method: "PUT", headers: { "content-type": "application/json" } });
    if (!res.ok && res.status !== 409) {
      throw new WebSocketPulsarError(
        "UnknownError",
        "Failed to create subscription",
        `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`,
      );
    }
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new WebSocketPulsarError("AlreadyClosed", operation);
  }

  private track<T extends Closable>(resource: T): T {
    if (this.closed) {
      void resource.close();
      throw new WebSocketPulsarError("AlreadyClosed", "Client closed");
    }
    this.open.add(resource);
    const close = resource.close.bind(resource);
    resource.close = async () => {
      this.open.delete(resource);
      return close();
    };
    return resource;
  }
}

/** A {@link PulsarBinding} on the WebSocket API: `{ client, MessageId }` ready for the runtime. */
export interface WebSocketBinding extends PulsarBinding {
  readonly client: WebSocketPulsarClient;
  readonly MessageId: typeof WebSocketMessageId;
}

/**
 * Binds consilium to a real Pulsar broker through its WebSocket API:
 * `websocketBinding({ serviceUrl: "ws://127.0.0.1:8080" })`.
 */
export function websocketBinding(config: WebSocketClientConfig): WebSocketBinding {
  return { client: new WebSocketPulsarClient(config), MessageId: WebSocketMessageId };
}
