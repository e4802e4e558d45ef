import type { Topology, TopologySpec } from "./types.js";
import { TopologyValidationError, validateTopology } from "./validate.js";

/**
 * Validate a topology spec and return it as a {@link Topology} (still plain data, with defaults
 * filled in and the steps' topological order). Throws {@link TopologyValidationError} listing
 * every problem: unknown source/step/side-input/schema references, schema mismatches between
 * steps (where declared), unrouted side outputs (from operator metadata), cycles, duplicate names,
 * feedback loops through topics, streams that go nowhere.
 *
 * Builder steps are called once here with an inert context (empty side tables, the config
 * schema's defaults) to read their operators' metadata; keep builders free of side effects.
 */
export function defineTopology<C = unknown>(spec: TopologySpec<C>): Topology<C> {
  let defaults: C | undefined;
  if (spec.config) {
    const parsed = spec.config.safeParse({});
    defaults = parsed.success ? parsed.data : undefined;
  }
  const { issues, order } = validateTopology(spec, defaults);
  if (issues.length > 0) throw new TopologyValidationError(spec.name || "(unnamed)", issues);
  return Object.freeze({
    ...spec,
    sideInputs: spec.sideInputs ?? {},
    sideOutputs: spec.sideOutputs ?? {},
    order,
  });
}
