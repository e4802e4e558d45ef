export type * from "./portfolio.js";
export type * from "./signals.js";
