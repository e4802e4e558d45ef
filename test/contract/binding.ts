/**
 * Chooses the pulsar-client implementation the contract suite runs against, from the
 * environment variable CONSILIUM_TRANSPORT:
 * - `embedded` (default): the in-process embedded broker, no server needed;
 * - further transports (the WebSocket-API client against a real broker) plug in at the switch
 *   in {@link makeBinding}.
 *
 * The suite itself only uses the {@link PulsarBinding} interface, so it runs unchanged on every
 * implementation. Topic and subscription names are unique per call and valid on a real broker.
 */
import { randomBytes } from "node:crypto";
import type { PulsarBinding } from "../../lib/transports/pulsar-client-like.js";

export const transportName: string = process.env.CONSILIUM_TRANSPORT ?? "embedded";

/** A fresh binding (own client; for `embedded`, also its own broker). Close its client after use. */
export async function makeBinding(): Promise<PulsarBinding> {
  switch (transportName) {
    case "embedded": {
      const { embeddedBinding } = await import("../../lib/transports/embedded/index.js");
      return embeddedBinding();
    }
    case "websocket": {
      // The WebSocket-API client against a real broker (test/pulsar/run.sh starts one).
      const { websocketBinding } = await import("../../lib/transports/websocket/index.js");
      return websocketBinding({ serviceUrl: process.env.PULSAR_WS_URL ?? "ws://127.0.0.1:8080" });
    }
    // Other transports: add a `case "<name>":` returning their binding here.
    default:
      throw new Error(`unknown CONSILIUM_TRANSPORT "${transportName}"`);
  }
}

function suffix(): string {
  return randomBytes(6).toString("hex");
}

/** A unique, fully qualified topic name: `persistent://public/default/contract-<name>-<random>`. */
export function makeTopic(name: string): string {
  return `persistent://public/default/contract-${name}-${suffix()}`;
}

/** A unique subscription name. */
export function makeSubscription(name: string): string {
  return `contract-${name}-${suffix()}`;
}
