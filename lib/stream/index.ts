export * from "./item.js";
export * from "./operator.js";
