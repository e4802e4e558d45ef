/**
 * consilium/testing: a property-test kit for consilium operators — event and stream arbitraries,
 * a virtual-time operator runner and the operator laws as reusable checks.
 */
export * from "./event-arbitraries.js";
export * from "./laws.js";
export * from "./run-operator.js";
export * from "./stream-arbitraries.js";
