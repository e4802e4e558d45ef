import type { Observable } from "rxjs";
import type { CovarianceModel, InstrumentInfo, ProposalBatch, TradeProposal } from "../lib/domain/portfolio.js";
import type { ReturnHistory, RiskLimits, RiskLimitsTable } from "../lib/domain/risk-limits.js";
import type { DecisionCheck, RiskSnapshot } from "../lib/events/coordinated-trading-decision.js";
import { expectedShortfall, historicalVaR } from "../lib/quant/index.js";
import { record, SideTag, sideOutput } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { buildBook } from "./portfolio-internal/book.js";
import { covarianceFor, mulVec } from "./portfolio-internal/covariance.js";
import { annotate, reject, scaleAndAnnotate, tradeWeight, withProposals } from "./portfolio-internal/proposal.js";
import {
  maxStepBisect,
  maxStepLinear,
  maxStepQuad,
  normalMultipliers,
  type QuadPath,
  quadAt,
  quadPathFrom,
} from "./portfolio-internal/risk.js";
import { forPortfolio, withSideInputs } from "./portfolio-internal/side-inputs.js";
import { f64 } from "../lib/quant/f64-slab.js";

export interface RiskGateOptions {
  /** Risk limits by portfolioId (key `"*"` = default); may change at any time. */
  readonly limits$: Observable<RiskLimitsTable>;
  /** Latest correlation matrix with annualized volatilities. */
  readonly covariance$: Observable<CovarianceModel>;
  /** Market data, for the volatility of instruments missing from the covariance model. */
  readonly market$?: Observable<ReadonlyMap<string, InstrumentInfo>>;
  /** Daily return history, required only by limits with `method: "historical"`. */
  readonly history$?: Observable<ReturnHistory>;
}

/** Rule names recorded in {@link DecisionCheck.rule} by the risk gate. */
export const RiskRule = {
  volatility: "volatility",
  valueAtRisk: "value-at-risk",
  expectedShortfall: "expected-shortfall",
  trackingError: "tracking-error",
  stressLoss: "stress-loss",
  coverage: "risk-model-coverage",
} as const;

/**
 * Pre-trade portfolio risk of a proposal batch, with the batch applied, against dynamic limits.
 *
 * ```
 * in:      ---b1----------b2---|--wm--
 * limits$: L1--------L2------------     (limits may change at runtime; the latest applies)
 *          riskGate({ limits$, covariance$ })
 * out:     ---b1'---------b2'--|--wm--  (riskBefore / riskAfter set, proposals scaled or rejected,
 *                                        one check per active limit on every live proposal)
 * ```
 *
 * Measures (w = holdings + trades, Σ annualized from the latest covariance model; h = horizonDays /
 * tradingDaysPerYear): volatility √(w'Σw); parametric VaR z_c·σ√h and ES σ√h·φ(z_c)/(1 − c)
 * (zero mean); historical VaR / ES from the `history$` daily returns (the k-th worst loss and the
 * mean of the k worst, k = ⌈T(1 − c)⌉, scaled by √horizonDays); tracking error √((w−b)'Σ(w−b))
 * against the batch's benchmark weights (no benchmark = zero benchmark); stress loss −shocks·w,
 * worst over the scenarios.
 *
 * Enforcement along the common trade scale t in [0, 1] (w(t) = w0 + t·d): a limit fails when its
 * value at t = 1 exceeds both the limit and its value at t = 0 (a gate never creates or worsens a
 * breach; a trade that reduces an existing breach passes). `clip` limits give the largest t that
 * keeps each of them within max(limit, value at 0) — closed form for the quadratic and linear
 * measures, bisection (keeping the admissible end) for historical ones — and every live trade is
 * scaled by the smallest such t, so a binding limit ends exactly at its limit. A failing `reject`
 * limit rejects every live proposal of the batch. Proposals on instruments with no volatility
 * (neither in the model nor in market data) are rejected (`risk-model-coverage`).
 *
 * A batch without limits or without a covariance model goes to the `rejected` side output
 * (`missing-side-input:limits` / `missing-side-input:covariance`); the operator is 1:1 on records.
 */
