/**
 * Failure codes of the WebSocket-API client, named after the pulsar-client (C++ `Result`) results
 * they stand for, so callers can treat both clients alike.
 */
export type WebSocketErrorCode =
  | "AlreadyClosed"
  | "ConnectError"
  | "ConsumerBusy"
  | "ProducerBusy"
  | "TopicNotFound"
  | "AuthorizationError"
  | "InvalidConfiguration"
  | "InvalidMessage"
  | "ProducerQueueIsFull"
  | "ServiceUnitNotReady"
  | "TooManyLookupRequestException"
  | "TimeOut"
  | "UnknownError";

/**
 * Error thrown or rejected by the WebSocket-API client. Like pulsar-client's errors it is a plain
 * `Error` whose message reads `<operation>: <Result>` (plus the broker's detail when it gave one);
 * `code` carries the result name.
 */
export class WebSocketPulsarError extends Error {
  constructor(
    readonly code: WebSocketErrorCode,
    operation: string,
    detail?: string,
  ) {
    super(`${operation}: ${code}${detail === undefined || detail === "" ? "" : ` (${detail})`}`);
    this.name = "WebSocketPulsarError";
  }
}

/**
 * The result a failed WebSocket handshake stands for. The broker's WebSocket service answers the
 * upgrade request with an HTTP error when it cannot create the producer, consumer or reader
 * (`AbstractWebSocketHandler.getErrorCode`): 400 bad argument, 401/403 auth, 404 no such topic,
 * 409 busy (an Exclusive subscription already has a consumer, a producer name is taken),
 * 429 too many requests, 503 not ready, 504 timed out, 500 anything else.
 */
export function handshakeErrorCode(status: number, role: "producer" | "consumer" | "reader"): WebSocketErrorCode {
  switch (status) {
    case 400:
      return "InvalidConfiguration";
    case 401:
    case 403:
      return "AuthorizationError";
    case 404:
      return "TopicNotFound";
    case 409:
      return role === "producer" ? "ProducerBusy" : "ConsumerBusy";
    case 429:
      return "TooManyLookupRequestException";
    case 503:
      return "ServiceUnitNotReady";
    case 504:
      return "TimeOut";
    default:
      return "UnknownError";
  }
}

/** Whether a handshake failing with this HTTP status is worth retrying (the broker may recover). */
export function isRetriableStatus(status: number): boolean {
  return status === 409 || status === 429 || status >= 500;
}
