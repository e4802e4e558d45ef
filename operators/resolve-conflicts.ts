import type { Observable } from "rxjs";
import type { PolicyTable } from "../lib/domain/policy.js";
import type { CovarianceModel, InstrumentInfo, ProposalBatch, TradeProposal } from "../lib/domain/portfolio.js";
import type { RiskLimits, RiskLimitsTable } from "../lib/domain/risk-limits.js";
import type { ConflictResolution } from "../lib/events/coordinated-trading-decision.js";
import { initSolver, isSolverReady, type LinearConstraint, solveBoxQP, solveQP } from "../lib/quant/index.js";
import { record, SideTag, sideOutput } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { solveAdmm } from "./portfolio-internal/admm.js";
import { buildBook } from "./portfolio-internal/book.js";
import { covarianceFor, type DenseCovariance, dotArr, mulSparse, mulVec } from "./portfolio-internal/covariance.js";
import { annotate, reject, tradeWeight, withProposals, withTargetWeight } from "./portfolio-internal/proposal.js";
import { maxStepQuad, normalMultipliers } from "./portfolio-internal/risk.js";
import { forPortfolio, withSideInputs } from "./portfolio-internal/side-inputs.js";
import { DAY_MS, YEAR_MS } from "./size-positions.js";
import { sortStrings } from "./internal/sort-strings.js";
import { f64, f64Copy, f64Gather, f64GatherDifference, f64Map } from "../lib/quant/f64-slab.js";
import { packedMap } from "./internal/packed-map.js";

export interface ResolveConflictsOptions {
  /** Latest correlation matrix with annualized volatilities. */
  readonly covariance$: Observable<CovarianceModel>;
  /** Market data: average daily volume and price for the impact cost, sector / country for group limits. */
  readonly market$: Observable<ReadonlyMap<string, InstrumentInfo>>;
  /** Policies whose exposure limits (single name, sector, country, turnover) the solution must keep. */
  readonly policy$?: Observable<PolicyTable>;
  /** Risk limits (volatility, parametric VaR/ES, tracking error, stress) the solution must keep. */
  readonly limits$?: Observable<RiskLimitsTable>;
  /** λ, the weight of portfolio variance in the objective. Default 1 (half-Kelly consistent). */
  readonly riskAversion?: number;
  /** Linear cost (commission + half spread) as a fraction of traded value. Default 0.0005. */
  readonly linearCost?: number;
  /** Market-impact coefficient k: cost = k·σ_daily·(traded value / daily traded value)·traded value. Default 0.1. */
  readonly impactCoefficient?: number;
  /** Cap on gross leverage Σ|w| after the trades (never made worse than before). Default none. */
  readonly maxGrossLeverage?: number;
  /** Horizons shorter than this are annualized as this long. Default one day. */
  readonly minHorizonMs?: number;
  /**
   * QP solver: `"auto"` (default) solves the box-only relaxation with lib/quant's active-set
   * `solveBoxQP` and keeps it when it also meets every linear row (then it is the QP's optimum),
   * else solves the full QP with HiGHS; `"highs"` always uses HiGHS (lib/quant `solveQP`); `"admm"`
   * the dense ADMM in portfolio-internal/admm.ts. HiGHS needs `await initSolver()` before the stream
   * runs. Every result is made exactly feasible afterwards.
   */
  readonly solver?: "auto" | "admm" | "highs";
  /** Iteration limit of the solver (deterministic; HiGHS's own time limit is only a safety net). */
  readonly iterationLimit?: number;
}

