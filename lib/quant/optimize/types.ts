import type { SolveStatus } from "./qp-solver.js";

/** Group (e.g. sector) limits: one label per asset, optional min/max total weight per label. */
export interface GroupConstraints {
  readonly groups: readonly string[];
  readonly groupLower?: Readonly<Record<string, number>>;
  readonly groupUpper?: Readonly<Record<string, number>>;
}

/** Options shared by the portfolio optimizers. Inputs (mu, cov, rates) must use one time unit. */
export interface PortfolioOptions {
  /** Per-asset lower bound (scalar or vector). Default 0 (long only). Use -Infinity for none. */
  readonly lower?: number | readonly number[];
  /** Per-asset upper bound (scalar or vector). Default 1. Use Infinity for none. */
  readonly upper?: number | readonly number[];
  /** Required sum of weights. Default 1; `null` = no budget constraint (where meaningful). */
  readonly budget?: number | null;
  readonly groups?: GroupConstraints;
  /** Risk-free rate, same unit as mu (default 0). Used for Sharpe ratios. */
  readonly riskFreeRate?: number;
  /** Solver wall-clock budget per QP solve, seconds (default 10; a safety net, see `solveQP`). */
  readonly timeLimit?: number;
  /**
   * "auto" (default): problems with only bounds and a budget go to the in-house active-set solver
   * (`solveBoxQP`, much faster), everything else (group rows, extra rows) to HiGHS; a box solve that
   * reports trouble falls back to HiGHS. "highs": always HiGHS.
   */
  readonly solver?: "auto" | "highs";
}

/** An optimizer's successful result. */
export interface PortfolioSolution {
  readonly status: "optimal";
  readonly weights: number[];
  /** √(w'Σw), in the unit of cov. */
  readonly volatility: number;
  /** w'μ when expected returns were given. */
  readonly expectedReturn?: number;
  /** (w'μ − rf)/σ when expected returns were given. */
  readonly sharpe?: number;
  /** The optimizer's own objective value at the solution (see each optimizer). */
  readonly objective: number;
  /** Solver iterations (QP active-set iterations, sweeps, or bisection steps). */
  readonly iterations: number;
  /** How it was solved: "closed-form", "highs", "coordinate-descent", ... */
  readonly method: string;
}

/** An optimizer's typed failure: no weights (empty array), never NaN. */
export interface PortfolioFailure {
  readonly status: Exclude<SolveStatus, "optimal">;
  readonly weights: number[];
  readonly message: string;
  readonly iterations: number;
}

export type PortfolioResult = PortfolioSolution | PortfolioFailure;

export function failed(status: Exclude<SolveStatus, "optimal">, message: string, iterations = 0): PortfolioFailure {
  return { status, weights: [], message, iterations };
}
