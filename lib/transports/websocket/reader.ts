import type { MessageIdLike, ReaderConfigLike, ReaderLike } from "../pulsar-client-like.js";
import { WebSocketPulsarError } from "./errors.js";
import { isWireMessage, WebSocketMessage } from "./message.js";
import { messageIdBase64, WebSocketMessageId } from "./message-id.js";
import { ReceiveQueue } from "./receive-queue.js";
import { PulsarSocket, type SocketSettings } from "./socket.js";
import type { TopicName } from "./topic-name.js";

const MAX_RECEIVER_QUEUE = 1000;

interface Position {
  readonly ledgerId: bigint;
  readonly entryId: bigint;
}

function comparePositions(a: Position, b: Position): number {
  if (a.ledgerId !== b.ledgerId) return a.ledgerId < b.ledgerId ? -1 : 1;
  if (a.entryId !== b.entryId) return a.entryId < b.entryId ? -1 : 1;
  return 0;
}

/** The topic's last message id from the admin REST API, or undefined if it cannot be had. */
async function lastMessageId(adminUrl: string, topic: TopicName): Promise<Position | undefined> {
  try {
    const res = await fetch(`${adminUrl}/admin/v2/${topic.urlPath}/lastMessageId`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { ledgerId?: unknown; entryId?: unknown };
    if (typeof body.ledgerId !== "number" || typeof body.entryId !== "number") return undefined;
    // An entry id of -1 means the topic holds no message yet.
    if (body.entryId < 0) return undefined;
    return { ledgerId: BigInt(body.ledgerId), entryId: BigInt(body.entryId) };
  } catch {
    return undefined;
  }
}

/** The `messageId` query parameter of the reader endpoint for a start position. */
function startParam(id: MessageIdLike): string {
  const parsed = id instanceof WebSocketMessageId ? id : WebSocketMessageId.deserialize(id.serialize());
  if (parsed.isEarliest()) return "earliest";
  if (parsed.isLatest()) return "latest";
  return messageIdBase64(id);
}

/**
 * A reader over the WebSocket API (`/ws/v2/reader/...?messageId=earliest|latest|<base64>`), with
 * pulsar-client's `Reader` API. Reading starts after the given message id (exclusive, as
 * pulsar-client's default), at the first message for `earliest()`, or at the next message published
 * for `latest()`. Each message taken by `readNext` is confirmed to the broker, which keeps at most
 * `receiverQueueSize` (≤ 1000) messages in flight.
 *
 * `hasNext()` must answer synchronously and the WebSocket API has no "has message available"
 * command, so on creation the reader asks the admin REST API for the topic's last message id
 * (`GET /admin/v2/.../lastMessageId`); `hasNext()` is then true while a message is buffered locally
 * or the last message read (or the start position) is before that id. Messages published after the
 * reader was created count once they have arrived locally.
 */
export class WebSocketReader implements ReaderLike {
  private readonly queue = new ReceiveQueue<WebSocketMessage>();
  private closed = false;
  private lastRead: WebSocketMessageId | undefined;
  /** The last message read, or the start position; undefined when unknown. */
  private position: Position | undefined;
  /** The topic's last message id when the reader was created; undefined when unknown. */
  private knownEnd: Position | undefined;
  private socket!: PulsarSocket;

  private constructor(private readonly topic: TopicName) {}

  static async create(
    serviceUrl: string,
    adminUrl: string,
    config: ReaderConfigLike,
    topic: TopicName,
    settings: SocketSettings,
  ): Promise<WebSocketReader> {
    const reader = new WebSocketReader(topic);
    const queueSize = Math.max(1, Math.min(config.receiverQueueSize ?? MAX_RECEIVER_QUEUE, MAX_RECEIVER_QUEUE));
    const params = new URLSearchParams({ receiverQueueSize: String(queueSize) });
    if (config.readerName !== undefined) params.set("readerName", config.readerName);
    const start = startParam(config.startMessageId);
    const base = `${serviceUrl}/ws/v2/reader/${topic.urlPath}`;
    // After a reconnection, resume after the last message handed out (none are lost or repeated).
    const url = () => {
      const p = new URLSearchParams(params);
      p.set("messageId", reader.lastRead === undefined ? start : reader.lastRead.base64);
      return `${base}?${p}`;
    };
    reader.socket = await PulsarSocket.connect(
      url(),
      "reader",
      settings,
      {
        onMessage: (text) => reader.onFrame(text),
        onOpen: () => undefined,
        // The reader resumes after the last message read; drop what was buffered beyond it.
        onDisconnect: () => reader.queue.clear(),
      },
      url,
    );
    reader.knownEnd = await lastMessageId(adminUrl, topic);
    const startId = config.startMessageId;
    const parsed =
      startId instanceof WebSocketMessageId ? startId : WebSocketMessageId.deserialize(startId.serialize());
    reader.position = parsed.isLatest() ? reader.knownEnd : parsed;
    return reader;
  }

  async readNext(timeout?: number): Promise<WebSocketMessage> {
    if (this.closed) throw new WebSocketPulsarError("AlreadyClosed", "Failed to read next message");
    const message = await this.queue.take(
      timeout,
      () => new WebSocketPulsarError("TimeOut", "Failed to read next message"),
    );
    this.lastRead = message.messageId;
    this.position = message.messageId;
    this.socket.send(JSON.stringify({ messageId: message.messageId.base64 }));
    return message;
  }

  /** Whether a message is buffered locally or known to be stored after the last one read (see the class note). */
  hasNext(): boolean {
    if (this.queue.size > 0) return true;
    if (this.knownEnd === undefined || this.position === undefined) return false;
    return comparePositions(this.knownEnd, this.position) > 0;
  }

  isConnected(): boolean {
    return !this.closed && this.socket.isOpen;
  }

  async close(): Promise<null> {
    if (this.closed) return null;
    this.closed = true;
    this.queue.failAll(() => new WebSocketPulsarError("AlreadyClosed", "Failed to read next message"));
    await this.socket.close();
    return null;
  }

  /** For tests: drop the connection as a network failure would. */
  simulateNetworkFailure(): void {
    this.socket.simulateNetworkFailure();
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
}