export function riskGate(options: RiskGateOptions): DescribedOperator<ProposalBatch, ProposalBatch> {
  const op = withSideInputs<
    ProposalBatch,
    ProposalBatch,
    {
      limits: Observable<RiskLimitsTable>;
      covariance: Observable<CovarianceModel>;
      market: Observable<ReadonlyMap<string, InstrumentInfo>> | undefined;
      history: Observable<ReturnHistory> | undefined;
    }
  >(
    { limits: options.limits$, covariance: options.covariance$, market: options.market$, history: options.history$ },
    (rec, latest, emit) => {
      const limits = forPortfolio(latest.limits, rec.value.portfolioId);
      if (limits === undefined) {
        emit(sideOutput(SideTag.rejected, "missing-side-input:limits", rec));
        return;
      }
      if (latest.covariance === undefined) {
        emit(sideOutput(SideTag.rejected, "missing-side-input:covariance", rec));
        return;
      }
      const out = applyRiskLimits(rec.value, limits, latest.covariance, latest.market, latest.history);
      emit(record(out, rec.eventTime, rec.key, rec.ids));
    },
  );
  return describeOperator(op, { operatorName: "riskGate", sideOutputs: [SideTag.rejected] });
}

const EPS = 1e-12;

/** A stress scenario's loss before (l0) and after (l1) the batch's trades. */
interface ScenarioLoss {
  readonly l0: number;
  readonly l1: number;
}

/** The worst scenario loss at t along the trade path (−∞ without scenarios). */
function worstLoss(scenarios: readonly ScenarioLoss[], t: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const s of scenarios) m = Math.max(m, s.l0 + t * (s.l1 - s.l0));
  return m;
}

/**
 * One limited risk measure along the trade path w0 + t·d, t ∈ [0, 1]: its value at t, and the
 * largest t that keeps it within its limit. One class for every kind rather than closures made per
 * batch (README, Operators: why).
 */
class Measure {
  private constructor(
    readonly rule: string,
    readonly limit: number,
    readonly action: "clip" | "reject",
    readonly detail: string | undefined,
    private readonly kind: "quad" | "historical" | "unverifiable" | "stress",
    /** quad: mult·√(path at t); `bound2` is the limit on the path's quadratic form. */
    private readonly path: QuadPath | undefined,
    private readonly mult: number,
    private readonly bound2: number,
    /** historical: scale · (VaR or ES) of the portfolio's historical returns at t. */
    private readonly hist: HistoricalPaths | undefined,
    private readonly es: boolean,
    private readonly confidence: number,
    /** stress: the scenarios' losses. */
    private readonly scenarios: readonly ScenarioLoss[],
  ) {}

  static quad(
    rule: string,
    limit: number,
    action: "clip" | "reject",
    path: QuadPath,
    mult: number,
    bound2: number,
    detail?: string,
  ): Measure {
    return new Measure(rule, limit, action, detail, "quad", path, mult, bound2, undefined, false, 0, []);
  }

  static historical(
    rule: string,
    limit: number,
    action: "clip" | "reject",
    hist: HistoricalPaths,
    scale: number,
    es: boolean,
    confidence: number,
  ): Measure {
    return new Measure(rule, limit, action, "historical", "historical", undefined, scale, 0, hist, es, confidence, []);
  }

  static unverifiable(rule: string, limit: number): Measure {
    return new Measure(
      rule,
      limit,
      "reject",
      "no return history",
      "unverifiable",
      undefined,
      0,
      0,
      undefined,
      false,
      0,
      [],
    );
  }

