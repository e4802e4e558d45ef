import { createHash } from "node:crypto";

/** What {@link decisionDigest} needs of a decision. */
export interface DigestInput {
  readonly portfolioId: string;
}

/**
 * The replay identity of a run's decisions: sha256 over the decisions grouped by portfolio (sorted
 * by portfolioId), each portfolio's decisions in the order they were emitted, one canonical JSON
 * line each. Equal across worker counts (workers split whole portfolios and keep per-portfolio
 * order), different as soon as one decision, or the order of one portfolio's decisions, differs.
 */
export function decisionDigest(decisions: Iterable<DigestInput>): string {
  const byPortfolio = new Map<string, DigestInput[]>();
  for (const d of decisions) {
    let list = byPortfolio.get(d.portfolioId);
    if (list === undefined) byPortfolio.set(d.portfolioId, (list = []));
    list.push(d);
  }
  const hash = createHash("sha256");
  for (const id of [...byPortfolio.keys()].sort()) {
    for (const d of byPortfolio.get(id)!) hash.update(`${canonicalJson(d)}\n`);
  }
  return hash.digest("hex");
}

/** JSON with object keys sorted at every level (so field order never changes a digest). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
