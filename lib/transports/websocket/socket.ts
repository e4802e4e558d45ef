import WebSocket from "ws";
import { handshakeErrorCode, isRetriableStatus, WebSocketPulsarError } from "./errors.js";

/** Reconnection and keep-alive settings shared by every socket of a client. */
export interface SocketSettings {
  /** How long the first connection may take, retries included (pulsar-client's operation timeout). */
  readonly operationTimeoutMs: number;
  /** First reconnection delay; it doubles after each failed attempt up to `maxBackoffMs`. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** WebSocket ping period, so the broker's idle timeout never closes a quiet session. */
  readonly pingIntervalMs: number;
}

export interface SocketHandlers {
  /** Every text frame the broker sends. */
  onMessage(text: string): void;
  /**
   * After the first connection (`reconnected` false; `connect` has not returned yet, so the
   * socket is passed in) and after every reconnection (true).
   */
  onOpen(reconnected: boolean, socket: PulsarSocket): void;
  /** When an established connection drops (before reconnection attempts start). */
  onDisconnect(): void;
}

type Role = "producer" | "consumer" | "reader";

/** Text of the `<title>` of the broker's HTML error page, or the HTTP status text. */
function errorDetail(body: string, statusMessage: string | undefined): string {
  const title = /<title>([\s\S]*?)<\/title>/i.exec(body)?.[1];
  const text = (title ?? statusMessage ?? "")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
  return text.trim();
}

interface AttemptFailure {
  error: WebSocketPulsarError;
  retriable: boolean;
}

/**
 * One WebSocket session with the broker's WebSocket API (one producer, consumer or reader), that
 * reconnects by itself: when an established connection drops it retries with exponential backoff
 * until it is back or {@link close} is called, and tells its owner through {@link SocketHandlers}.
 */
export class PulsarSocket {
  private ws: WebSocket | undefined;
  private closed = false;
  private backoffMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly url: () => string,
    private readonly role: Role,
    private readonly settings: SocketSettings,
    private readonly handlers: SocketHandlers,
  ) {
    this.backoffMs = settings.initialBackoffMs;
  }

  /**
   * Opens the session. Network errors and retriable broker answers (5xx, 429) are retried with
   * backoff within the operation timeout; other handshake refusals (bad argument, busy
   * subscription, no such topic) reject at once with the broker's reason. `reconnectUrl`, if
   * given, supplies the URL for later reconnections (a reader resumes after its last message).
   */
  static async connect(
    url: string,
    role: Role,
    settings: SocketSettings,
    handlers: SocketHandlers,
    reconnectUrl?: () => string,
  ): Promise<PulsarSocket> {
    const socket = new PulsarSocket(reconnectUrl ?? (() => url), role, settings, handlers);
    const deadline = Date.now() + settings.operationTimeoutMs;
    let delay = settings.initialBackoffMs;
    for (;;) {
      const failure = await socket.attempt();
      if (failure === undefined) break;
      const remaining = deadline - Date.now();
      if (!failure.retriable || remaining <= 0) throw failure.error;
      await new Promise((r) => setTimeout(r, Math.min(delay, remaining)));
      delay = Math.min(delay * 2, settings.maxBackoffMs);
    }
    socket.startPing();
    handlers.onOpen(false, socket);
    return socket;
  }

  get isOpen(): boolean {
    return !this.closed && this.ws !== undefined && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a text frame if the session is open; returns false (and sends nothing) otherwise. */
  send(text: string): boolean {
    if (!this.isOpen) return false;
    this.ws!.send(text);
    return true;
  }

  /** Bytes queued in the socket but not yet written to the network. */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  /** Ends the session for good (no reconnection); resolves once the socket is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = undefined;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once("close", () => {
        clearTimeout(force);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
    });
  }

  /** Drops the TCP connection without a close handshake, as a network failure would (for tests). */
  simulateNetworkFailure(): void {
    this.ws?.terminate();
  }

  private attempt(): Promise<AttemptFailure | undefined> {
    return new Promise((resolve) => {
      const ws = new WebSocket(this.url(), {
        perMessageDeflate: false,
        handshakeTimeout: this.settings.operationTimeoutMs,
      });
      let settled = false;
      const fail = (failure: AttemptFailure) => {
        if (settled) return;
        settled = true;
        ws.removeAllListeners();
        ws.on("error", () => undefined);
        ws.terminate();
        resolve(failure);
      };
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 4096) body += chunk;
        });
        const status = res.statusCode ?? 500;
        const finish = () =>
          fail({
            error: new WebSocketPulsarError(
              handshakeErrorCode(status, this.role),
              `Failed to create ${this.role}`,
              `HTTP ${status}: ${errorDetail(body, res.statusMessage)}`,
            ),
            retriable: isRetriableStatus(status) && status !== 409,
          });
        res.once("end", finish);
        res.once("error", finish);
      });
      ws.once("error", (err: Error) =>
        fail({
          error: new WebSocketPulsarError("ConnectError", `Failed to create ${this.role}`, err.message),
          retriable: true,
        }),
      );
      ws.once("open", () => {
        if (settled) return;
        settled = true;
        ws.removeAllListeners();
        this.adopt(ws);
        resolve(undefined);
      });
    });
  }

  private adopt(ws: WebSocket): void {
    this.ws = ws;
    ws.on("message", (data: WebSocket.RawData) => {
      this.handlers.onMessage(data.toString());
    });
    ws.on("error", () => undefined);
    ws.once("close", () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (this.closed) return;
      this.handlers.onDisconnect();
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.settings.maxBackoffMs);
    this.reconnectTimer = setTimeout(() => {
      void this.attempt().then((failure) => {
        if (this.closed) {
          this.ws?.terminate();
          return;
        }
        if (failure !== undefined) {
          this.scheduleReconnect();
          return;
        }
        this.backoffMs = this.settings.initialBackoffMs;
        this.handlers.onOpen(true, this);
      });
    }, delay);
  }

  private startPing(): void {
    if (this.settings.pingIntervalMs <= 0) return;
    this.pingTimer = setInterval(() => {
      if (this.isOpen) this.ws!.ping();
    }, this.settings.pingIntervalMs);
    this.pingTimer.unref();
  }
}
