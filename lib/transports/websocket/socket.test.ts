import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { waitUntil } from "../../../test/fixtures/wait-until.js";
import { PulsarSocket, type SocketSettings } from "./socket.js";

// A local WebSocket endpoint on 127.0.0.1 whose answers each test scripts, to drive the socket's
// handshake-failure, retry and reconnection paths (the real broker runs in test/pulsar/).

const settings: SocketSettings = {
  operationTimeoutMs: 3000,
  initialBackoffMs: 10,
  maxBackoffMs: 40,
  pingIntervalMs: 0,
};

let server: Server | undefined;
let wss: WebSocketServer | undefined;

afterEach(async () => {
  wss?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
  wss = undefined;
});

/** Starts an endpoint that answers the n-th upgrade request (0-based) with `answer(n)`. */
async function endpoint(answer: (n: number) => number | "accept"): Promise<{ url: string; connections: () => number }> {
  let n = 0;
  wss = new WebSocketServer({ noServer: true });
  server = createServer();
  server.on("upgrade", (req, socket, head) => {
    const a = answer(n++);
    if (a === "accept") {
      wss!.handleUpgrade(req, socket, head, (ws) => {
        ws.on("message", (data) => ws.send(`echo:${data.toString()}`));
      });
    } else {
      socket.end(`HTTP/1.1 ${a} Nope\r\nContent-Type: text/html\r\n\r\n<html><title>Error ${a} busy</title></html>`);
    }
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/ws/v2/consumer/persistent/public/default/t/s`, connections: () => n };
}

function recorder() {
  const events: string[] = [];
  return {
    events,
    handlers: {
      onMessage: (text: string) => events.push(text),
      onOpen: (reconnected: boolean) => events.push(reconnected ? "reopen" : "open"),
      onDisconnect: () => events.push("disconnect"),
    },
  };
}

describe("PulsarSocket", () => {
  it("rejects at once when the broker refuses with a non-retriable status, with its reason", async () => {
    const { url, connections } = await endpoint(() => 409);
    const r = recorder();
    await expect(PulsarSocket.connect(url, "consumer", settings, r.handlers)).rejects.toThrow(
      "Failed to create consumer: ConsumerBusy (HTTP 409: Error 409 busy)",
    );
    expect(connections()).toBe(1);
  });

  it("retries a retriable refusal (503) with backoff until the broker accepts", async () => {
    const { url, connections } = await endpoint((n) => (n < 3 ? 503 : "accept"));
    const r = recorder();
    const socket = await PulsarSocket.connect(url, "producer", settings, r.handlers);
    expect(connections()).toBe(4);
    expect(r.events).toEqual(["open"]);
    await socket.close();
  });

  it("gives up with ConnectError when nothing listens within the operation timeout", async () => {
    const r = recorder();
    const quick = { ...settings, operationTimeoutMs: 200 };
    await expect(PulsarSocket.connect("ws://127.0.0.1:9/ws", "reader", quick, r.handlers)).rejects.toThrow(
      /Failed to create reader: ConnectError/,
    );
  });

  it("reconnects after the connection drops and keeps working", async () => {
    const { url, connections } = await endpoint(() => "accept");
    const r = recorder();
    const socket = await PulsarSocket.connect(url, "consumer", settings, r.handlers);
    expect(socket.send("a")).toBe(true);
    await waitUntil(() => r.events.includes("echo:a"), 3000, "event echo:a");
    socket.simulateNetworkFailure();
    await waitUntil(() => r.events.includes("reopen"), 3000, "event reopen");
    expect(r.events).toEqual(["open", "echo:a", "disconnect", "reopen"]);
    expect(connections()).toBe(2);
    expect(socket.send("b")).toBe(true);
    await waitUntil(() => r.events.includes("echo:b"), 3000, "event echo:b");
    await socket.close();
    expect(socket.isOpen).toBe(false);
    expect(socket.send("c")).toBe(false);
  });

  it("does not reconnect after close", async () => {
    const { url, connections } = await endpoint(() => "accept");
    const r = recorder();
    const socket = await PulsarSocket.connect(url, "consumer", settings, r.handlers);
    await socket.close();
    await new Promise((res) => setTimeout(res, 100));
    expect(connections()).toBe(1);
    expect(r.events).toEqual(["open"]);
  });
});
