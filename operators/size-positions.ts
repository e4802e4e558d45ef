import { type Observable, tap } from "rxjs";
import type { Urgency } from "../lib/events/common.js";
import { URGENCY_RANK } from "../lib/events/common.js";
import type {
  CovarianceModel,
  HoldingSnapshot,
  InstrumentInfo,
  PortfolioState,
  ProposalBatch,
  TradeProposal,
} from "../lib/domain/portfolio.js";
import type { NetSignal, PortfolioBatch, TargetIntent } from "../lib/domain/signals.js";
import { record, SideTag, sideOutput } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import {
  covarianceFor,
  type DenseCovariance,
  mulRowsSparse,
  prepareCovarianceModel,
  solveSubsystem,
  solveViaPrecision,
  universeVols,
} from "./portfolio-internal/covariance.js";
import { maxStepQuad, quadPath } from "./portfolio-internal/risk.js";
import { withSideInputs } from "./portfolio-internal/side-inputs.js";
import { sortedUnion } from "./portfolio-internal/sorted.js";
import { sortStrings } from "./internal/sort-strings.js";
import { f64 } from "../lib/quant/f64-slab.js";

export const DAY_MS = 86_400_000;
export const YEAR_MS = 365.25 * DAY_MS;

export interface SizePositionsOptions {
  /** Latest correlation matrix with annualized volatilities. */
  readonly covariance$: Observable<CovarianceModel>;
  /** Latest market data by instrumentId (price, average daily volume, volatility fallback). */
  readonly market$: Observable<ReadonlyMap<string, InstrumentInfo>>;
  /** Latest portfolio state by portfolioId. */
  readonly portfolio$: Observable<ReadonlyMap<string, PortfolioState>>;
  /** Fraction of full Kelly, (0, 1]. Default 0.5. */
  readonly kellyFraction?: number;
  /** Per-name cap on |target weight|. Default 0.1. */
  readonly maxWeight?: number;
  /** Per-name risk budget: |w_i| · σ_i <= maxNameRisk (annualized). Default none. */
  readonly maxNameRisk?: number;
  /** Portfolio risk budget: annualized volatility of the target portfolio. Default none. */
  readonly maxVolatility?: number;
  /** Cap on gross leverage Σ|w| of the target portfolio. Default 1. */
  readonly maxGrossLeverage?: number;
  /** Allow short targets. Default true. */
  readonly allowShort?: boolean;
  /** Use the full correlation matrix (multi-asset Kelly); false = each name alone (μ/σ²). Default true. */
  readonly correlationAdjustment?: boolean;
  /** Subtract the hedge of the holdings that are not being re-sized (Σ_SF w_F). Default true. */
  readonly hedgeHoldings?: boolean;
  /** Cap on |trade quantity| as a fraction of average daily volume. Default 0.1. */
  readonly maxParticipation?: number;
  /** Horizons shorter than this are annualized as this long. Default one day. */
  readonly minHorizonMs?: number;
}