  static stress(limit: number, action: "clip" | "reject", scenarios: readonly ScenarioLoss[]): Measure {
    return new Measure(
      RiskRule.stressLoss,
      limit,
      action,
      undefined,
      "stress",
      undefined,
      0,
      0,
      undefined,
      false,
      0,
      scenarios,
    );
  }

  at(t: number): number {
    switch (this.kind) {
      case "quad": {
        const v = Math.sqrt(quadAt(this.path!, t));
        return this.mult === 1 ? v : this.mult * v;
      }
      case "historical": {
        const r = this.hist!.at(t);
        const opts = { confidence: this.confidence };
        return this.mult * (this.es ? expectedShortfall(r, opts) : historicalVaR(r, opts));
      }
      case "unverifiable":
        return Number.POSITIVE_INFINITY;
      case "stress":
        return worstLoss(this.scenarios, t);
    }
  }

  /** The largest t in [0, 1] that keeps the measure within its limit (or within its value at 0). */
  step(): number {
    switch (this.kind) {
      case "quad":
        return maxStepQuad(this.path!, this.bound2);
      case "historical":
        return maxStepBisect((t) => this.at(t), this.limit);
      case "unverifiable":
        return 0;
      case "stress": {
        const bound = Math.max(this.limit, worstLoss(this.scenarios, 0));
        let m = 1;
        for (const s of this.scenarios) m = Math.min(m, maxStepLinear(s.l0, s.l1, bound));
        return m;
      }
    }
  }
}

/** A measure's values before and after, and what the gate does about it. */
interface Evaluated {
  readonly m: Measure;
  readonly v0: number;
  readonly v1: number;
  readonly passed: boolean;
  readonly action: DecisionCheck["action"];
}

