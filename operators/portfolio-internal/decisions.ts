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

/**
 * sha256 hex of a set of input ids (sorted, joined by a unit separator): the part of every id of a
 * batch's events that names its inputs. Computed once per id array (arrays are compared by
 * identity: `coordinate`, `portfolioStateUpdates` and `coordinationAnalytics` receive the same
 * batch envelope), so a batch of thousands of inputs is hashed once, not once per decision.
 */
export function inputsDigest(inputIds: readonly string[]): string {
  let d = digests.get(inputIds);
  if (d === undefined) {
    d = sha256Hex(sortedIds(inputIds).join("\u001f"));
    digests.set(inputIds, d);
  }
  return d;
}
const digests = new WeakMap<readonly string[], string>();

/** The ids in order: the array itself when it already is (lineage ids are), else a sorted copy. */
export function sortedIds(ids: readonly string[]): readonly string[] {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! <= ids[i]!)) return [...ids].sort();
  return ids;
}

/** The decision id: topology hash + portfolio + instrument + window + digest of the input ids. */
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
    inputsDigest(inputIds),
  ]);
}

/** The id of a batch-level event (`kind`: "state", "analytics") of a portfolio window. */
export function batchEventId(
  topologyHash: string,
  kind: string,
  batch: { readonly portfolioId: string; readonly windowStart: number; readonly windowEnd: number },
  inputIds: readonly string[],
): string {
  return stableId([topologyHash, kind, batch.portfolioId, batch.windowStart, batch.windowEnd, inputsDigest(inputIds)]);
}

/**
 * {@link decisionEventId} for the proposals of one batch record, hashing the input ids once
 * ({@link inputsDigest}). Same ids as {@link decisionEventId}.
 */
export function batchDecisionIds(
  topologyHash: string,
  batch: { readonly portfolioId: string; readonly windowStart: number; readonly windowEnd: number },
  inputIds: readonly string[],
): (instrumentId: string) => string {
  return (instrumentId) =>
    decisionEventId(topologyHash, batch.portfolioId, instrumentId, batch.windowStart, batch.windowEnd, inputIds);
}