/**
 * Sizes one portfolio's aggregated signals and target intents into trade proposals.
 *
 * ```
 * batch:  ---b1------b2---|--wm--
 * cov$:   c-----------------------     (latest value read when a batch arrives)
 *         sizePositions({ covariance$, market$, portfolio$ })
 * out:    ---p1------p2---|--wm--      (p = ProposalBatch; a batch missing a side input goes
 *                                       to the `rejected` side output with reason
 *                                       `missing-side-input:<name>`)
 * ```
 *
 * Method, per batch (weights are fractions of NAV):
 * 1. Expected annual excess return per signal instrument: μ_i = expectedReturn · confidence ·
 *    (year / max(horizon, minHorizonMs)).
 * 2. Target intents override the signals of their instrument: the winning intent (highest urgency,
 *    then `rebalance` before `optimization`, then smallest eventId) sets
 *    target = current + participation · (intent.targetWeight − current). Its signal, if any,
 *    becomes a conflict when it points the other way.
 * 3. Fractional multi-asset Kelly on the remaining signal instruments S, with every other position
 *    F held fixed: w_S = Σ_SS⁻¹ (c·μ_S − Σ_SF w_F), the maximizer of μ'w − (1/2c)·w'Σw over w_S
 *    (c = kellyFraction). Without holdings this is the closed form c·Σ⁻¹μ. With
 *    `correlationAdjustment: false` it is c·μ_i/σ_i² per name.
 * 4. Constraints, in order: no shorts (if disallowed), per-name caps (maxWeight, maxNameRisk/σ_i),
 *    then one common scale k in [0, 1] of the Kelly weights so that the target portfolio's volatility
 *    is within maxVolatility and its gross leverage within maxGrossLeverage (intents and holdings
 *    are not scaled).
 * 5. Liquidity: |trade quantity| <= maxParticipation · averageDailyVolume (reason `liquidity-capped`).
 *
 * An instrument without a price, or a Kelly instrument without a volatility, gets a rejected
 * proposal (no trade) with a `risk-model-coverage` / `missing-price` reason code. Output proposals
 * are sorted by instrumentId; quantities are fractional shares.
 */
export function sizePositions(options: SizePositionsOptions): DescribedOperator<PortfolioBatch, ProposalBatch> {
  const c = options.kellyFraction ?? 0.5;
  const maxWeight = options.maxWeight ?? 0.1;
  const maxLev = options.maxGrossLeverage ?? 1;
  const allowShort = options.allowShort ?? true;
  const corrAdj = options.correlationAdjustment ?? true;
  const hedge = options.hedgeHoldings ?? true;
  const maxPart = options.maxParticipation ?? 0.1;
  const minHorizon = options.minHorizonMs ?? DAY_MS;
  if (!(c > 0 && c <= 1)) throw new RangeError("sizePositions: kellyFraction must be in (0, 1]");

  const op = withSideInputs<
    PortfolioBatch,
    ProposalBatch,
    {
      covariance: Observable<CovarianceModel>;
      market: Observable<ReadonlyMap<string, InstrumentInfo>>;
      portfolio: Observable<ReadonlyMap<string, PortfolioState>>;
    }
  >(
    {
      covariance: options.covariance$.pipe(tap(prepareCovarianceModel)),
      market: options.market$,
      portfolio: options.portfolio$,
    },
    (rec, latest, emit) => {
      const batch = rec.value;
      const state = forPortfolioState(latest.portfolio, batch.portfolioId);
      const missing =
        latest.covariance === undefined
          ? "covariance"
          : latest.market === undefined
            ? "market"
            : state === undefined
              ? "portfolio"
              : undefined;
      if (missing !== undefined || state === undefined) {
        emit(sideOutput(SideTag.rejected, `missing-side-input:${missing ?? "portfolio"}`, rec));
        return;
      }
      if (!(state.nav > 0)) {
        emit(sideOutput(SideTag.rejected, "invalid-nav", rec));
        return;
      }
      const out = sizeBatch(batch, state, latest.covariance!, latest.market!, {
        c,
        maxWeight,
        maxNameRisk: options.maxNameRisk,
        maxVolatility: options.maxVolatility,
        maxLev,
        allowShort,
        corrAdj,
        hedge,
        maxPart,
        minHorizon,
      });
      emit(record(out, rec.eventTime, rec.key, rec.ids));
    },
  );
  return describeOperator(op, { operatorName: "sizePositions", sideOutputs: [SideTag.rejected] });
}

function forPortfolioState(
  table: ReadonlyMap<string, PortfolioState> | undefined,
  portfolioId: string,
): PortfolioState | undefined {
  return table?.get(portfolioId);
}

interface Params {
  readonly c: number;
  readonly maxWeight: number;
  readonly maxNameRisk: number | undefined;
  readonly maxVolatility: number | undefined;
  readonly maxLev: number;
  readonly allowShort: boolean;
  readonly corrAdj: boolean;
  readonly hedge: boolean;
  readonly maxPart: number;
  readonly minHorizon: number;
}

