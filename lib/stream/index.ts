export * from "./item.js";
export * from "./operator.js";
export * from "./fanout.js";
