/**
 * A batch seen as a book: the universe (holdings plus proposal instruments, sorted by id), the
 * current weights and the trade weights per instrument. Gates measure exposure and risk on it.
 */
import type { ProposalBatch } from "../../lib/domain/portfolio.js";
import { tradeWeight } from "./proposal.js";
import { sortedUnion } from "./sorted.js";
import { f64 } from "../../lib/quant/f64-slab.js";

export interface Book {
  readonly nav: number;
  /** Universe, sorted by instrumentId. */
  readonly ids: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** Weights before the trades. */
  readonly current: Float64Array;
  /** Trade weights (sum over the batch's proposals of each instrument). */
  readonly trade: Float64Array;
  /** Universe index of each proposal, in batch order. */
  readonly proposalAt: readonly number[];
}

/** `extraIds` (e.g. benchmark names) join the universe with zero weight and no trade. */
export function buildBook(batch: ProposalBatch, extraIds: Iterable<string> = []): Book {
  const currentById = new Map<string, number>();
  const extra = [...extraIds];
  for (const id of extra) currentById.set(id, 0);
  const held: string[] = [];
  for (const h of batch.holdings ?? [])
    if (h.weight !== 0) {
      currentById.set(h.instrumentId, h.weight);
      held.push(h.instrumentId);
    }
  const proposed: string[] = [];
  for (const p of batch.proposals) {
    currentById.set(p.instrumentId, p.currentWeight);
    proposed.push(p.instrumentId);
  }
  // Holdings and proposals come sorted by contract: an O(n) merge (sort otherwise).
  const ids =
    extra.length === 0
      ? sortedUnion(held, proposed)
      : sortedUnion(sortedUnion(held, proposed), [...new Set(extra)].sort());
  const index = new Map<string, number>();
  ids.forEach((id, i) => {
    index.set(id, i);
  });
  const n = ids.length;
  const current = f64(n);
  const trade = f64(n);
  for (let i = 0; i < n; i++) current[i] = currentById.get(ids[i]!)!;
  const proposalAt: number[] = [];
  for (const p of batch.proposals) {
    const i = index.get(p.instrumentId)!;
    proposalAt.push(i);
    trade[i]! += tradeWeight(p);
  }
  return { nav: batch.nav, ids, index, current, trade, proposalAt };
}

/** Post-trade weights current + t * trade. */
export function weightsAt(book: Book, t = 1): Float64Array {
  const w = f64(book.ids.length);
  for (let i = 0; i < w.length; i++) w[i] = book.current[i]! + t * book.trade[i]!;
  return w;
}
