import type { Matrix } from "../linalg.js";
import { validateInputs } from "./constraints.js";
import { describePortfolio } from "./portfolio-qp.js";
import { failed, type PortfolioResult } from "./types.js";

export interface RiskParityOptions {
  /** Risk budgets (positive, any scale; normalized to sum 1). Default equal budgets. */
  readonly budgets?: readonly number[];
  /** Sum of weights (positive), default 1. */
  readonly budget?: number;
  /** Convergence tolerance on max |RCᵢ/σ − bᵢ| (default 1e-10). */
  readonly tolerance?: number;
  /** Maximum coordinate sweeps (default 10 000). */
  readonly maxIterations?: number;
}

/**
 * Risk budgeting (equal risk contribution when no budgets): long-only weights whose component
 * risk contributions wᵢ(Σw)ᵢ/σ are proportional to the budgets bᵢ.
 *
 * No QP: minimizes the strictly convex ½x'Σx − Σ bᵢ ln xᵢ (x > 0), whose stationarity condition is
 * xᵢ(Σx)ᵢ = bᵢ, by cyclical coordinate descent (each coordinate update is the positive root of
 * σᵢᵢxᵢ² + cᵢxᵢ − bᵢ = 0), then w = budget·x/1'x. Σ is first scaled by n/trace Σ for conditioning.
 * `objective` is the max relative deviation of the contributions from the budgets; `iterations`
 * the number of sweeps. Needs a positive-definite Σ (positive diagonal).
 */
export function riskParity(cov: Matrix, opts: RiskParityOptions = {}): PortfolioResult {
  const bad = validateInputs(cov);
  if (bad) return failed("error", bad);
  const n = cov.length;
  const budget = opts.budget ?? 1;
  if (!(budget > 0) || !Number.isFinite(budget)) return failed("error", "riskParity needs a positive budget");
  const raw = opts.budgets ?? new Array<number>(n).fill(1);
  if (raw.length !== n) return failed("error", `budgets has length ${raw.length}, expected ${n}`);
  if (raw.some((v) => !(v > 0) || !Number.isFinite(v)))
    return failed("error", "risk budgets must be positive and finite");
  const total = raw.reduce((s, v) => s + v, 0);
  const b = raw.map((v) => v / total);
  let traceS = 0;
  for (let i = 0; i < n; i++) {
    if (!(cov[i]![i]! > 0)) return failed("error", `asset ${i} has zero variance`);
    traceS += cov[i]![i]!;
  }
  const s = n / traceS;
  const S: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const src = cov[i]!;
    const row = new Float64Array(n);
    for (let j = 0; j < n; j++) row[j] = src[j]! * s;
    S.push(row);
  }
  // Start from inverse-volatility weights scaled so that x'Σx = 1 (= Σb at the solution).
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = 1 / Math.sqrt(S[i]![i]!);
  const sx = new Float64Array(n);
  const mulInto = () => {
    for (let i = 0; i < n; i++) {
      const row = S[i]!;
      let acc = 0;
      for (let j = 0; j < n; j++) acc += row[j]! * x[j]!;
      sx[i] = acc;
    }
  };
  mulInto();
  let xsx = 0;
  for (let i = 0; i < n; i++) xsx += x[i]! * sx[i]!;
  const k0 = 1 / Math.sqrt(xsx);
  for (let i = 0; i < n; i++) {
    x[i]! *= k0;
    sx[i]! *= k0;
  }
  const tol = opts.tolerance ?? 1e-10;
  const maxSweeps = opts.maxIterations ?? 10_000;
  let deviation = Number.POSITIVE_INFINITY;
  let sweeps = 0;
  while (sweeps < maxSweeps) {
    sweeps++;
    for (let i = 0; i < n; i++) {
      const row = S[i]!;
      const d = row[i]!;
      const xi = x[i]!;
      const ci = sx[i]! - d * xi;
      const next = (-ci + Math.sqrt(ci * ci + 4 * d * b[i]!)) / (2 * d);
      const delta = next - xi;
      if (delta !== 0) {
        x[i] = next;
        // Σ is symmetric: column i equals row i.
        for (let j = 0; j < n; j++) sx[j]! += row[j]! * delta;
      }
    }
    if (sweeps % 8 === 0) mulInto(); // refresh against drift of the incremental update
    let variance = 0;
    for (let i = 0; i < n; i++) variance += x[i]! * sx[i]!;
    deviation = 0;
    for (let i = 0; i < n; i++) deviation = Math.max(deviation, Math.abs((x[i]! * sx[i]!) / variance - b[i]!) / b[i]!);
    if (deviation <= tol) break;
  }
  let sumX = 0;
  for (let i = 0; i < n; i++) sumX += x[i]!;
  const weights = Array.from(x, (v) => (budget * v) / sumX);
  if (deviation > tol) {
    return failed("iteration-limit", `risk contributions off budgets by ${deviation} after ${sweeps} sweeps`, sweeps);
  }
  const desc = describePortfolio(cov, weights, {
    objective: deviation,
    iterations: sweeps,
    method: "coordinate-descent",
  });
  return desc;
}