/** The risk gate's work on one batch (exported for the bench and direct use). */
export function applyRiskLimits(
  batch: ProposalBatch,
  limits: RiskLimits,
  model: CovarianceModel,
  market?: ReadonlyMap<string, InstrumentInfo>,
  history?: ReturnHistory,
): ProposalBatch {
  const nav = batch.nav;
  const bench = batch.benchmarkWeights ?? {};
  // Universe: holdings, proposals and benchmark names (for tracking error).
  let book = buildBook(batch);
  const benchIds: string[] = [];
  for (const id of Object.keys(bench)) if (!book.index.has(id)) benchIds.push(id);
  const ids = benchIds.length > 0 ? [...book.ids, ...benchIds].sort() : book.ids;
  const cov = covarianceFor(ids, model, market);

  // Coverage: proposals on instruments without a volatility cannot be assessed.
  let proposals: TradeProposal[] = [...batch.proposals];
  const coverageChecks = new Map<number, DecisionCheck>();
  if (cov.missing.length > 0) {
    const missing = new Set(cov.missing);
    const covered: TradeProposal[] = [];
    for (let k = 0; k < proposals.length; k++) {
      const p = proposals[k]!;
      if (p.rejected || !missing.has(p.instrumentId)) {
        covered.push(p);
        continue;
      }
      coverageChecks.set(k, {
        kind: "risk",
        rule: RiskRule.coverage,
        value: 1,
        limit: 0,
        passed: false,
        action: "reject",
        detail: "no volatility for this instrument",
      });
      covered.push(reject(p, RiskRule.coverage, nav));
    }
    proposals = covered;
    book = buildBook({ ...batch, proposals });
  }
  const n = ids.length;
  const w0 = f64(n);
  const d = f64(n);
  const b = f64(n);
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    const k = book.index.get(id);
    if (k !== undefined) {
      w0[i] = book.current[k]!;
      d[i] = book.trade[k]!;
    }
    b[i] = bench[id] ?? 0;
  }

  const h = limits.horizonDays / limits.tradingDaysPerYear;
  const { varK, esK } = normalMultipliers(limits.confidence);
  const sw0 = mulVec(cov, w0);
  const sd = mulVec(cov, d);
  const variance = quadPathFrom(w0, d, sw0, sd);
  let te: QuadPath | undefined;
  if (limits.trackingError || batch.benchmarkWeights) {
    const sb = mulVec(cov, b);
    const active = f64(n);
    const sActive = f64(n);
    for (let i = 0; i < n; i++) {
      active[i] = w0[i]! - b[i]!;
      sActive[i] = sw0[i]! - sb[i]!;
    }
    te = quadPathFrom(active, d, sActive, sd);
  }
  const hist = history ? new HistoricalPaths(history, ids, w0, d) : undefined;
  const histScale = Math.sqrt(limits.horizonDays);
  const scenarios: ScenarioLoss[] = [];
  for (const s of limits.stress?.scenarios ?? []) {
    let l0 = 0;
    let l1 = 0;
    for (let i = 0; i < n; i++) {
      const shock = s.shocks[ids[i]!] ?? 0;
      l0 -= shock * w0[i]!;
      l1 -= shock * (w0[i]! + d[i]!);
    }
    scenarios.push({ l0, l1 });
  }

  const measures: Measure[] = [];
  let unverifiable: string | undefined;
  if (limits.volatility) {
    const { max, action } = limits.volatility;
    measures.push(Measure.quad(RiskRule.volatility, max, action, variance, 1, max * max));
  }
  for (const [rule, cfg, k, es] of [
    [RiskRule.valueAtRisk, limits.valueAtRisk, varK, false],
    [RiskRule.expectedShortfall, limits.expectedShortfall, esK, true],
  ] as const) {
    if (cfg === undefined) continue;
    if (cfg.method === "historical") {
      if (hist === undefined) {
        unverifiable = rule;
        measures.push(Measure.unverifiable(rule, cfg.max));
      } else measures.push(Measure.historical(rule, cfg.max, cfg.action, hist, histScale, es, limits.confidence));
    } else {
      const m = k * Math.sqrt(h);
      measures.push(Measure.quad(rule, cfg.max, cfg.action, variance, m, (cfg.max / m) ** 2, "parametric"));
    }
  }
  if (limits.trackingError && te) {
    const { max, action } = limits.trackingError;
    measures.push(Measure.quad(RiskRule.trackingError, max, action, te, 1, max * max));
  }
  if (limits.stress) measures.push(Measure.stress(limits.stress.maxLoss, limits.stress.action, scenarios));

  // Evaluate.
  let t = 1;
  let rejectRule: string | undefined;
  let bindingRule: string | undefined;
  const evaluated: Evaluated[] = [];
  for (const m of measures) {
    const v0 = m.at(0);
    const v1 = m.at(1);
    const passed = v1 <= m.limit * (1 + EPS);
    const worse = !passed && v1 > v0 * (1 + EPS);
    let action: DecisionCheck["action"] = "pass";
    if (m.rule === unverifiable) action = "reject";
    else if (worse && m.action === "reject") {
      action = "reject";
      rejectRule ??= m.rule;
    } else if (worse) {
      action = "clip";
      const s = m.step();
      if (s < t) {
        t = s;
        bindingRule = m.rule;
      }
    }
    evaluated.push({ m, v0, v1, passed, action });
  }
  if (unverifiable !== undefined) rejectRule ??= unverifiable;
  let hasTrade = false;
  for (const p of proposals) {
    if (!p.rejected && tradeWeight(p) !== 0) {
      hasTrade = true;
      break;
    }
  }
  if (rejectRule !== undefined) t = 0;

  const checks: DecisionCheck[] = [];
  for (const { m, v0, v1, passed, action } of evaluated) {
    const after = m.at(t);
    let detail = m.detail === undefined ? "" : `${m.detail}; `;
    detail += `before=${v0}; after=${after}`;
    if (action === "clip") detail += `; trades scaled by ${t}`;
    checks.push({
      kind: "risk",
      rule: m.rule,
      value: Number.isFinite(v1) ? v1 : Number.MAX_VALUE,
      limit: m.limit,
      passed,
      action,
      detail,
    });
  }

  const codes = t < 1 && rejectRule === undefined && bindingRule ? [`clipped:${bindingRule}`] : [];
  const out: TradeProposal[] = [];
  for (let k = 0; k < proposals.length; k++) {
    const p = proposals[k]!;
    const cc = coverageChecks.get(k);
    if (cc !== undefined) out.push(annotate(p, [cc]));
    else if (p.rejected) out.push(p);
    else if (rejectRule !== undefined && hasTrade) out.push(annotate(reject(p, rejectRule, nav), checks, codes));
    else out.push(scaleAndAnnotate(p, t, nav, checks, codes));
  }

  const snap: SnapshotInputs = {
    vol: Measure.quad(RiskRule.volatility, 0, "clip", variance, 1, 0),
    histVar:
      hist && limits.valueAtRisk?.method === "historical"
        ? Measure.historical(RiskRule.valueAtRisk, 0, "clip", hist, histScale, false, limits.confidence)
        : undefined,
    histEs:
      hist && limits.expectedShortfall?.method === "historical"
        ? Measure.historical(RiskRule.expectedShortfall, 0, "clip", hist, histScale, true, limits.confidence)
        : undefined,
    varMult: varK * Math.sqrt(h),
    esMult: esK * Math.sqrt(h),
    te,
    scenarios,
  };
  return withProposals(batch, out, { riskBefore: snapshot(snap, 0), riskAfter: snapshot(snap, t) });
}

