export {
  EmbeddedBroker,
  type EmbeddedBinding,
  type EmbeddedBrokerOptions,
  type EmbeddedSubscriptionStats,
  type EmbeddedTopicStats,
  embeddedBinding,
  ORIGIN_MESSAGE_ID,
  REAL_TOPIC,
} from "./broker.js";
export { EmbeddedClient, MIN_ACK_TIMEOUT_MS } from "./client.js";
export { EmbeddedConsumer } from "./consumer.js";
export { type EmbeddedErrorCode, EmbeddedPulsarError } from "./errors.js";
export { HASH_RANGE_SIZE, KeySharedSelector, keySlot } from "./key-shared-selector.js";
export { EmbeddedMessage } from "./message.js";
export { EmbeddedMessageId } from "./message-id.js";
export { decodeMessageIdData, encodeMessageIdData, type MessageIdFields } from "./message-id-codec.js";
export { murmur3, murmur3Bytes } from "./murmur3.js";
export { EmbeddedProducer } from "./producer.js";
export { EmbeddedReader } from "./reader.js";
export { fullTopicName, type RetentionMode } from "./topic.js";
