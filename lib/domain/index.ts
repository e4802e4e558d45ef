export type * from "./portfolio.js";
export type * from "./signals.js";
export type * from "./policy.js";
export type * from "./risk-limits.js";
