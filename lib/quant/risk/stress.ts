import type { Matrix } from "../linalg.js";

export interface StressResult {
  /** Portfolio return under the scenario, Σ wᵢ·shockᵢ (negative = loss). */
  readonly portfolioReturn: number;
  /** −portfolioReturn. */
  readonly loss: number;
  /** wᵢ·shockᵢ per asset. */
  readonly contributions: number[];
}

/** Applies a vector of per-asset return shocks to the weights (a missing/NaN shock counts as 0). */
export function stressTest(weights: readonly number[], shocks: readonly number[]): StressResult {
  const contributions = weights.map((w, i) => {
    const s = shocks[i];
    return s === undefined || Number.isNaN(s) ? 0 : w * s;
  });
  const portfolioReturn = contributions.reduce((a, b) => a + b, 0);
  return { portfolioReturn, loss: -portfolioReturn, contributions };
}

/**
 * Shocks of a historical episode: per asset, the compounded return Π(1 + rₜ) − 1 over rows
 * `from` (inclusive) to `to` (exclusive) of a T x N simple-returns matrix. NaN returns count as 0.
 */
export function historicalScenario(returns: Matrix, from: number, to: number): number[] {
  const n = returns[0]?.length ?? 0;
  const growth = new Array<number>(n).fill(1);
  const start = Math.max(0, from);
  const end = Math.min(returns.length, to);
  for (let t = start; t < end; t++) {
    const row = returns[t]!;
    for (let j = 0; j < n; j++) {
      const r = row[j]!;
      if (!Number.isNaN(r)) growth[j]! *= 1 + r;
    }
  }
  return growth.map((g) => g - 1);
}

/** Worst single-period portfolio return over a window of historical returns (NaN = 0). */
export function worstPeriod(
  returns: Matrix,
  weights: readonly number[],
  from = 0,
  to = returns.length,
): { index: number; portfolioReturn: number } {
  let index = -1;
  let worst = Number.POSITIVE_INFINITY;
  for (let t = Math.max(0, from); t < Math.min(returns.length, to); t++) {
    const r = stressTest(weights, returns[t]!).portfolioReturn;
    if (r < worst) {
      worst = r;
      index = t;
    }
  }
  return { index, portfolioReturn: index < 0 ? 0 : worst };
}