/**
 * Detects competing proposals in a batch and resolves them with a multi-objective QP.
 *
 * ```
 * in:   ---b1----------b2---|--wm--
 *       resolveConflicts({ covariance$, market$, policy$, limits$ })
 * out:  ---b1'---------b2'--|--wm--   (b' = trades of the competing proposals re-solved,
 *                                      `conflictResolution` set on every batch)
 * ```
 *
 * Conflicts: `opposing-directions` — a signal-driven proposal whose contributors disagree in
 * direction (`conflict`, from the aggregated signals); proposals whose target intent overrode an
 * opposing signal are settled by that documented priority and only reported. `constraint-breach` —
 * the batch as a whole breaks a leverage, policy exposure or risk limit (value after > max(limit,
 * value before)), e.g. when this operator runs without the gates upstream.
 *
 * The QP over the trade weights x of the competing proposals (every live proposal on a breach):
 *
 *   maximize  α'x − λ·(w+x)'Σ(w+x) − Σ_i (c·|x_i| + η_i·x_i²)
 *
 * α_i = expectedReturn·confidence·(year/horizon)·agreement (agreement = 1 − conflicting / all
 * sources), w the portfolio with every other trade applied, η_i = k·σ_i/√252·NAV/(ADV_i·price_i).
 * Each x_i stays between 0 and its incoming trade (so |x_i| = sign·x_i is linear and no name gets
 * more exposure than proposed), subject to: turnover, single-name, sector and country limits of the
 * policy, the leverage cap and stress losses (linear; |·| replaced by its chord on the allowed
 * segment, a conservative bound); quadratic limits (volatility, parametric VaR/ES, tracking error)
 * are then enforced exactly by moving the solution toward the admissible anchor (the incoming trades
 * when there is no breach, no trade when there is); any tolerance-level miss of a linear row by the
 * solver is removed the same way, so the result is exactly feasible. Solver (option `solver`):
 * the box-only relaxation by lib/quant's active-set `solveBoxQP`, kept when it meets every linear
 * row, else HiGHS on the full QP (`await initSolver()` before the stream runs — the operator starts
 * loading it when built); if that fails or HiGHS is not loaded yet, the competing proposals are
 * rejected (`rejected:conflict-unresolved`). `solverStatus` is `<solver>:<status>` (`box:optimal`,
 * `highs:optimal`, `admm:optimal`, …) or `not-needed`.
 *
 * Synchronous and bounded, on purpose: the operator emits its output inside the call that delivered
 * the batch (the runtime tracks acks on that basis, and a replay on virtual time must be
 * byte-identical), so the solve runs on the calling thread. Its work is bounded without a clock:
 * the active-set box QP stops after 50·n + 1000 iterations (non-optimal → HiGHS), and the HiGHS fallback
 * carries `iterationLimit` (its wall-clock limit is only a safety net; only an Optimal status is
 * accepted). Library code that can wait for an answer and must not block its event loop can run
 * the same solves on worker threads with lib/quant's `SolverPool` / `solveQPAsync` (same results).
 *
 * Every batch gets `conflictResolution`: the conflict type, the competing sources, λ, the solver
 * status and the objective terms of the resolved batch (alpha = α'x over all trades, risk = w'Σw
 * after the trades, transaction cost, total = alpha − λ·risk − cost). Batches missing the covariance
 * or market side input go to the `rejected` side output (`missing-side-input:<name>`). 1:1 on records.
 */
export function resolveConflicts(options: ResolveConflictsOptions): DescribedOperator<ProposalBatch, ProposalBatch> {
  const params: Params = {
    lambda: options.riskAversion ?? 1,
    linearCost: options.linearCost ?? 0.0005,
    impact: options.impactCoefficient ?? 0.1,
    maxLev: options.maxGrossLeverage,
    minHorizon: options.minHorizonMs ?? DAY_MS,
    iterationLimit: options.iterationLimit ?? (options.solver === "admm" ? 5_000 : 20_000),
    solver: options.solver ?? "auto",
  };
  if (!(params.lambda >= 0)) throw new RangeError("resolveConflicts: riskAversion must be >= 0");
  const op = withSideInputs<
    ProposalBatch,
    ProposalBatch,
    {
      covariance: Observable<CovarianceModel>;
      market: Observable<ReadonlyMap<string, InstrumentInfo>>;
      policy: Observable<PolicyTable> | undefined;
      limits: Observable<RiskLimitsTable> | undefined;
    }
  >(
    { covariance: options.covariance$, market: options.market$, policy: options.policy$, limits: options.limits$ },
    (rec, latest, emit) => {
      if (latest.covariance === undefined) {
        emit(sideOutput(SideTag.rejected, "missing-side-input:covariance", rec));
        return;
      }
      if (latest.market === undefined) {
        emit(sideOutput(SideTag.rejected, "missing-side-input:market", rec));
        return;
      }
      const pid = rec.value.portfolioId;
      const out = resolveBatch(
        rec.value,
        latest.covariance,
        latest.market,
        forPortfolio(latest.policy, pid),
        forPortfolio(latest.limits, pid),
        params,
      );
      emit(record(out, rec.eventTime, rec.key, rec.ids));
    },
  );
  // Start loading HiGHS as soon as the operator is built (idempotent).
  if (params.solver !== "admm") initSolver().catch(() => undefined);
  return describeOperator(op, { operatorName: "resolveConflicts", sideOutputs: [SideTag.rejected] });
}

