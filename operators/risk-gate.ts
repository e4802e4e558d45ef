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
import { packedMap } from "./internal/packed-map.js";

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

interface Measure {
  readonly rule: string;
  readonly limit: number;
  readonly action: "clip" | "reject";
  readonly at: (t: number) => number;
  readonly step: () => number;
  readonly detail?: string;
}

const EPS = 1e-12;

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
  const benchIds = Object.keys(bench).filter((id) => !book.index.has(id));
  const ids = benchIds.length > 0 ? [...book.ids, ...benchIds].sort() : book.ids;
  const cov = covarianceFor(ids, model, market);

  // Coverage: proposals on instruments without a volatility cannot be assessed.
  let proposals: TradeProposal[] = [...batch.proposals];
  const coverageChecks = new Map<number, DecisionCheck>();
  if (cov.missing.length > 0) {
    const missing = new Set(cov.missing);
    proposals = packedMap(proposals, (p, k) => {
      if (p.rejected || !missing.has(p.instrumentId)) return p;
      coverageChecks.set(k, {
        kind: "risk",
        rule: RiskRule.coverage,
        value: 1,
        limit: 0,
        passed: false,
        action: "reject",
        detail: "no volatility for this instrument",
      });
      return reject(p, RiskRule.coverage, nav);
    });
    book = buildBook({ ...batch, proposals });
  }
  const n = ids.length;
  const w0 = f64(n);
  const d = f64(n);
  const b = f64(n);
  ids.forEach((id, i) => {
    const k = book.index.get(id);
    if (k !== undefined) {
      w0[i] = book.current[k]!;
      d[i] = book.trade[k]!;
    }
    b[i] = bench[id] ?? 0;
  });

  const h = limits.horizonDays / limits.tradingDaysPerYear;
  const { varK, esK } = normalMultipliers(limits.confidence);
  const sw0 = mulVec(cov, w0);
  const sd = mulVec(cov, d);
  const variance = quadPathFrom(w0, d, sw0, sd);
  const vol = (t: number) => Math.sqrt(quadAt(variance, t));
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
  const hist = history ? historicalPaths(history, ids, w0, d) : undefined;
  const histScale = Math.sqrt(limits.horizonDays);
  const histVar = hist
    ? (t: number) => histScale * historicalVaR(hist.at(t), { confidence: limits.confidence })
    : undefined;
  const histEs = hist
    ? (t: number) => histScale * expectedShortfall(hist.at(t), { confidence: limits.confidence })
    : undefined;
  const scenarios = packedMap(limits.stress?.scenarios ?? [], (s) => {
    let l0 = 0;
    let l1 = 0;
    for (let i = 0; i < n; i++) {
      const shock = s.shocks[ids[i]!] ?? 0;
      l0 -= shock * w0[i]!;
      l1 -= shock * (w0[i]! + d[i]!);
    }
    return { name: s.name, l0, l1 };
  });
  const worstLoss = (t: number) => scenarios.reduce((m, s) => Math.max(m, s.l0 + t * (s.l1 - s.l0)), -Infinity);

  const measures: Measure[] = [];
  let unverifiable: string | undefined;
  if (limits.volatility) {
    const { max, action } = limits.volatility;
    measures.push({
      rule: RiskRule.volatility,
      limit: max,
      action,
      at: vol,
      step: () => maxStepQuad(variance, max * max),
    });
  }
  const tail = (
    rule: string,
    cfg: NonNullable<RiskLimits["valueAtRisk"]>,
    k: number,
    historical: ((t: number) => number) | undefined,
  ) => {
    if (cfg.method === "historical") {
      if (historical === undefined) {
        unverifiable = rule;
        measures.push({
          rule,
          limit: cfg.max,
          action: "reject",
          at: () => Number.POSITIVE_INFINITY,
          step: () => 0,
          detail: "no return history",
        });
        return;
      }
      measures.push({
        rule,
        limit: cfg.max,
        action: cfg.action,
        at: historical,
        step: () => maxStepBisect(historical, cfg.max),
        detail: "historical",
      });
    } else {
      const m = k * Math.sqrt(h);
      measures.push({
        rule,
        limit: cfg.max,
        action: cfg.action,
        at: (t) => m * vol(t),
        step: () => maxStepQuad(variance, (cfg.max / m) ** 2),
        detail: "parametric",
      });
    }
  };
  if (limits.valueAtRisk) tail(RiskRule.valueAtRisk, limits.valueAtRisk, varK, histVar);
  if (limits.expectedShortfall) tail(RiskRule.expectedShortfall, limits.expectedShortfall, esK, histEs);
  if (limits.trackingError && te) {
    const { max, action } = limits.trackingError;
    const path = te;
    measures.push({
      rule: RiskRule.trackingError,
      limit: max,
      action,
      at: (t) => Math.sqrt(quadAt(path, t)),
      step: () => maxStepQuad(path, max * max),
    });
  }
  if (limits.stress) {
    const { maxLoss, action } = limits.stress;
    measures.push({
      rule: RiskRule.stressLoss,
      limit: maxLoss,
      action,
      at: worstLoss,
      step: () => {
        const bound = Math.max(maxLoss, worstLoss(0));
        return scenarios.reduce((m, s) => Math.min(m, maxStepLinear(s.l0, s.l1, bound)), 1);
      },
    });
  }

  // Evaluate.
  let t = 1;
  let rejectRule: string | undefined;
  let bindingRule: string | undefined;
  const evaluated = packedMap(measures, (m) => {
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
    return { m, v0, v1, passed, action };
  });
  if (unverifiable !== undefined) rejectRule ??= unverifiable;
  const hasTrade = proposals.some((p) => !p.rejected && tradeWeight(p) !== 0);
  if (rejectRule !== undefined) t = 0;

  const checks: DecisionCheck[] = packedMap(evaluated, ({ m, v0, v1, passed, action }) => {
    const after = m.at(t);
    const parts = [m.detail, `before=${v0}`, `after=${after}`, action === "clip" ? `trades scaled by ${t}` : undefined];
    return {
      kind: "risk",
      rule: m.rule,
      value: Number.isFinite(v1) ? v1 : Number.MAX_VALUE,
      limit: m.limit,
      passed,
      action,
      detail: parts.filter((x) => x !== undefined).join("; "),
    };
  });

  const codes = t < 1 && rejectRule === undefined && bindingRule ? [`clipped:${bindingRule}`] : [];
  const out = packedMap(proposals, (p, k) => {
    const cc = coverageChecks.get(k);
    if (cc !== undefined) return annotate(p, [cc]);
    if (p.rejected) return p;
    if (rejectRule !== undefined && hasTrade) return annotate(reject(p, rejectRule, nav), checks, codes);
    return scaleAndAnnotate(p, t, nav, checks, codes);
  });

  const snapshot = (s: number): RiskSnapshot => {
    const v = vol(s);
    const useHistVar = limits.valueAtRisk?.method === "historical" && histVar;
    const useHistEs = limits.expectedShortfall?.method === "historical" && histEs;
    return {
      volatility: v,
      valueAtRisk: useHistVar ? histVar(s) : varK * Math.sqrt(h) * v,
      expectedShortfall: useHistEs ? histEs(s) : esK * Math.sqrt(h) * v,
      ...(te ? { trackingError: Math.sqrt(quadAt(te, s)) } : {}),
      ...(scenarios.length > 0 ? { worstStressLoss: worstLoss(s) } : {}),
    };
  };
  return withProposals(batch, out, { riskBefore: snapshot(0), riskAfter: snapshot(t) });
}

/** Daily portfolio returns of w0 and of the trades over the history (missing instruments / NaN = 0). */
function historicalPaths(history: ReturnHistory, ids: readonly string[], w0: Float64Array, d: Float64Array) {
  const col = new Map<string, number>();
  history.instrumentIds.forEach((id, j) => {
    col.set(id, j);
  });
  const cols = packedMap(ids, (id) => col.get(id) ?? -1);
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
  return {
    at: (t: number): number[] => {
      const out = new Array<number>(T);
      for (let r = 0; r < T; r++) out[r] = p0[r]! + t * pd[r]!;
      return out;
    },
  };
}
