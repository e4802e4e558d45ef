/**
 * The topology's per-portfolio state: the holdings coordination believes each portfolio has.
 * `sizePositions` reads it through {@link BookView} (its `portfolio$` side input) and
 * {@link applyToBook} moves it to the targets of every resolved batch, so the next window is sized
 * against the trades already decided. The state lives in the runtime's keyed state (a changelog
 * topic), so it moves with its portfolio when KeyShared hands the key to another worker.
 */
import { Observable } from "rxjs";
import type { InstrumentInfo, PortfolioState, ProposalBatch } from "../../lib/domain/portfolio.js";
import type { StreamItem } from "../../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../../lib/stream/operator.js";
import type { KeyedState } from "../../lib/topology/types.js";
import type { InitialPortfolio } from "../portfolio-coordination.config.js";

/** A configured starting book as a {@link PortfolioState} (all cash unless positions are given). */
export function initialState(portfolioId: string, p: InitialPortfolio): PortfolioState {
  return {
    portfolioId,
    nav: p.nav,
    cash: p.cash ?? p.nav,
    positions: { ...p.positions },
    ...(p.benchmarkWeights !== undefined ? { benchmarkWeights: p.benchmarkWeights } : {}),
  };
}

/**
 * Portfolio states by portfolioId, read live from the keyed state, falling back to the configured
 * starting book (a portfolio neither configured nor traded is unknown: sizing rejects its batches
 * with `missing-side-input:portfolio`).
 */
export class BookView extends Map<string, PortfolioState> {
  constructor(
    private readonly state: KeyedState<PortfolioState>,
    private readonly initial: Readonly<Record<string, InitialPortfolio>>,
  ) {
    super();
  }

  override get(portfolioId: string): PortfolioState | undefined {
    const s = this.state.get(portfolioId);
    if (s !== undefined) return s;
    const p = this.initial[portfolioId];
    return p === undefined ? undefined : initialState(portfolioId, p);
  }

  override has(portfolioId: string): boolean {
    return this.get(portfolioId) !== undefined;
  }
}

/**
 * The state after a resolved batch: every live proposal's target quantity becomes the position
 * (rejected proposals keep the current one), cash pays for the trades at the proposals' prices,
 * and NAV is cash plus the positions marked at the latest known prices (the proposal's price when
 * the market table has none).
 */
export function afterBatch(
  state: PortfolioState,
  batch: ProposalBatch,
  prices: ReadonlyMap<string, InstrumentInfo> | undefined,
): PortfolioState {
  const positions: Record<string, number> = { ...state.positions };
  const proposalPrice = new Map<string, number>();
  let cash = state.cash;
  for (const p of batch.proposals) {
    proposalPrice.set(p.instrumentId, p.price);
    if (p.rejected || p.tradeQuantity === 0) continue;
    positions[p.instrumentId] = p.targetQuantity;
    cash -= p.tradeQuantity * p.price;
  }
  let nav = cash;
  const sorted: Record<string, number> = {};
  for (const id of Object.keys(positions).sort()) {
    const q = positions[id]!;
    if (q === 0) continue;
    sorted[id] = q;
    nav += q * (prices?.get(id)?.price ?? proposalPrice.get(id) ?? 0);
  }
  return { ...state, cash, nav, positions: sorted };
}

/**
 * Passes resolved batches through unchanged and then moves the book to each batch's targets.
 *
 * ```
 * input:  -b1--b2--W--|
 * output: -b1--b2--W--|   (book ← b1 after b1 is emitted, then book ← b2)
 * ```
 */
export function applyToBook(
  book: BookView,
  state: KeyedState<PortfolioState>,
  market$: Observable<ReadonlyMap<string, InstrumentInfo>>,
): DescribedOperator<ProposalBatch, ProposalBatch> {
  return describeOperator(
    (source: Observable<StreamItem<ProposalBatch>>) =>
      new Observable<StreamItem<ProposalBatch>>((sub) => {
        let prices: ReadonlyMap<string, InstrumentInfo> | undefined;
        const m = market$.subscribe((p) => {
          prices = p;
        });
        const s = source.subscribe({
          next(item) {
            sub.next(item);
            if (item.kind !== "record") return;
            const current = book.get(item.value.portfolioId);
            if (current !== undefined) state.set(item.value.portfolioId, afterBatch(current, item.value, prices));
          },
          error: (e) => sub.error(e),
          complete: () => sub.complete(),
        });
        return () => {
          m.unsubscribe();
          s.unsubscribe();
        };
      }),
    { operatorName: "applyToBook" },
  );
}