interface Params {
  readonly lambda: number;
  readonly linearCost: number;
  readonly impact: number;
  readonly maxLev: number | undefined;
  readonly minHorizon: number;
  readonly iterationLimit: number;
  readonly solver: "auto" | "admm" | "highs";
}

type Policy = PolicyTable extends ReadonlyMap<string, infer P> ? P : never;

/** Annualized expected return of a proposal, discounted by source agreement. */
export function proposalAlpha(p: TradeProposal, minHorizonMs = DAY_MS): number {
  if (p.expectedReturn === 0) return 0;
  const agreement = p.sources.length > 0 ? 1 - p.conflictingSources.length / p.sources.length : 1;
  return (p.expectedReturn * p.confidence * agreement * YEAR_MS) / Math.max(p.horizonMs, minHorizonMs);
}

const isIntentDriven = (p: TradeProposal) => p.reasonCodes.some((c) => c.startsWith("target-intent"));

/** A linear constraint over the full universe's post-trade weights, as chord coefficients. */
interface GrossGroup {
  readonly members: readonly number[]; // universe indices
  readonly limit: number;
}

// Module-level helpers of `resolveBatch`, not closures made per batch (README, Operators: why).
const sectorOf = (i: InstrumentInfo | undefined) => i?.sector;
const countryOf = (i: InstrumentInfo | undefined) => i?.country;

/** One gross group per value of `key` over the universe, in the order of their names. */
function addGroups(
  groups: GrossGroup[],
  ids: readonly string[],
  market: ReadonlyMap<string, InstrumentInfo>,
  cfg: NonNullable<Policy["sector"]>,
  key: (i: InstrumentInfo | undefined) => string | undefined,
): void {
  const m = new Map<string, number[]>();
  for (let i = 0; i < ids.length; i++) {
    const g = key(market.get(ids[i]!));
    if (g === undefined || g === "") continue;
    const list = m.get(g);
    if (list) list.push(i);
    else m.set(g, [i]);
  }
  for (const [g, members] of [...m].sort(byFirst)) groups.push({ members, limit: cfg.overrides?.[g] ?? cfg.maxWeight });
}
const byFirst = (a: [string, number[]], b: [string, number[]]) => (a[0] < b[0] ? -1 : 1);

/** Weights after trade x: current + x. */
function post(current: Float64Array, x: Float64Array): Float64Array {
  const w = f64(current.length);
  for (let i = 0; i < w.length; i++) w[i] = current[i]! + x[i]!;
  return w;
}

function gross(w: Float64Array, members: readonly number[]): number {
  let s = 0;
  for (const i of members) s += Math.abs(w[i]!);
  return s;
}

/** Whether trading every live proposal in full (w1, Σ-products p1) breaks a limit that w0 keeps. */
function breaches(
  proposals: readonly TradeProposal[],
  live: readonly number[],
  groups: readonly GrossGroup[],
  stress: readonly (readonly number[])[],
  quadLimits: readonly QuadLimit[],
  policy: Policy | undefined,
  limits: RiskLimits | undefined,
  w0: Float64Array,
  w1: Float64Array,
  p0: Pt,
  p1: Pt,
): boolean {
  const EPS = 1e-9;
  for (const g of groups) if (gross(w1, g.members) > Math.max(g.limit, gross(w0, g.members)) + EPS) return true;
  if (stress.length > 0) {
    let worst0 = Number.NEGATIVE_INFINITY;
    for (const z of stress) worst0 = Math.max(worst0, -dotArr(z, w0));
    for (const s of stress) if (-dotArr(s, w1) > Math.max(limits!.stress!.maxLoss, worst0) + EPS) return true;
  }
  for (const q of quadLimits) if (q.value(p1) > Math.max(q.limit, q.value(p0)) * (1 + EPS)) return true;
  if (policy?.turnover !== undefined) {
    let turnover = 0;
    for (const k of live) turnover += Math.abs(tradeWeight(proposals[k]!));
    if (turnover > policy.turnover.maxTurnover + EPS) return true;
  }
  if (policy?.singleName !== undefined) {
    for (const k of live) {
      const q = proposals[k]!;
      if (Math.abs(q.targetWeight) > Math.max(policy.singleName.maxWeight, Math.abs(q.currentWeight)) + EPS)
        return true;
    }
  }
  return false;
}

