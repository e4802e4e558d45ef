import type {
  ConsumerConfigLike,
  ConsumerLike,
  MessageIdLike,
  MessageIdStatic,
  MessageLike,
  ProducerConfigLike,
  ProducerLike,
  ProducerMessageLike,
  PulsarBinding,
  PulsarClientLike,
  ReaderConfigLike,
  ReaderLike,
} from "../transports/pulsar-client-like.js";
import type { ReplayMessage, ReplayTransport } from "./types.js";

/** Build a {@link ReplayTransport} from recorded messages (kept in the given order). */
export function replay(messages: readonly ReplayMessage[]): ReplayTransport {
  return { kind: "replay", messages };
}

class ReplayId implements MessageIdLike {
  constructor(
    readonly topic: string,
    readonly pos: number,
  ) {}
  serialize(): Buffer {
    return Buffer.from(`${this.topic}\n${this.pos}`, "utf8");
  }
  toString(): string {
    return `${this.pos}`;
  }
}

const ReplayMessageId: MessageIdStatic<ReplayId> = {
  earliest: () => new ReplayId("", -1),
  latest: () => new ReplayId("", Number.MAX_SAFE_INTEGER),
  deserialize(data: Buffer) {
    const [topic, pos] = data.toString("utf8").split("\n");
    return new ReplayId(topic ?? "", Number(pos));
  },
};

class ReplayMsg implements MessageLike {
  constructor(
    private readonly topic: string,
    private readonly pos: number,
    private readonly m: ReplayMessage,
    private readonly redeliveries: number,
  ) {}
  getTopicName(): string {
    return this.topic;
  }
  getProperties(): { [key: string]: string } {
    return { ...(this.m.properties ?? {}) };
  }
  getData(): Buffer {
    const d = this.m.data;
    return Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  }
  getMessageId(): MessageIdLike {
    return new ReplayId(this.topic, this.pos);
  }
  getPublishTimestamp(): number {
    return this.m.publishTime ?? this.m.eventTime;
  }
  getEventTimestamp(): number {
    return this.m.eventTime;
  }
  getRedeliveryCount(): number {
    return this.redeliveries;
  }
  getPartitionKey(): string {
    return this.m.key;
  }
}

const END = "replay: reached end of topic";

/**
 * A consumer over one recorded topic: delivers the messages in order, then reports
 * `hasReachedEndOfTopic()`. A negative ack puts the message back at the end of the queue with its
 * redelivery count + 1 (deterministic; no timers). `receive()` on an exhausted topic rejects.
 */
class ReplayConsumer implements ConsumerLike {
  private next = 0;
  private readonly again: { pos: number; n: number }[] = [];
  private closed = false;
  constructor(
    private readonly topic: string,
    private readonly msgs: readonly ReplayMessage[],
  ) {}
  hasReachedEndOfTopic(): boolean {
    return this.next >= this.msgs.length && this.again.length === 0;
  }
  receive(): Promise<MessageLike> {
    if (this.closed) return Promise.reject(new Error("replay: consumer closed"));
    if (this.next < this.msgs.length) {
      const pos = this.next++;
      return Promise.resolve(new ReplayMsg(this.topic, pos, this.msgs[pos]!, 0));
    }
    const r = this.again.shift();
    if (r) return Promise.resolve(new ReplayMsg(this.topic, r.pos, this.msgs[r.pos]!, r.n));
    return Promise.reject(new Error(END));
  }
  acknowledge(): Promise<null> {
    return Promise.resolve(null);
  }
  acknowledgeId(): Promise<null> {
    return Promise.resolve(null);
  }
  negativeAcknowledge(message: MessageLike): void {
    const id = message.getMessageId() as ReplayId;
    this.again.push({ pos: id.pos, n: message.getRedeliveryCount() + 1 });
  }
  negativeAcknowledgeId(messageId: MessageIdLike): void {
    this.again.push({ pos: (messageId as ReplayId).pos, n: 1 });
  }
  isConnected(): boolean {
    return !this.closed;
  }
  close(): Promise<null> {
    this.closed = true;
    return Promise.resolve(null);
  }
}

class ReplayReader implements ReaderLike {
  private next = 0;
  constructor(
    private readonly topic: string,
    private readonly msgs: readonly ReplayMessage[],
  ) {}
  readNext(): Promise<MessageLike> {
    if (this.next >= this.msgs.length) return Promise.reject(new Error(END));
    const pos = this.next++;
    return Promise.resolve(new ReplayMsg(this.topic, pos, this.msgs[pos]!, 0));
  }
  hasNext(): boolean {
    return this.next < this.msgs.length;
  }
  hasReachedEndOfTopic(): boolean {
    return !this.hasNext();
  }
  isConnected(): boolean {
    return true;
  }
  close(): Promise<null> {
    return Promise.resolve(null);
  }
}

class ReplayProducer implements ProducerLike {
  private seq = 0;
  constructor(
    private readonly topic: string,
    private readonly written: ReplayMessage[],
  ) {}
  send(m: ProducerMessageLike): Promise<MessageIdLike> {
    this.written.push({
      topic: this.topic,
      data: m.data,
      key: m.partitionKey ?? "",
      eventTime: m.eventTimestamp ?? 0,
      ...(m.properties ? { properties: m.properties } : {}),
    });
    return Promise.resolve(new ReplayId(this.topic, this.seq++));
  }
  flush(): Promise<null> {
    return Promise.resolve(null);
  }
  close(): Promise<null> {
    return Promise.resolve(null);
  }
  getProducerName(): string {
    return "replay";
  }
  getTopic(): string {
    return this.topic;
  }
  isConnected(): boolean {
    return true;
  }
}

/**
 * An in-memory {@link PulsarBinding} over a recording: topics are the recorded messages grouped by
 * topic (recording order kept); consumers and readers end at the end of their topic; producers
 * append to the written topic (not visible to readers of recorded topics — a replay never feeds
 * back). Used by `run()` for a {@link ReplayTransport}.
 */
export function createReplayBinding(messages: readonly ReplayMessage[]): PulsarBinding & {
  readonly written: Map<string, ReplayMessage[]>;
} {
  const byTopic = new Map<string, ReplayMessage[]>();
  for (const m of messages) {
    let list = byTopic.get(m.topic);
    if (!list) byTopic.set(m.topic, (list = []));
    list.push(m);
  }
  const written = new Map<string, ReplayMessage[]>();
  const client: PulsarClientLike = {
    createProducer(config: ProducerConfigLike) {
      let list = written.get(config.topic);
      if (!list) written.set(config.topic, (list = []));
      return Promise.resolve(new ReplayProducer(config.topic, list));
    },
    subscribe(config: ConsumerConfigLike) {
      const topic = config.topic ?? config.topics?.[0] ?? "";
      return Promise.resolve(new ReplayConsumer(topic, byTopic.get(topic) ?? []));
    },
    createReader(config: ReaderConfigLike) {
      // Sink topics are read for de-duplication; in a replay they start empty.
      return Promise.resolve(new ReplayReader(config.topic, byTopic.get(config.topic) ?? []));
    },
    close: () => Promise.resolve(null),
  };
  return { client, MessageId: ReplayMessageId, written };
}
