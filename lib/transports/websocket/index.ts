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
