import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { waitUntil } from "../../../test/fixtures/wait-until.js";
import { WebSocketPulsarClient } from "./client.js";
import { encodeMessageIdData } from "./message-id-data.js";
import { WebSocketMessageId } from "./message-id.js";

// The frames the client writes and how it reads the broker's, checked against a scripted local
// endpoint (127.0.0.1) that records what it receives and answers as the test says. Behaviour on
// the real broker is covered by test/pulsar/websocket-client.test.ts.

interface Endpoint {
  readonly url: string;
  /** Every upgrade request's path and query. */
  readonly requests: string[];
  /** Every text frame received, parsed. */
  readonly frames: Record<string, unknown>[];
  /** The sockets accepted so far. */
  readonly sockets: WebSocket[];
}

let server: Server | undefined;
let wss: WebSocketServer | undefined;
let client: WebSocketPulsarClient | undefined;

afterEach(async () => {
  await client?.close();
  wss?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  client = server = wss = undefined;
});

async function endpoint(
  onFrame: (frame: Record<string, unknown>, ws: WebSocket) => void = () => {},
): Promise<Endpoint> {
  const requests: string[] = [];
  const frames: Record<string, unknown>[] = [];
  const sockets: WebSocket[] = [];
  wss = new WebSocketServer({ noServer: true });
  // Plain HTTP (the admin API the reader asks for a topic's last message id): not found.
  server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  server.on("upgrade", (req, socket, head) => {
    requests.push(req.url ?? "");
    wss!.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on("message", (data) => {
        const frame = JSON.parse(data.toString()) as Record<string, unknown>;
        frames.push(frame);
        onFrame(frame, ws);
      });
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new WebSocketPulsarClient({ serviceUrl: url, operationTimeoutMs: 2000, pingIntervalMs: 0 });
  return { url, requests, frames, sockets };
}

const idText = (entry: number) =>
  encodeMessageIdData({ ledgerId: 7n, entryId: BigInt(entry), partition: -1, batchIndex: -1 }).toString("base64");

describe("producer frames", () => {
  it("writes the WebSocket API's ProducerMessage and resolves each send by its context, in any receipt order", async () => {
    const held: Array<[Record<string, unknown>, WebSocket]> = [];
    const ep = await endpoint((frame, ws) => {
      held.push([frame, ws]);
      if (held.length === 3) {
        // answer in reverse order
        for (const [f, w] of [...held].reverse()) {
          const entry = Number(Buffer.from(f["payload"] as string, "base64").toString());
          w.send(JSON.stringify({ result: "ok", messageId: idText(entry), context: f["context"] }));
        }
      }
    });
    const producer = await client!.createProducer({ topic: "orders", producerName: "p1", sendTimeoutMs: 5000 });
    expect(ep.requests[0]).toBe(
      "/ws/v2/producer/persistent/public/default/orders?producerName=p1&sendTimeoutMillis=5000",
    );
    const ids = await Promise.all(
      [10, 11, 12].map((n) =>
        producer.send({
          data: Buffer.from(String(n)),
          properties: { n: String(n) },
          partitionKey: "pf-1",
          eventTimestamp: 1_700_000_000_000,
        }),
      ),
    );
    expect(ids.map(String)).toEqual(["(7,10,-1,-1)", "(7,11,-1,-1)", "(7,12,-1,-1)"]);
    expect(ep.frames[0]).toEqual({
      payload: Buffer.from("10").toString("base64"),
      context: ep.frames[0]!["context"],
      properties: { n: "10" },
      key: "pf-1",
      eventTime: "2023-11-14T22:13:20.000Z",
    });
    expect(new Set(ep.frames.map((f) => f["context"])).size).toBe(3);
  });

  it("rejects a send the broker refuses, and one without a receipt after sendTimeoutMs", async () => {
    await endpoint((frame, ws) => {
      if (Buffer.from(frame["payload"] as string, "base64").toString() === "bad") {
        ws.send(JSON.stringify({ result: "send-error:3", errorMsg: "too big", context: frame["context"] }));
      }
    });
    const producer = await client!.createProducer({ topic: "t", sendTimeoutMs: 150 });
    await expect(producer.send({ data: Buffer.from("bad") })).rejects.toThrow(/UnknownError.*send-error:3: too big/);
    const t0 = Date.now();
    await expect(producer.send({ data: Buffer.from("lost") })).rejects.toThrow(/Failed to send message: TimeOut/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("resends in-flight messages, in order, after a reconnection", async () => {
    let answer = false;
    const ep = await endpoint((frame, ws) => {
      if (answer) ws.send(JSON.stringify({ result: "ok", messageId: idText(1), context: frame["context"] }));
    });
    const producer = await client!.createProducer({ topic: "t" });
    const sends = ["a", "b", "c"].map((x) => producer.send({ data: Buffer.from(x) }));
    await waitUntil(() => ep.frames.length === 3, 3000, "ep.frames.length === 3");
    answer = true;
    ep.sockets[0]!.terminate();
    await Promise.all(sends);
    const replayed = ep.frames.slice(3).map((f) => Buffer.from(f["payload"] as string, "base64").toString());
    expect(replayed).toEqual(["a", "b", "c"]);
    expect(ep.requests.length).toBe(2);
  });
});

describe("consumer frames", () => {
  it("subscribes in pull mode with pulsar-client's options mapped to query parameters", async () => {
    const ep = await endpoint();
    await client!.subscribe({
      topic: "persistent://acme/desk/signals",
      subscription: "coord",
      subscriptionType: "KeyShared",
      subscriptionInitialPosition: "Earliest",
      receiverQueueSize: 5000,
      ackTimeoutMs: 30_000,
      nAckRedeliverTimeoutMs: 250,
      consumerName: "w1",
      deadLetterPolicy: { deadLetterTopic: "coord-dlq", maxRedeliverCount: 3 },
    });
    const url = new URL(ep.requests[0]!, "http://x");
    expect(url.pathname).toBe("/ws/v2/consumer/persistent/acme/desk/signals/coord");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      subscriptionType: "Key_Shared",
      receiverQueueSize: "1000",
      pullMode: "true",
      negativeAckRedeliveryDelay: "250",
      subscriptionInitialPosition: "Earliest",
      ackTimeoutMillis: "30000",
      consumerName: "w1",
      deadLetterTopic: "coord-dlq",
      maxRedeliverCount: "3",
    });
    await waitUntil(() => ep.frames.length === 1, 3000, "ep.frames.length === 1");
    expect(ep.frames[0]).toEqual({ type: "permit", permitMessages: 1000 });
  });

  it("grants permits again as receive() takes half the queue; acks and nacks echo the broker's id text", async () => {
    const ep = await endpoint();
    const consumer = await client!.subscribe({ topic: "t", subscription: "s", receiverQueueSize: 4 });
    await waitUntil(() => ep.frames.length === 1, 3000, "ep.frames.length === 1");
    for (let i = 0; i < 4; i++) {
      ep.sockets[0]!.send(JSON.stringify({ messageId: idText(i), payload: "", publishTime: "2026-01-01T00:00:00Z" }));
    }
    const first = await consumer.receive(1000);
    expect(ep.frames.length).toBe(1);
    const second = await consumer.receive(1000);
    await waitUntil(() => ep.frames.length === 2, 3000, "ep.frames.length === 2");
    expect(ep.frames[1]).toEqual({ type: "permit", permitMessages: 2 });
    await consumer.acknowledge(first);
    consumer.negativeAcknowledge(second);
    await consumer.acknowledgeId(WebSocketMessageId.deserialize(Buffer.from(idText(3), "base64")));
    await waitUntil(() => ep.frames.length === 5, 3000, "ep.frames.length === 5");
    expect(ep.frames.slice(2)).toEqual([
      { messageId: idText(0) },
      { type: "negativeAcknowledge", messageId: idText(1) },
      { messageId: idText(3) },
    ]);
  });
});

describe("reader frames", () => {
  it("starts at earliest, latest or after an id, and confirms each message read", async () => {
    const ep = await endpoint();
    const after = WebSocketMessageId.fromBase64(idText(5));
    const r1 = await client!.createReader({ topic: "t", startMessageId: WebSocketMessageId.earliest() });
    await client!.createReader({ topic: "t", startMessageId: WebSocketMessageId.latest() });
    await client!.createReader({ topic: "t", startMessageId: after, receiverQueueSize: 10 });
    const params = ep.requests.map((r) => Object.fromEntries(new URL(r, "http://x").searchParams));
    expect(params).toEqual([
      { receiverQueueSize: "1000", messageId: "earliest" },
      { receiverQueueSize: "1000", messageId: "latest" },
      { receiverQueueSize: "10", messageId: idText(5) },
    ]);
    ep.sockets[0]!.send(JSON.stringify({ messageId: idText(0), payload: Buffer.from("x").toString("base64") }));
    expect((await r1.readNext(1000)).getData().toString()).toBe("x");
    await waitUntil(() => ep.frames.length === 1, 3000, "ep.frames.length === 1");
    expect(ep.frames[0]).toEqual({ messageId: idText(0) });
  });
});
