import type { DecisionCheck, RiskSnapshot, ConflictResolution } from "../events/coordinated-trading-decision.js";
import type { Urgency } from "../events/common.js";

/** A portfolio's holdings as coordination believes them to be. */
export interface PortfolioState {
  readonly portfolioId: string;
  /** Net asset value in portfolio currency. */
  readonly nav: number;
  readonly cash: number;
  /** Shares held per instrument (negative = short). */
  readonly positions: Readonly<Record<string, number>>;
  /** Optional benchmark weights per instrument, for tracking error. */
  readonly benchmarkWeights?: Readonly<Record<string, number>>;
}

/** Latest market facts per instrument (from `NormalizedMarketDataEvent`s and metadata). */
export interface InstrumentInfo {
  readonly instrumentId: string;
  readonly price: number;
  readonly averageDailyVolume: number;
  /** Annualized volatility. */
  readonly volatility?: number;
  readonly sector?: string;
  readonly country?: string;
  readonly assetClass?: string;
  /** ESG score 0..100, if known. */
  readonly esgScore?: number;
}

/** Latest correlation matrix with annualized volatilities, by instrument. */
export interface CovarianceModel {
  readonly instrumentIds: readonly string[];
  readonly correlations: readonly (readonly number[])[];
  readonly volatilities: readonly number[];
  readonly asOf: number;
}

/** A proposed trade for one instrument, refined by sizing, gates and conflict resolution. */
export interface TradeProposal {
  readonly portfolioId: string;
  readonly instrumentId: string;
  readonly price: number;
  readonly currentQuantity: number;
  readonly currentWeight: number;
  readonly targetWeight: number;
  readonly targetQuantity: number;
  /** Signed trade in shares (target - current). */
  readonly tradeQuantity: number;
  /** |tradeQuantity| * price. */
  readonly notional: number;
  readonly expectedReturn: number;
  readonly confidence: number;
  readonly urgency: Urgency;
  readonly horizonMs: number;
  readonly contributingSignalIds: readonly string[];
  readonly sources: readonly string[];
  readonly conflict: boolean;
  readonly conflictingSources: readonly string[];
  /** Every policy and risk check applied so far. */
  readonly checks: readonly DecisionCheck[];
  readonly reasonCodes: readonly string[];
  /** True once a gate rejected it; rejected proposals keep flowing so their checks are recorded. */
  readonly rejected: boolean;
}

/** One position of the portfolio as sizing saw it (the snapshot every later gate measures against). */
export interface HoldingSnapshot {
  readonly instrumentId: string;
  readonly quantity: number;
  readonly price: number;
  /** quantity * price / nav. */
  readonly weight: number;
}

/** One portfolio's proposals for one window, as they move through sizing, gates and resolution. */
export interface ProposalBatch {
  readonly portfolioId: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly nav: number;
  readonly proposals: readonly TradeProposal[];
  /**
   * Every non-zero position of the portfolio when the batch was sized, sorted by instrumentId
   * (including instruments without a proposal). Gates measure post-trade exposure and risk on
   * holdings + proposals; when absent, only the proposals' current quantities are known.
   */
  readonly holdings?: readonly HoldingSnapshot[];
  /** Cash when the batch was sized, in portfolio currency. */
  readonly cash?: number;
  /** The portfolio's benchmark weights (copied from PortfolioState), for tracking error. */
  readonly benchmarkWeights?: Readonly<Record<string, number>>;
  readonly riskBefore?: RiskSnapshot;
  readonly riskAfter?: RiskSnapshot;
  readonly conflictResolution?: ConflictResolution;
}