/** Annualized expected excess return of a net signal (see {@link sizePositions}, step 1). */
export function annualizedSignalReturn(s: NetSignal, minHorizonMs = DAY_MS): number {
  return (s.expectedReturn * s.confidence * YEAR_MS) / Math.max(s.horizonMs, minHorizonMs);
}

function intentOrder(a: TargetIntent, b: TargetIntent): number {
  const u = URGENCY_RANK[b.urgency] - URGENCY_RANK[a.urgency];
  if (u !== 0) return u;
  if (a.kind !== b.kind) return a.kind === "rebalance" ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

function maxUrgency(a: Urgency, b: Urgency): Urgency {
  return URGENCY_RANK[a] >= URGENCY_RANK[b] ? a : b;
}

function sortedUnique(xs: Iterable<string>): string[] {
  return sortStrings([...new Set(xs)]);
}

// Module-level helpers of `sizeBatch`, not closures made per batch (README, Operators: why).

/** The instrument's price, when it is a positive finite number. */
function priceIn(market: ReadonlyMap<string, InstrumentInfo>, id: string): number | undefined {
  const px = market.get(id)?.price;
  return px !== undefined && Number.isFinite(px) && px > 0 ? px : undefined;
}

/** The holding's weight at the current price (0 without a price). */
function currentWeightOf(
  market: ReadonlyMap<string, InstrumentInfo>,
  quantity: ReadonlyMap<string, number>,
  nav: number,
  id: string,
): number {
  const px = priceIn(market, id);
  const q = quantity.get(id) ?? 0;
  return px === undefined ? 0 : (q * px) / nav;
}

const ascending = (x: number, y: number) => x - y;

function sizeBatch(
  batch: PortfolioBatch,
  state: PortfolioState,
  model: CovarianceModel,
  market: ReadonlyMap<string, InstrumentInfo>,
  p: Params,
): ProposalBatch {
  const nav = state.nav;
  // Holdings snapshot.
  const holdings: HoldingSnapshot[] = [];
  // Fixed weights start as the holdings (intent targets join below); quantities by id in a Map
  // (the positions record is read once).
  const fixed = new Map<string, number>();
  const quantity = new Map<string, number>();
  for (const id of sortStrings(Object.keys(state.positions))) {
    const qty = state.positions[id]!;
    quantity.set(id, qty);
    if (qty === 0) continue;
    const price = market.get(id)?.price ?? Number.NaN;
    const weight = Number.isFinite(price) ? (qty * price) / nav : 0;
    holdings.push({ instrumentId: id, quantity: qty, price: Number.isFinite(price) ? price : 0, weight });
    fixed.set(id, weight);
  }

  // One signal per instrument (the strongest if aggregation produced several), winning intent per instrument.
  const signals = new Map<string, NetSignal>();
  for (const s of batch.signals) {
    const prev = signals.get(s.instrumentId);
    if (prev === undefined || Math.abs(s.score) > Math.abs(prev.score)) signals.set(s.instrumentId, s);
  }
  const intents = new Map<string, TargetIntent>();
  for (const t of [...batch.targets].sort(intentOrder))
    if (!intents.has(t.instrumentId)) intents.set(t.instrumentId, t);

  const instruments = sortedUnion([...signals.keys()], [...intents.keys()]);

  // Fixed weights: holdings, plus intent targets.
  const intentTarget = new Map<string, number>();
  for (const [id, t] of intents) {
    if (priceIn(market, id) === undefined) continue;
    const cur = currentWeightOf(market, quantity, nav, id);
    let target = cur + t.participation * (t.targetWeight - cur);
    target = Math.max(-p.maxWeight, Math.min(p.maxWeight, target));
    intentTarget.set(id, target);
    fixed.set(id, target);
  }
  // Kelly set S: signal instruments without an intent, with a price.
  const kellyIds: string[] = [];
  for (const id of instruments) {
    if (signals.has(id) && !intents.has(id) && priceIn(market, id) !== undefined) kellyIds.push(id);
  }
  for (const id of kellyIds) fixed.delete(id);
  const fixedIds: string[] = [];
  for (const [id, w] of fixed) if (w !== 0) fixedIds.push(id);
  const universe = sortedUnion(kellyIds, fixedIds);
  // Volatilities only; the dense Σ of the universe (O(n²) memory and work) is built only when a
  // step needs it: the direct solve, or the volatility budget.
  const uv = universeVols(universe, model, market);
  let dense: DenseCovariance | undefined;
  const pos = new Map<string, number>();
  for (let i = 0; i < universe.length; i++) pos.set(universe[i]!, i);
  const noVol = new Set(uv.missing);
  const sIds: string[] = [];
  for (const id of kellyIds) if (!noVol.has(id)) sIds.push(id);
  const sIdx: number[] = [];
  const mu: number[] = [];
  for (const id of sIds) {
    sIdx.push(pos.get(id)!);
    mu.push(annualizedSignalReturn(signals.get(id)!, p.minHorizon));
  }
  const n = universe.length;
  const wF = f64(n);
  for (const id of fixedIds) wF[pos.get(id)!] = fixed.get(id)!;

  let wS: Float64Array;
  if (sIds.length === 0) wS = f64(0);
  else if (p.corrAdj) {
    const rhs = f64(sIds.length);
    // (Σ w_F)_S, from the model's entries on the fixed columns only (bit-identical to the dense product).
    const fCols: number[] = [];
    for (const id of fixedIds) fCols.push(pos.get(id)!);
    fCols.sort(ascending);
    const sigmaFw = p.hedge ? mulRowsSparse(uv, sIdx, fCols, wF) : undefined;
    for (let a = 0; a < sIds.length; a++) rhs[a] = p.c * mu[a]! - (sigmaFw ? sigmaFw[a]! : 0);
    // Signals on much of a model's universe: the Schur complement of the model's cached precision
    // matrix, O(|C|³/3 + 2·|S|·n) with C the model names without a signal; otherwise the direct
    // Cholesky of Σ_SS, O(|S|³/3) (factor cached per rows). A batch whose signal set changes thus
    // never pays a fresh O(|S|³) factorization when the complement route is cheaper. The choice
    // depends on the sizes only — never on cache state — so replays take the same path.
    const nModel = model.instrumentIds.length;
    const complement = nModel - sIds.length;
    const m = sIds.length;
    const viaPrecision =
      m >= 64 && complement ** 3 + 6 * m * nModel < m ** 3 ? solveViaPrecision(model, sIds, rhs) : undefined;
    if (viaPrecision !== undefined) wS = viaPrecision;
    else {
      dense ??= covarianceFor(universe, model, market);
      wS = solveSubsystem(dense, sIdx, rhs);
    }
  } else {
    wS = f64(sIds.length);
    for (let a = 0; a < sIds.length; a++) {
      const v = uv.vols[sIdx[a]!]!;
      wS[a] = v > 0 ? (p.c * mu[a]!) / (v * v) : 0;
    }
  }
  // Caps.
  for (let a = 0; a < wS.length; a++) {
    let w = wS[a]!;
    if (!p.allowShort && w < 0) w = 0;
    let cap = p.maxWeight;
    const v = uv.vols[sIdx[a]!]!;
    if (p.maxNameRisk !== undefined && v > 0) cap = Math.min(cap, p.maxNameRisk / v);
    wS[a] = Math.max(-cap, Math.min(cap, w));
  }
  // Common scale k for the risk budget and leverage.
  let k = 1;
  const dS = f64(n);
  for (let a = 0; a < sIdx.length; a++) dS[sIdx[a]!] = wS[a]!;
  if (p.maxVolatility !== undefined && wS.length > 0) {
    dense ??= covarianceFor(universe, model, market);
    k = Math.min(k, maxStepQuad(quadPath(dense, wF, dS), p.maxVolatility * p.maxVolatility));
  }
  let grossF = 0;
  for (const w of fixed.values()) grossF += Math.abs(w);
  let grossS = 0;
  for (const w of wS) grossS += Math.abs(w);
  if (grossS > 0) k = Math.min(k, Math.max(0, (p.maxLev - grossF) / grossS));

  const kellyTarget = new Map<string, number>();
  for (let a = 0; a < sIds.length; a++) kellyTarget.set(sIds[a]!, k * wS[a]!);

  const proposals: TradeProposal[] = [];
  for (const id of instruments) {
    const s = signals.get(id);
    const t = intents.get(id);
    const price = priceIn(market, id);
    const currentQuantity = quantity.get(id) ?? 0;
    const currentWeight = currentWeightOf(market, quantity, nav, id);
    const reasonCodes: string[] = [];
    let conflict = s?.conflict ?? false;
    const conflictingSources = t !== undefined ? new Set(s?.conflictingSources ?? []) : undefined;
    let target: number;
    let rejected = false;
    if (price === undefined) {
      target = currentWeight;
      rejected = true;
      reasonCodes.push("missing-price");
    } else if (t !== undefined) {
      target = intentTarget.get(id)!;
      reasonCodes.push(`target-intent:${t.kind}`);
      if (s !== undefined) {
        reasonCodes.push("intent-overrides-signal");
        const intentDir = Math.sign(target - currentWeight);
        if (intentDir !== 0 && Math.sign(s.score) !== 0 && intentDir !== Math.sign(s.score)) {
          conflict = true;
          for (const src of s.sources) if (src !== t.source) conflictingSources!.add(src);
        }
      }
    } else if (noVol.has(id)) {
      target = currentWeight;
      rejected = true;
      reasonCodes.push("risk-model-coverage");
    } else {
      target = kellyTarget.get(id)!;
      reasonCodes.push("kelly");
      if (k < 1) reasonCodes.push("scaled-to-budget");
    }
    let tradeQuantity = price === undefined ? 0 : ((target - currentWeight) * nav) / price;
    if (price !== undefined) {
      const adv = market.get(id)?.averageDailyVolume ?? 0;
      const maxQty = p.maxPart * (Number.isFinite(adv) && adv > 0 ? adv : 0);
      if (Math.abs(tradeQuantity) > maxQty) {
        tradeQuantity = Math.sign(tradeQuantity) * maxQty;
        target = currentWeight + (tradeQuantity * price) / nav;
        reasonCodes.push("liquidity-capped");
      }
    }
    // NetSignal lists are sorted and distinct by contract; merge only when an intent joins.
    const sources = t ? sortedUnique([...(s?.sources ?? []), t.source]) : (s?.sources ?? []);
    proposals.push({
      portfolioId: batch.portfolioId,
      instrumentId: id,
      price: price ?? 0,
      currentQuantity,
      currentWeight,
      targetWeight: target,
      targetQuantity: currentQuantity + tradeQuantity,
      tradeQuantity,
      notional: Math.abs(tradeQuantity) * (price ?? 0),
      expectedReturn: s?.expectedReturn ?? 0,
      confidence: s?.confidence ?? 1,
      urgency: s && t ? maxUrgency(s.urgency, t.urgency) : (s?.urgency ?? t?.urgency ?? "normal"),
      horizonMs: s?.horizonMs ?? 0,
      contributingSignalIds: t
        ? sortedUnique([...(s?.contributingSignalIds ?? []), t.eventId])
        : (s?.contributingSignalIds ?? []),
      sources,
      conflict,
      conflictingSources: conflictingSources ? sortStrings([...conflictingSources]) : (s?.conflictingSources ?? []),
      checks: [],
      reasonCodes,
      rejected,
    });
  }
  const out: ProposalBatch = {
    portfolioId: batch.portfolioId,
    windowStart: batch.windowStart,
    windowEnd: batch.windowEnd,
    nav,
    proposals,
    holdings,
    cash: state.cash,
    ...(state.benchmarkWeights ? { benchmarkWeights: state.benchmarkWeights } : {}),
  };
  return out;
}
