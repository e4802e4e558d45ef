/**
 * The subset of pulsar-client's API that consilium's binding uses, with pulsar-client's own names
 * and shapes (see pulsar-client's `index.d.ts`). The embedded broker and the WebSocket-API client
 * implement it; a native `Pulsar.Client` satisfies it as is (checked in CI against the published
 * type declarations).
 *
 * Nothing here imports `pulsar-client`: the native addon is an optional peer that users hand in.
 */

export type SubscriptionType = "Exclusive" | "Shared" | "KeyShared" | "Failover";
export type InitialPosition = "Latest" | "Earliest";

/** Opaque position of a message in a topic. */
export interface MessageIdLike {
  serialize(): Buffer;
  toString(): string;
}

/** The static side of pulsar-client's `MessageId` class. */
export interface MessageIdStatic<Id extends MessageIdLike = MessageIdLike> {
  earliest(): Id;
  latest(): Id;
  deserialize(data: Buffer): Id;
}

export interface ProducerMessageLike {
  data: Buffer;
  properties?: { [key: string]: string };
  eventTimestamp?: number;
  sequenceId?: number;
  partitionKey?: string;
  orderingKey?: string;
  deliverAfter?: number;
  deliverAt?: number;
}

export interface MessageLike {
  getTopicName(): string;
  getProperties(): { [key: string]: string };
  getData(): Buffer;
  getMessageId(): MessageIdLike;
  getPublishTimestamp(): number;
  getEventTimestamp(): number;
  getRedeliveryCount(): number;
  getPartitionKey(): string;
}

export interface DeadLetterPolicyLike {
  deadLetterTopic: string;
  maxRedeliverCount?: number;
  initialSubscriptionName?: string;
}

export interface ProducerConfigLike {
  topic: string;
  producerName?: string;
  sendTimeoutMs?: number;
  maxPendingMessages?: number;
  blockIfQueueFull?: boolean;
  batchingEnabled?: boolean;
  batchingMaxPublishDelayMs?: number;
  batchingMaxMessages?: number;
  properties?: { [key: string]: string };
}

/**
 * pulsar-client's `ConsumerBatchReceivePolicy`: a `batchReceive()` completes once the receiver
 * queue holds `maxNumMessages` or `maxNumBytes`, or after `timeoutMs` with what is there (values
 * ≤ 0 disable a limit; pulsar-client's defaults: no count limit, 10 MiB, 100 ms).
 */
export interface BatchReceivePolicyLike {
  maxNumMessages?: number;
  maxNumBytes?: number;
  timeoutMs?: number;
}

export interface ConsumerConfigLike {
  topic?: string;
  topics?: string[];
  subscription: string;
  subscriptionType?: SubscriptionType;
  subscriptionInitialPosition?: InitialPosition;
  ackTimeoutMs?: number;
  nAckRedeliverTimeoutMs?: number;
  receiverQueueSize?: number;
  consumerName?: string;
  properties?: { [key: string]: string };
  deadLetterPolicy?: DeadLetterPolicyLike;
  batchReceivePolicy?: BatchReceivePolicyLike;
  /**
   * pulsar-client's message listener: every message is handed to it as it arrives (instead of
   * being taken with `receive()`, which a consumer with a listener refuses). The listener acks.
   */
  listener?: (message: MessageLike, consumer: ConsumerLike) => void;
}

export interface ReaderConfigLike {
  topic: string;
  startMessageId: MessageIdLike;
  receiverQueueSize?: number;
  readerName?: string;
}

export interface ProducerLike {
  send(message: ProducerMessageLike): Promise<MessageIdLike>;
  flush(): Promise<null>;
  close(): Promise<null>;
  getProducerName(): string;
  getTopic(): string;
  isConnected(): boolean;
}

export interface ConsumerLike {
  receive(timeout?: number): Promise<MessageLike>;
  /**
   * The messages of one batch, as the subscription's `batchReceivePolicy` decides. Optional:
   * pulsar-client and the embedded broker have it; the runtime falls back to `receive()`.
   */
  batchReceive?(): Promise<MessageLike[]>;
  acknowledge(message: MessageLike): Promise<null>;
  acknowledgeId(messageId: MessageIdLike): Promise<null>;
  negativeAcknowledge(message: MessageLike): void;
  negativeAcknowledgeId(messageId: MessageIdLike): void;
  isConnected(): boolean;
  close(): Promise<null>;
}

export interface ReaderLike {
  readNext(timeout?: number): Promise<MessageLike>;
  hasNext(): boolean;
  isConnected(): boolean;
  close(): Promise<null>;
}

export interface PulsarClientLike {
  createProducer(config: ProducerConfigLike): Promise<ProducerLike>;
  subscribe(config: ConsumerConfigLike): Promise<ConsumerLike>;
  createReader(config: ReaderConfigLike): Promise<ReaderLike>;
  close(): Promise<null>;
}

/**
 * What the runtime needs from a Pulsar implementation: a client and its `MessageId` class.
 * For the native addon: `{ client: new Pulsar.Client({ serviceUrl }), MessageId: Pulsar.MessageId }`.
 */
export interface PulsarBinding {
  readonly client: PulsarClientLike;
  readonly MessageId: MessageIdStatic;
}
