/**
 * A pure TypeScript client of Apache Pulsar's WebSocket API (on `ws`), implementing the
 * pulsar-client subset consilium binds to — for running on a real broker without the native
 * addon: `websocketBinding({ serviceUrl: "ws://127.0.0.1:8080" })`.
 *
 * Limits (the WebSocket API's): receiver queues capped at 1000 by the broker; individual,
 * unconfirmed acknowledgements only; non-partitioned topics, one WebSocket session per topic; no ordering keys,
 * producer names or schemas on messages; no client-side batching (broker-side batching is opt-in
 * and mixes keys in a batch, so it is off by default); `Reader.hasNext()` answered from the
 * topic's last message id at reader creation plus the local buffer. See {@link WebSocketPulsarClient}.
 */
export {
  type WebSocketBinding,
  type WebSocketClientConfig,
  WebSocketPulsarClient,
  websocketBinding,
} from "./client.js";
export { MAX_RECEIVER_QUEUE, WebSocketConsumer } from "./consumer.js";
export { type WebSocketErrorCode, WebSocketPulsarError } from "./errors.js";
export { WebSocketMessage } from "./message.js";
export { WebSocketMessageId } from "./message-id.js";
export { WebSocketProducer } from "./producer.js";
export { WebSocketReader } from "./reader.js";
