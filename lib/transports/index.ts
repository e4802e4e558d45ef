/**
 * Transports: the pulsar-client interface subset the runtime binds to, and its implementations.
 * The embedded broker is the default (no server needed).
 */
export type * from "./pulsar-client-like.js";
export * from "./embedded/index.js";
export * from "./websocket/index.js";
// Further transports (e.g. the WebSocket-API client) add their export line here.
