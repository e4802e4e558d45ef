/**
 * The bundled topologies, by name (what `consilium run --topology` and `consilium describe` accept
 * besides a path to a module).
 */
import type { Topology } from "../lib/topology/types.js";
import { portfolioCoordinationTopology } from "./portfolio-coordination.js";

export * from "./portfolio-coordination.config.js";
export * from "./portfolio-coordination.js";
export * from "./topics.js";

export const bundledTopologies: Readonly<Record<string, () => Topology<unknown>>> = {
  "portfolio-coordination": () => portfolioCoordinationTopology as Topology<unknown>,
};
