import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { bundledTopologies } from "../../topologies/index.js";
import type { Topology } from "../topology/types.js";

function isTopology(v: unknown): v is Topology<unknown> {
  const t = v as Partial<Topology<unknown>> | undefined;
  return typeof t === "object" && t !== null && typeof t.name === "string" && Array.isArray(t.order) && !!t.sources;
}

/**
 * A topology by bundled name (`portfolio-coordination`) or from a module path: its default export,
 * an export named `topology`, or its only exported topology (a topology value, or a function of
 * no arguments returning one).
 */
export async function resolveTopology(nameOrPath: string): Promise<Topology<unknown>> {
  const bundled = bundledTopologies[nameOrPath];
  if (bundled) return bundled();
  if (!/[\\/]|\.[cm]?[jt]s$/.test(nameOrPath)) {
    throw new Error(
      `unknown topology "${nameOrPath}" (bundled: ${Object.keys(bundledTopologies).join(", ")}; or give a module path)`,
    );
  }
  const mod = (await import(pathToFileURL(resolve(nameOrPath)).href)) as Record<string, unknown>;
  const candidates = [mod.default, mod.topology, ...Object.values(mod)];
  for (const c of candidates) if (isTopology(c)) return c;
  for (const c of candidates) {
    if (typeof c === "function" && c.length === 0) {
      try {
        const t = (c as () => unknown)();
        if (isTopology(t)) return t;
      } catch {
        // not a topology factory
      }
    }
  }
  throw new Error(`${nameOrPath} exports no topology`);
}