/** The resolver's work on one batch (exported for the bench and direct use). */
export function resolveBatch(
  batch: ProposalBatch,
  model: CovarianceModel,
  market: ReadonlyMap<string, InstrumentInfo>,
  policy: Policy | undefined,
  limits: RiskLimits | undefined,
  p: Params,
): ProposalBatch {
  const nav = batch.nav;
  const bench = batch.benchmarkWeights ?? {};
  // Benchmark names join the universe when tracking error is limited (its cross terms need them).
  const book = buildBook(batch, limits?.trackingError ? Object.keys(bench) : []);
  const n = book.ids.length;
  const cov = covarianceFor(book.ids, model, market);
  const live: number[] = [];
  for (let k = 0; k < batch.proposals.length; k++) {
    const q = batch.proposals[k]!;
    if (!q.rejected && tradeWeight(q) !== 0) live.push(k);
  }

  // Impact coefficient per universe instrument.
  const eta = f64(n);
  for (let i = 0; i < n; i++) {
    const info = market.get(book.ids[i]!);
    const adv$ = (info?.averageDailyVolume ?? 0) * (info?.price ?? 0);
    const sd = (Number.isFinite(cov.vols[i]!) ? cov.vols[i]! : 0) / Math.sqrt(252);
    eta[i] = adv$ > 0 ? (p.impact * sd * nav) / adv$ : p.impact * sd * 1e6;
  }
  // Numeric vectors are Float64Arrays here and below, not number[]: an array of numbers is stored
  // as small integers or as doubles depending on its values, and a batch whose values first take
  // the other form deoptimizes the solver's compiled code (seen in the topology bench). They come
  // from `f64` slabs: a Float64Array of more than eight elements allocated on its own costs ~1.2 µs.
  const alpha = f64(batch.proposals.length);
  for (let k = 0; k < alpha.length; k++) alpha[k] = proposalAlpha(batch.proposals[k]!, p.minHorizon);

  // Constraint set: linear groups (gross), stress scenarios, turnover, quadratic limits.
  const groups: GrossGroup[] = [];
  if (p.maxLev !== undefined) {
    const members: number[] = [];
    for (let i = 0; i < n; i++) members.push(i);
    groups.push({ members, limit: p.maxLev });
  }
  if (policy?.sector) addGroups(groups, book.ids, market, policy.sector, sectorOf);
  if (policy?.country) addGroups(groups, book.ids, market, policy.country, countryOf);
  const stress: number[][] = [];
  for (const s of limits?.stress?.scenarios ?? []) {
    const shocks: number[] = [];
    for (const id of book.ids) shocks.push(s.shocks[id] ?? 0);
    stress.push(shocks);
  }

  const zero = f64(n);
  const full = f64Copy(book.trade);
  const w0 = post(book.current, zero);
  const w1 = post(book.current, full);
  // Σ-products computed once: every point on the trade paths below is a combination of these.
  const s0 = mulVec(cov, w0);
  const sf = mulVec(cov, full);
  const p0: Pt = { w: w0, sw: s0 };
  const p1: Pt = { w: w1, sw: addArr(s0, sf, 1) };
  const quadLimits = quadraticLimits(limits, cov, bench, book.ids);

  // Detect.
  const conflicted: number[] = [];
  for (const k of live) {
    const q = batch.proposals[k]!;
    if (q.conflict && !isIntentDriven(q)) conflicted.push(k);
  }
  const reported: TradeProposal[] = [];
  for (const q of batch.proposals) if (q.conflict) reported.push(q);
  const breach = breaches(batch.proposals, live, groups, stress, quadLimits, policy, limits, w0, w1, p0, p1);
  const variables = breach ? live : conflicted;
  const conflictType: ConflictResolution["conflictType"] = breach
    ? "constraint-breach"
    : reported.length > 0
      ? "opposing-directions"
      : "none";
  const competing = new Set<string>();
  for (const q of reported) {
    for (const src of q.sources) competing.add(src);
    for (const src of q.conflictingSources) competing.add(src);
  }
  const competingSources = sortStrings(Array.from(competing));

  let x = full; // resolved trade weights per universe instrument
  let finalSw = p1.sw; // Σ·(w0 + x)
  let solverStatus = "not-needed";
  const proposals = batch.proposals.slice();
  if (variables.length > 0) {
    const anchor = f64Copy(full);
    if (breach) for (const k of variables) anchor[book.proposalAt[k]!] = 0;
    // Σ·(w0 + anchor) = s0 + sf − Σ·(full − anchor), the difference living on the variables only.
    const vIdx: number[] = [];
    for (const k of variables) vIdx.push(book.proposalAt[k]!);
    const removed = f64GatherDifference(full, anchor, vIdx);
    const sAnchorW = addArr(addArr(s0, sf, 1), mulSparse(cov, vIdx, removed), -1);
    const sBase = addArr(addArr(s0, sf, 1), mulSparse(cov, vIdx, f64Gather(full, vIdx)), -1);
    const solved = solve(batch, book, cov, eta, alpha, variables, anchor, groups, stress, limits, policy, p, w0, sBase);
    solverStatus = solved.status;
    if (solved.x !== undefined) {
      // Quadratic limits: move from the anchor toward the QP solution as far as they allow.
      let s = 1;
      const pa: Pt = { w: post(book.current, anchor), sw: sAnchorW };
      const dir = f64(n);
      for (let i = 0; i < n; i++) dir[i] = solved.x[i]! - anchor[i]!;
      const sdir = mulSparse(cov, vIdx, f64Gather(dir, vIdx));
      for (const q of quadLimits) s = Math.min(s, q.step(pa, dir, sdir, Math.max(q.limit, q.value(p0))));
      x = f64(n);
      for (let i = 0; i < n; i++) x[i] = anchor[i]! + s * dir[i]!;
      finalSw = addArr(sAnchorW, sdir, s);
      for (const k of variables) {
        const q = batch.proposals[k]!;
        const i = book.proposalAt[k]!;
        proposals[k] = annotate(withTargetWeight(q, q.currentWeight + x[i]!, nav), [], ["conflict-resolved"]);
      }
    } else {
      x = f64Copy(full);
      for (const k of variables) {
        proposals[k] = reject(batch.proposals[k]!, "conflict-unresolved", nav);
        x[book.proposalAt[k]!] = 0;
      }
      finalSw = sBase;
    }
  }

  // Objective terms of the resolved batch.
  const w = post(book.current, x);
  let a = 0;
  let tc = 0;
  for (let k = 0; k < proposals.length; k++) {
    const dw = tradeWeight(proposals[k]!);
    if (dw === 0) continue;
    const i = book.proposalAt[k]!;
    a += alpha[k]! * dw;
    tc += p.linearCost * Math.abs(dw) + eta[i]! * dw * dw;
  }
  const risk = Math.max(0, dotArr(w, finalSw));
  const conflictResolution: ConflictResolution = {
    conflictType,
    competingSources,
    objective: { alpha: a, risk, transactionCost: tc, total: a - p.lambda * risk - tc },
    riskAversion: p.lambda,
    solverStatus,
  };
  return withProposals(batch, proposals, { conflictResolution });
}

