export * from "./define-topology.js";
export * from "./describe.js";
export * from "./filter-records.js";
export * from "./hash.js";
export * from "./map-records.js";
export * from "./types.js";
export { TopologyValidationError, validateTopology } from "./validate.js";
