/**
 * Portfolio math core: estimation (covariance, EWMA, Ledoit-Wolf), optimizers (min variance, max
 * Sharpe, efficient frontier, quadratic utility, risk parity, Kelly), a general QP solver on HiGHS,
 * and risk measures (volatility, VaR, ES, tracking error, risk contributions, stress, exposures).
 *
 * Convention: `await initSolver()` once at start-up (loads HiGHS WebAssembly); afterwards every
 * function here is synchronous. Optimizers never throw on numerical trouble: they return
 * `{ status: "infeasible" | "unbounded" | "time-limit" | "iteration-limit" | "error", weights: [] }`.
 * Closed-form paths, `riskParity` and the active-set `solveBoxQP` (used by default for problems
 * with only bounds and a budget) do not need HiGHS; everything else does.
 */
export type { Matrix } from "./linalg.js";
export { cholesky, choleskySolve, dot, isPositiveSemidefinite, matVec, quadForm } from "./linalg.js";

export { simpleReturns, logReturns, meanReturns, portfolioReturns } from "./estimation/returns.js";
export { covarianceMatrix, type CovarianceOptions } from "./estimation/covariance.js";
export { ewmaCovariance, type EwmaOptions } from "./estimation/ewma.js";
export { ledoitWolf, type LedoitWolfOptions, type ShrunkCovariance } from "./estimation/ledoit-wolf.js";
export { correlationToCovariance, covarianceToCorrelation } from "./estimation/correlation.js";

export {
  initSolver,
  isSolverReady,
  lowerTriangle,
  solveQP,
  type LinearConstraint,
  type QPProblem,
  type QPResult,
  type SolveStatus,
  type SparseSymmetricMatrix,
} from "./optimize/qp-solver.js";
export { solveBoxQP, type BoxQPProblem, type BoxQPResult } from "./optimize/box-qp.js";
export {
  closeSharedSolverPool,
  type PoolOptimizer,
  SolverPool,
  type SolverPoolOptions,
  solveQPAsync,
} from "./optimize/solver-pool.js";
export type {
  GroupConstraints,
  PortfolioFailure,
  PortfolioOptions,
  PortfolioResult,
  PortfolioSolution,
} from "./optimize/types.js";
export { minVariance } from "./optimize/min-variance.js";
export { maxSharpe } from "./optimize/max-sharpe.js";
export { efficientReturn } from "./optimize/efficient-return.js";
export { efficientRisk, type EfficientRiskOptions } from "./optimize/efficient-risk.js";
export { maxQuadraticUtility } from "./optimize/max-quadratic-utility.js";
export { riskParity, type RiskParityOptions } from "./optimize/risk-parity.js";
export { kelly, type KellyOptions } from "./optimize/kelly.js";

export { portfolioVolatility, portfolioVariance } from "./risk/volatility.js";
export { parametricVaR, historicalVaR, type ParametricRiskOptions } from "./risk/var.js";
export { expectedShortfall, parametricExpectedShortfall } from "./risk/expected-shortfall.js";
export { trackingError } from "./risk/tracking-error.js";
export {
  marginalRiskContributions,
  componentRiskContributions,
  percentRiskContributions,
} from "./risk/risk-contributions.js";
export { stressTest, historicalScenario, worstPeriod, type StressResult } from "./risk/stress.js";
export { exposures, UNKNOWN_BUCKET, type Exposure, type ExposureReport, type Holding } from "./risk/exposures.js";
export { normalQuantile, normalPdf } from "./risk/normal.js";
