import type { MessageIdLike, ProducerLike, ProducerMessageLike } from "../pulsar-client-like.js";
import { EmbeddedPulsarError, RESOLVED_NULL } from "./errors.js";
import type { Topic } from "./topic.js";

/**
 * A producer with pulsar-client's `Producer` methods. `send` stores a copy of the data (so the
 * caller may reuse its buffer), stamps the publish time from the broker's scheduler, dispatches
 * to the topic's subscriptions and resolves with the message id. Delayed delivery
 * (`deliverAfter` / `deliverAt`) is not supported and rejects.
 */
export class EmbeddedProducer implements ProducerLike {
  private closed = false;

  constructor(
    private readonly topic: Topic,
    private readonly name: string,
    private readonly onClose: (p: EmbeddedProducer) => void,
  ) {}

  send(message: ProducerMessageLike): Promise<MessageIdLike> {
    if (this.closed) return Promise.reject(new EmbeddedPulsarError("AlreadyClosed", "Failed to send message"));
    if (message === null || typeof message !== "object" || !Buffer.isBuffer(message.data)) {
      return Promise.reject(
        new EmbeddedPulsarError("InvalidMessage", "Failed to send message", "data must be a Buffer"),
      );
    }
    if (message.deliverAfter !== undefined || message.deliverAt !== undefined) {
      return Promise.reject(
        new EmbeddedPulsarError("NotSupported", "Failed to send message", "delayed delivery is not supported"),
      );
    }
    try {
      return Promise.resolve(this.topic.publish(message, this.name));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  flush(): Promise<null> {
    return RESOLVED_NULL;
  }

  close(): Promise<null> {
    if (!this.closed) {
      this.closed = true;
      this.onClose(this);
    }
    return RESOLVED_NULL;
  }

  getProducerName(): string {
    return this.name;
  }

  getTopic(): string {
    return this.topic.name;
  }

  isConnected(): boolean {
    return !this.closed;
  }
}
