/**
 * consilium: portfolio trading coordination as composable RxJS operators, assembled into
 * declarative topologies bound to Apache Pulsar. Everything public is re-exported from here.
 */
export * from "./events/index.js";
export type * from "./domain/index.js";
export * from "./domain/policy.js";
export * from "./domain/risk-limits.js";
export * from "./stream/index.js";
export type * from "./transports/pulsar-client-like.js";
export * from "./storage/index.js";
export * from "./quant/index.js";
export * from "./transports/index.js";
export * from "./metrics/index.js";
export * from "../operators/index.js";
export * from "./topology/index.js";
export * from "./runtime/index.js";
export * from "../topologies/index.js";