/** What a risk snapshot along the trade path is computed from. */
interface SnapshotInputs {
  readonly vol: Measure;
  readonly histVar: Measure | undefined;
  readonly histEs: Measure | undefined;
  /** Parametric VaR and ES per unit of volatility over the horizon. */
  readonly varMult: number;
  readonly esMult: number;
  readonly te: QuadPath | undefined;
  readonly scenarios: readonly ScenarioLoss[];
}

/** The portfolio's risk at t along the trade path. */
function snapshot(x: SnapshotInputs, t: number): RiskSnapshot {
  const v = x.vol.at(t);
  return {
    volatility: v,
    valueAtRisk: x.histVar ? x.histVar.at(t) : x.varMult * v,
    expectedShortfall: x.histEs ? x.histEs.at(t) : x.esMult * v,
    ...(x.te ? { trackingError: Math.sqrt(quadAt(x.te, t)) } : {}),
    ...(x.scenarios.length > 0 ? { worstStressLoss: worstLoss(x.scenarios, t) } : {}),
  };
}

/** Daily portfolio returns of w0 and of the trades over the history (missing instruments / NaN = 0). */
class HistoricalPaths {
  private readonly p0: Float64Array;
  private readonly pd: Float64Array;

  constructor(history: ReturnHistory, ids: readonly string[], w0: Float64Array, d: Float64Array) {
    const col = new Map<string, number>();
    for (let j = 0; j < history.instrumentIds.length; j++) col.set(history.instrumentIds[j]!, j);
    const cols: number[] = [];
    for (const id of ids) cols.push(col.get(id) ?? -1);
    const T = history.returns.length;
    const p0 = f64(T);
    const pd = f64(T);
    for (let r = 0; r < T; r++) {
      const row = history.returns[r]!;
      let a = 0;
      let c = 0;
      for (let i = 0; i < ids.length; i++) {
        const j = cols[i]!;
        if (j < 0) continue;
        const x = row[j]!;
        if (!Number.isFinite(x)) continue;
        a += x * w0[i]!;
        c += x * d[i]!;
      }
      p0[r] = a;
      pd[r] = c;
    }
    this.p0 = p0;
    this.pd = pd;
  }

  /** The portfolio's return on each day of the history at t along the trade path. */
  at(t: number): number[] {
    const T = this.p0.length;
    const out = new Array<number>(T);
    for (let r = 0; r < T; r++) out[r] = this.p0[r]! + t * this.pd[r]!;
    return out;
  }
}
