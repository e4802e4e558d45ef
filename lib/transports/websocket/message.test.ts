import { describe, expect, it } from "vitest";
import { isWireMessage, WebSocketMessage } from "./message.js";

describe("WebSocketMessage", () => {
  // A frame as a Pulsar 4.0 broker's consumer endpoint sent it.
  const frame = {
    messageId: "CAEQADAA",
    payload: "aGVsbG8=",
    properties: { a: "1" },
    publishTime: "2026-11-24T13:48:53.096Z",
    redeliveryCount: 2,
    eventTime: "2023-11-14T22:13:20.123Z",
    key: "k1",
  };

  it("maps the WebSocket API's fields to pulsar-client's getters", () => {
    const m = new WebSocketMessage("persistent://public/default/t", frame);
    expect(m.getTopicName()).toBe("persistent://public/default/t");
    expect(m.getData().toString()).toBe("hello");
    expect(m.getProperties()).toEqual({ a: "1" });
    expect(m.getPartitionKey()).toBe("k1");
    expect(m.getEventTimestamp()).toBe(1_700_000_000_123);
    expect(m.getPublishTimestamp()).toBe(Date.UTC(2026, 10, 24, 13, 48, 53, 96));
    expect(m.getRedeliveryCount()).toBe(2);
    expect(m.getMessageId().toString()).toBe("(1,0,-1,-1)");
  });

  it("uses pulsar-client's empty values when the producer set no key, event time or properties", () => {
    const m = new WebSocketMessage("t", { messageId: "CAEQADAA", payload: "" });
    expect([m.getPartitionKey(), m.getEventTimestamp(), m.getRedeliveryCount()]).toEqual(["", 0, 0]);
    expect(m.getProperties()).toEqual({});
    expect(m.getData().length).toBe(0);
  });

  it("returns a fresh properties object on every call", () => {
    const m = new WebSocketMessage("t", frame);
    m.getProperties()["a"] = "changed";
    expect(m.getProperties()).toEqual({ a: "1" });
  });

  it("tells messages from command responses", () => {
    expect(isWireMessage(frame)).toBe(true);
    expect(isWireMessage({ endOfTopic: false })).toBe(false);
    expect(isWireMessage(null)).toBe(false);
  });
});