/** A weight vector with its product Σw. */
interface Pt {
  readonly w: Float64Array;
  readonly sw: Float64Array;
}

/** a + f·b, elementwise. */
function addArr(a: Float64Array, b: Float64Array, f: number): Float64Array {
  const out = f64(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + f * b[i]!;
  return out;
}

/**
 * A limit on mult·‖w − offset‖_Σ (volatility, parametric VaR/ES, tracking error), evaluated from a
 * point's stored products (no matrix work). A class, not closures made per batch (README,
 * Operators: why).
 */
class QuadLimit {
  constructor(
    readonly limit: number,
    private readonly mult: number,
    private readonly offset: Pt | undefined,
  ) {}

  /** (w − offset)'Σ(w − offset), at least 0. */
  private q(pt: Pt): number {
    const offset = this.offset;
    let v = 0;
    for (let i = 0; i < pt.w.length; i++) v += (pt.w[i]! - (offset?.w[i] ?? 0)) * (pt.sw[i]! - (offset?.sw[i] ?? 0));
    return Math.max(0, v);
  }

  value(pt: Pt): number {
    return this.mult * Math.sqrt(this.q(pt));
  }

  /** Largest s in [0, 1] with value(pa + s·dir) <= bound, given sdir = Σ·dir. */
  step(pa: Pt, dir: Float64Array, sdir: Float64Array, bound: number): number {
    const offset = this.offset;
    let b = 0;
    for (let i = 0; i < dir.length; i++) b += (pa.w[i]! - (offset?.w[i] ?? 0)) * sdir[i]!;
    return maxStepQuad({ a: Math.max(0, dotArr(dir, sdir)), b, c: this.q(pa) }, (bound / this.mult) ** 2);
  }
}

function quadraticLimits(
  limits: RiskLimits | undefined,
  cov: DenseCovariance,
  bench: Readonly<Record<string, number>>,
  ids: readonly string[],
): QuadLimit[] {
  if (limits === undefined) return [];
  const out: QuadLimit[] = [];
  const h = Math.sqrt(limits.horizonDays / limits.tradingDaysPerYear);
  const { varK, esK } = normalMultipliers(limits.confidence);
  if (limits.volatility) out.push(new QuadLimit(limits.volatility.max, 1, undefined));
  if (limits.valueAtRisk?.method === "parametric") out.push(new QuadLimit(limits.valueAtRisk.max, varK * h, undefined));
  if (limits.expectedShortfall?.method === "parametric") {
    out.push(new QuadLimit(limits.expectedShortfall.max, esK * h, undefined));
  }
  if (limits.trackingError) {
    const b = f64Map(ids, (id) => bench[id] ?? 0);
    out.push(new QuadLimit(limits.trackingError.max, 1, { w: b, sw: mulVec(cov, b) }));
  }
  return out;
}

function solve(
  batch: ProposalBatch,
  book: ReturnType<typeof buildBook>,
  cov: DenseCovariance,
  eta: Float64Array,
  alpha: Float64Array,
  variables: readonly number[],
  anchor: Float64Array,
  groups: readonly GrossGroup[],
  stress: readonly (readonly number[])[],
  limits: RiskLimits | undefined,
  policy: Policy | undefined,
  p: Params,
  w0: Float64Array,
  sigmaBase: Float64Array,
): { status: string; x?: Float64Array } {
  const m = variables.length;
  const n = book.ids.length;
  const idx = packedMap(variables, (k) => book.proposalAt[k]!);
  const d = packedMap(variables, (k) => tradeWeight(batch.proposals[k]!));
  const c = packedMap(idx, (i) => book.current[i]!);
  // Base portfolio: everything except the variables' trades.
  const base = f64Copy(book.current);
  for (let i = 0; i < n; i++) base[i]! += book.trade[i]!;
  for (let v = 0; v < m; v++) base[idx[v]!]! -= d[v]!;
  const P: number[][] = [];
  const q: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  for (let a = 0; a < m; a++) {
    const row = new Array<number>(m);
    for (let b = 0; b < m; b++) row[b] = 2 * p.lambda * cov.data[idx[a]! * n + idx[b]!]!;
    row[a]! += 2 * eta[idx[a]!]!;
    P.push(row);
    q.push(2 * p.lambda * sigmaBase[idx[a]!]! - alpha[variables[a]!]! + p.linearCost * Math.sign(d[a]!));
    let lo = Math.min(0, d[a]!);
    let hi = Math.max(0, d[a]!);
    if (policy?.singleName) {
      const cap = Math.max(policy.singleName.maxWeight, Math.abs(c[a]!));
      lo = Math.max(lo, -cap - c[a]!);
      hi = Math.min(hi, cap - c[a]!);
      if (lo > hi) lo = hi = 0;
    }
    lower.push(lo);
    upper.push(hi);
  }
  const constraints: LinearConstraint[] = [];
  const varOf = new Map<number, number>();
  idx.forEach((i, v) => {
    varOf.set(i, v);
  });
  // Gross groups with |c+x| replaced by its chord on [0, d]: |c| + (|c+d| - |c|)·x/d.
  for (const g of groups) {
    let constant = 0;
    const coef = new Array<number>(m).fill(0);
    let touched = false;
    for (const i of g.members) {
      const v = varOf.get(i);
      if (v === undefined) constant += Math.abs(base[i]!);
      else {
        touched = true;
        constant += Math.abs(c[v]!);
        coef[v] = (Math.abs(c[v]! + d[v]!) - Math.abs(c[v]!)) / d[v]!;
      }
    }
    if (!touched) continue;
    const bound = Math.max(
      g.limit,
      g.members.reduce((s, i) => s + Math.abs(w0[i]!), 0),
    );
    constraints.push({ coefficients: coef, upper: bound - constant });
  }
  if (limits?.stress && stress.length > 0) {
    const bound = Math.max(limits.stress.maxLoss, ...packedMap(stress, (s) => -dotArr(s, w0)));
    for (const s of stress) {
      const coef = packedMap(idx, (i) => -s[i]!);
      constraints.push({ coefficients: coef, upper: bound + dotArr(s, base) });
    }
  }
  if (policy?.turnover) {
    let fixed = 0;
    for (let i = 0; i < n; i++) if (!varOf.has(i)) fixed += Math.abs(book.trade[i]!);
    constraints.push({
      coefficients: packedMap(d, (x) => Math.sign(x)),
      upper: Math.max(0, policy.turnover.maxTurnover - fixed),
    });
  }
  let xs: readonly number[] | undefined;
  let status = "";
  if (p.solver === "auto") {
    // The box-only relaxation by the active-set solver; its optimum is the QP's optimum whenever it
    // also satisfies the linear rows (a relaxation's feasible optimum is optimal).
    const box = solveBoxQP({ Q: P, c: q, lower, upper });
    if (box.status === "optimal") {
      const ok = constraints.every((c) => {
        let v = 0;
        for (let k = 0; k < m; k++) v += c.coefficients![k]! * box.x[k]!;
        return v <= c.upper! + 1e-12 * Math.max(1, Math.abs(c.upper!));
      });
      if (ok) {
        xs = box.x;
        status = "box:optimal";
      }
    }
  }
  if (xs !== undefined) {
    // solved above
  } else if (p.solver === "highs" || p.solver === "auto") {
    if (!isSolverReady()) return { status: "highs:error: solver not loaded" };
    const res = solveQP({ P, q, lower, upper, constraints, iterationLimit: p.iterationLimit, timeLimit: 10 });
    if (res.status !== "optimal") return { status: `highs:${res.status}` };
    xs = res.x;
    status = "highs:optimal";
  } else {
    const flat = f64(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) flat[a * m + b] = P[a]![b]!;
    const res = solveAdmm({
      P: flat,
      q,
      lower,
      upper,
      rows: packedMap(constraints, (c) => ({ a: c.coefficients!, b: c.upper! })),
      maxIterations: p.iterationLimit,
    });
    if (res.status === "error") return { status: "admm:error" };
    xs = res.x;
    status = `admm:${res.status}`;
  }
  // Exact feasibility: clamp to the box, then move from the anchor (feasible) toward the solution
  // only as far as every linear row allows (solvers meet constraints within a tolerance only).
  const anc = f64Gather(anchor, idx);
  const sol = f64Map(xs, (v, k) => Math.min(upper[k]!, Math.max(lower[k]!, v)));
  let step = 1;
  for (const c of constraints) {
    const a = c.coefficients!;
    let at = 0;
    let slope = 0;
    for (let v = 0; v < m; v++) {
      at += a[v]! * anc[v]!;
      slope += a[v]! * (sol[v]! - anc[v]!);
    }
    if (slope > 0) step = Math.min(step, Math.max(0, (c.upper! - at) / slope));
  }
  const x = f64Copy(anchor);
  for (let v = 0; v < m; v++) x[idx[v]!] = anc[v]! + step * (sol[v]! - anc[v]!);
  return { status, x };
}
