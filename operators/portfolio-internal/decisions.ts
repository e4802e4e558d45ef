/**
 * Shared by `coordinate`, `portfolioStateUpdates` and `coordinationAnalytics`: which proposals
 * become decisions, and deterministic event ids (sha256 of the topology hash and the decision's
 * identity, so a redelivered input never yields a new id).
 */
import * as crypto from "node:crypto";
import type { TradeProposal } from "../../lib/domain/portfolio.js";

/** Topology identity carried in every decision's lineage. */
export interface TopologyRef {
  readonly name: string;
  readonly version: string;
  readonly hash: string;
}

/** Which proposals of a batch become `CoordinatedTradingDecisionEvent`s. */
export interface DecisionSelection {
  /** Trades with a notional below this are trivial (no decision). Default 0: any non-zero trade. */
  readonly minNotional?: number;
  /** Rejected proposals become `hold` decisions carrying their checks. Default true. */
  readonly emitRejected?: boolean;
}

export function isDecision(p: TradeProposal, sel: DecisionSelection = {}): boolean {
  if (p.rejected) return sel.emitRejected ?? true;
  return p.tradeQuantity !== 0 && p.notional > (sel.minNotional ?? 0);
}

/** sha256 hex (first 32 chars) of the parts joined by a unit separator. */
export function stableId(parts: readonly (string | number)[]): string {
  return sha256Hex(parts.map(String).join("\u001f")).slice(0, 32);
}

/** One-shot `crypto.hash` where Node has it (>= 20.12: no Hash object per id), else createHash. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;
const sha256Hex: (data: string) => string =
  oneShot !== undefined
    ? (data) => oneShot("sha256", data, "hex")
    : (data) => crypto.createHash("sha256").update(data).digest("hex");

/** The decision id: topology hash + portfolio + instrument + window + sorted input ids. */
export function decisionEventId(
  topologyHash: string,
  portfolioId: string,
  instrumentId: string,
  windowStart: number,
  windowEnd: number,
  inputIds: readonly string[],
): string {
  return stableId([
    topologyHash,
    "decision",
    portfolioId,
    instrumentId,
    windowStart,
    windowEnd,
    ...[...inputIds].sort(),
  ]);
}

interface IdFactory {
  readonly key: string;
  readonly ids: Map<string, string>;
  readonly prefix: string;
  readonly suffix: string;
}
const factories = new WeakMap<object, IdFactory>();

/**
 * {@link decisionEventId} for the proposals of one batch record: the sorted input ids are joined
 * once per batch, and the ids are remembered per batch object, so `coordinate` and
 * `portfolioStateUpdates` on the same resolved batch hash each decision once. Same ids as
 * {@link decisionEventId}.
 */
export function batchDecisionIds(
  topologyHash: string,
  batch: { readonly portfolioId: string; readonly windowStart: number; readonly windowEnd: number },
  inputIds: readonly string[],
): (instrumentId: string) => string {
  const sorted = [...inputIds].sort();
  const suffix = `\u001f${batch.windowStart}\u001f${batch.windowEnd}${sorted.length > 0 ? `\u001f${sorted.join("\u001f")}` : ""}`;
  const prefix = `${topologyHash}\u001fdecision\u001f${batch.portfolioId}\u001f`;
  const key = prefix + suffix;
  let f = factories.get(batch);
  if (f === undefined || f.key !== key) {
    f = { key, ids: new Map(), prefix, suffix };
    factories.set(batch, f);
  }
  const fac = f;
  return (instrumentId) => {
    let id = fac.ids.get(instrumentId);
    if (id === undefined) {
      id = sha256Hex(fac.prefix + instrumentId + fac.suffix).slice(0, 32);
      fac.ids.set(instrumentId, id);
    }
    return id;
  };
}
