import type { Observable } from "rxjs";
import type { InvestmentPolicy, PolicyTable, RuleAction } from "../lib/domain/policy.js";
import type { InstrumentInfo, ProposalBatch, TradeProposal } from "../lib/domain/portfolio.js";
import type { DecisionCheck } from "../lib/events/coordinated-trading-decision.js";
import { record, SideTag, sideOutput } from "../lib/stream/item.js";
import { type DescribedOperator, describeOperator } from "../lib/stream/operator.js";
import { type GroupPath, groupGrossAt, maxStepGroup } from "./portfolio-internal/exposure.js";
import { annotate, increasesExposure, reject, withProposals, withTargetWeight } from "./portfolio-internal/proposal.js";
import { forPortfolio, withSideInputs } from "./portfolio-internal/side-inputs.js";
import { sortStrings } from "./internal/sort-strings.js";
import { f64Gather, f64GatherDifference } from "../lib/quant/f64-slab.js";

export interface PolicyGateOptions {
  /** Investment policies by portfolioId (key `"*"` = default). */
  readonly policy$: Observable<PolicyTable>;
  /** Latest market data by instrumentId (asset class, sector, country, ESG score). */
  readonly market$: Observable<ReadonlyMap<string, InstrumentInfo>>;
}

/** Rule names recorded in {@link DecisionCheck.rule} by the policy gate. */
export const PolicyRule = {
  allowedInstrument: "allowed-instrument",
  allowedAssetClass: "allowed-asset-class",
  restrictedList: "restricted-list",
  esgExclusion: "esg-exclusion",
  esgMinScore: "esg-min-score",
  turnover: "turnover",
  singleName: "single-name-exposure",
  sector: "sector-exposure",
  country: "country-exposure",
} as const;

/**
 * Enforces the portfolio's {@link InvestmentPolicy} on a proposal batch.
 *
 * ```
 * in:      ---b1-------b2---|--wm--
 * policy$: P------------------------   (latest table read when a batch arrives)
 *          policyGate({ policy$, market$ })
 * out:     ---b1'------b2'--|--wm--    (b' = same batch, proposals clipped / rejected, checks added)
 * ```
 *
 * Convention: rejected proposals stay on the batch with `rejected = true`, no trade, the failed
 * check and a `rejected:<rule>` reason code, so that lineage and checks reach the decision; the
 * operator is 1:1 on records. A batch without a policy (or without market data) goes to the
 * `rejected` side output with reason `missing-side-input:policy` / `missing-side-input:market`.
 *
 * Rules run in this order, each recorded as a check on every live (not yet rejected) proposal it
 * applies to, with the value it saw, the limit, pass/fail and the action taken:
 * 1. eligibility — `allowed-instrument`, `allowed-asset-class`, `restricted-list`, `esg-exclusion`,
 * *    `esg-min-score` (value 1 = on the wrong side of the rule, limit 0; for the minimum score the
 *    value is the score, -1 when unknown). `clip` lets only exposure-reducing trades through (target clamped between
 *    0 and the current weight); `reject` rejects.
 * 2. `turnover` — Σ|trade weight| of the batch; `clip` scales every trade by limit/turnover.
 * 3. `single-name-exposure` — |post-trade weight|; `clip` clamps the target at ±max(limit, |current|).
 * 4. `sector-exposure`, 5. `country-exposure` — gross post-trade weight of the group (holdings
 *    included); `clip` scales the group's exposure-increasing trades by the largest common factor
 *    that brings the group to max(limit, its gross without those increases), found exactly.
 * Every clip only shrinks exposure-increasing trades toward the current position, so a later rule
 * never undoes an earlier one; no rule creates a breach or makes an existing breach worse.
 */
export function policyGate(options: PolicyGateOptions): DescribedOperator<ProposalBatch, ProposalBatch> {
  const op = withSideInputs<
    ProposalBatch,
    ProposalBatch,
    { policy: Observable<PolicyTable>; market: Observable<ReadonlyMap<string, InstrumentInfo>> }
  >({ policy: options.policy$, market: options.market$ }, (rec, latest, emit) => {
    const policy = forPortfolio(latest.policy, rec.value.portfolioId);
    if (policy === undefined) {
      emit(sideOutput(SideTag.rejected, "missing-side-input:policy", rec));
      return;
    }
    if (latest.market === undefined) {
      emit(sideOutput(SideTag.rejected, "missing-side-input:market", rec));
      return;
    }
    emit(record(applyPolicy(rec.value, policy, latest.market), rec.eventTime, rec.key, rec.ids));
  });
  return describeOperator(op, { operatorName: "policyGate", sideOutputs: [SideTag.rejected] });
}

const EPS = 1e-12;

interface PolicySets {
  readonly allowed: ReadonlySet<string> | undefined;
  readonly classes: ReadonlySet<string> | undefined;
  readonly restricted: ReadonlySet<string> | undefined;
  readonly excluded: ReadonlySet<string> | undefined;
}
const policySetCache = new WeakMap<InvestmentPolicy, PolicySets>();

/** The policy's id lists as sets, built once per policy object (policies change rarely). */
function policySets(policy: InvestmentPolicy): PolicySets {
  let s = policySetCache.get(policy);
  if (s === undefined) {
    s = {
      allowed: policy.allowedInstruments ? new Set(policy.allowedInstruments.instruments) : undefined,
      classes: policy.allowedAssetClasses ? new Set(policy.allowedAssetClasses.assetClasses) : undefined,
      restricted: policy.restrictedList ? new Set(policy.restrictedList.instruments) : undefined,
      excluded: policy.esg ? new Set(policy.esg.excluded) : undefined,
    };
    policySetCache.set(policy, s);
  }
  return s;
}

const clippedCodes = new Map<string, string>();
function clippedCode(rule: string): string {
  let c = clippedCodes.get(rule);
  if (c === undefined) {
    c = `clipped:${rule}`;
    clippedCodes.set(rule, c);
  }
  return c;
}

/** The policy gate's work on one batch (exported for the bench and direct use). */
export function applyPolicy(
  batch: ProposalBatch,
  policy: InvestmentPolicy,
  market: ReadonlyMap<string, InstrumentInfo>,
): ProposalBatch {
  return new PolicyPass(batch, policy, market).run();
}

/** An eligibility test: writes its outcome for one proposal into `pass.ev`. */
type EligibilityTest = (pass: PolicyPass, p: TradeProposal, info: InstrumentInfo | undefined) => void;

const notAllowed: EligibilityTest = (pass, p) => pass.flag(!pass.sets.allowed!.has(p.instrumentId));
const classNotAllowed: EligibilityTest = (pass, _p, info) =>
  pass.flag(info?.assetClass === undefined || !pass.sets.classes!.has(info.assetClass));
const restricted: EligibilityTest = (pass, p) => pass.flag(pass.sets.restricted!.has(p.instrumentId));
const esgExcluded: EligibilityTest = (pass, p) => pass.flag(pass.sets.excluded!.has(p.instrumentId));
const esgBelowMin: EligibilityTest = (pass, _p, info) => {
  const esg = pass.policy.esg!;
  const min = esg.minScore!;
  const score = info?.esgScore;
  const ev = pass.ev;
  ev.limit = min;
  if (score === undefined) {
    ev.fail = esg.missingScore === "fail";
    ev.value = -1;
  } else {
    ev.fail = score < min;
    ev.value = score;
  }
};
const sectorOf = (i: InstrumentInfo | undefined) => i?.sector;
const countryOf = (i: InstrumentInfo | undefined) => i?.country;

/**
 * One batch through the policy's rules, in order: eligibility, turnover, single name, sector and
 * country groups. Per-proposal state lives in arrays indexed by the proposal's position.
 * A class, not closures made per batch (README, Operators: why).
 */
class PolicyPass {
  private readonly nav: number;
  private readonly n: number;
  private readonly target: number[] = [];
  private readonly current: number[] = [];
  private readonly dead: boolean[] = [];
  private readonly checks: DecisionCheck[][] = [];
  private readonly codes: string[][] = [];
  private readonly rejectedBy: (string | undefined)[];
  private readonly lastCheck = new Map<string, DecisionCheck>();
  /** Where an eligibility test writes its outcome (one reused record: no object per proposal). */
  readonly ev = { fail: false, value: 0, limit: 0 };
  readonly sets: PolicySets;
  private readonly proposalIds = new Set<string>();

  constructor(
    private readonly batch: ProposalBatch,
    readonly policy: InvestmentPolicy,
    private readonly market: ReadonlyMap<string, InstrumentInfo>,
  ) {
    this.nav = batch.nav;
    this.n = batch.proposals.length;
    for (const p of batch.proposals) {
      this.target.push(p.targetWeight);
      this.current.push(p.currentWeight);
      this.dead.push(p.rejected);
      this.checks.push([]);
      this.codes.push([]);
      this.proposalIds.add(p.instrumentId);
    }
    this.rejectedBy = new Array(this.n).fill(undefined);
    this.sets = policySets(policy);
  }

  run(): ProposalBatch {
    const { policy, batch, nav, target, current, dead, rejectedBy, checks, codes } = this;
    const n = this.n;

    // 1. Eligibility.
    this.eligibility(PolicyRule.allowedInstrument, policy.allowedInstruments?.action, notAllowed);
    this.eligibility(PolicyRule.allowedAssetClass, policy.allowedAssetClasses?.action, classNotAllowed);
    this.eligibility(PolicyRule.restrictedList, policy.restrictedList?.action, restricted);
    const esg = policy.esg;
    this.eligibility(PolicyRule.esgExclusion, esg?.action, esgExcluded);
    if (esg?.minScore !== undefined) this.eligibility(PolicyRule.esgMinScore, esg.action, esgBelowMin);

    // 2. Turnover.
    if (policy.turnover) {
      const max = policy.turnover.maxTurnover;
      let turnover = 0;
      for (let k = 0; k < n; k++) turnover += Math.abs(target[k]! - current[k]!);
      const passed = turnover <= max + EPS;
      const action: DecisionCheck["action"] = passed ? "pass" : policy.turnover.action;
      const f = passed ? 1 : max / turnover;
      for (let k = 0; k < n; k++) {
        if (dead[k]) continue;
        const traded = target[k] !== current[k];
        this.check(k, PolicyRule.turnover, turnover, max, passed, traded ? action : "pass");
        if (passed || !traded) continue;
        if (action === "reject") this.doReject(k, PolicyRule.turnover);
        else target[k] = current[k]! + f * (target[k]! - current[k]!);
      }
    }

    // 3. Single name.
    if (policy.singleName) {
      const max = policy.singleName.maxWeight;
      for (let k = 0; k < n; k++) {
        if (dead[k]) continue;
        const post = Math.abs(target[k]!);
        const bound = Math.max(max, Math.abs(current[k]!));
        if (post <= max + EPS) this.check(k, PolicyRule.singleName, post, max, true, "pass");
        else if (post <= bound + EPS) {
          this.check(k, PolicyRule.singleName, post, max, false, "pass", "breach not increased");
        } else if (policy.singleName.action === "reject") {
          this.check(k, PolicyRule.singleName, post, max, false, "reject");
          this.doReject(k, PolicyRule.singleName);
        } else {
          target[k] = Math.sign(target[k]!) * bound;
          this.check(k, PolicyRule.singleName, post, max, false, "clip", `target clipped to ${target[k]}`);
        }
      }
    }

    // 4-5. Groups.
    if (policy.sector) this.groupRule(PolicyRule.sector, policy.sector, sectorOf);
    if (policy.country) this.groupRule(PolicyRule.country, policy.country, countryOf);

    const proposals: TradeProposal[] = [];
    for (let k = 0; k < n; k++) {
      const p = batch.proposals[k]!;
      let q = p;
      if (rejectedBy[k] !== undefined) q = reject(q, rejectedBy[k]!, nav);
      else if (target[k] !== p.targetWeight) q = withTargetWeight(q, target[k]!, nav);
      proposals.push(annotate(q, checks[k]!, codes[k]!));
    }
    return withProposals(batch, proposals);
  }

  /** Sets the eligibility outcome: failed (value 1) or not (value 0), against limit 0. */
  flag(bad: boolean): void {
    const ev = this.ev;
    ev.fail = bad;
    ev.value = bad ? 1 : 0;
    ev.limit = 0;
  }

  private increasing(k: number): boolean {
    return increasesExposure({ currentWeight: this.current[k]!, targetWeight: this.target[k]! } as TradeProposal);
  }

  private doReject(k: number, rule: string): void {
    this.target[k] = this.current[k]!;
    this.dead[k] = true;
    this.rejectedBy[k] = rule;
  }

  private check(
    k: number,
    rule: string,
    value: number,
    limit: number,
    passed: boolean,
    action: DecisionCheck["action"],
    detail?: string,
  ): void {
    // Checks are immutable values: consecutive proposals with the same outcome of a rule (every
    // pass of an eligibility rule, every member of a group, turnover) share one object.
    const prev = this.lastCheck.get(rule);
    let c: DecisionCheck;
    if (
      prev !== undefined &&
      Object.is(prev.value, value) &&
      Object.is(prev.limit, limit) &&
      prev.passed === passed &&
      prev.action === action &&
      prev.detail === detail
    )
      c = prev;
    else {
      c =
        detail !== undefined
          ? { kind: "policy", rule, value, limit, passed, action, detail }
          : { kind: "policy", rule, value, limit, passed, action };
      this.lastCheck.set(rule, c);
    }
    this.checks[k]!.push(c);
    if (action === "clip") this.codes[k]!.push(clippedCode(rule));
  }

  private eligibility(rule: string, cfgAction: RuleAction | undefined, test: EligibilityTest): void {
    if (cfgAction === undefined) return;
    const { batch, market, dead, current, target, ev } = this;
    for (let k = 0; k < this.n; k++) {
      if (dead[k]) continue;
      const p = batch.proposals[k]!;
      test(this, p, market.get(p.instrumentId));
      if (!ev.fail) {
        this.check(k, rule, ev.value, ev.limit, true, "pass");
        continue;
      }
      if (cfgAction === "reject") {
        this.check(k, rule, ev.value, ev.limit, false, "reject");
        this.doReject(k, rule);
      } else if (this.increasing(k)) {
        const c = current[k]!;
        target[k] = Math.min(Math.max(target[k]!, Math.min(0, c)), Math.max(0, c));
        this.check(k, rule, ev.value, ev.limit, false, "clip", "only exposure-reducing trades allowed");
      } else this.check(k, rule, ev.value, ev.limit, false, "pass", "exposure-reducing trade allowed");
    }
  }

  private groupRule(
    rule: string,
    cfg: NonNullable<InvestmentPolicy["sector"]>,
    groupOf: (info: InstrumentInfo | undefined) => string | undefined,
  ): void {
    const { batch, market, dead, current, target } = this;
    const members = new Map<string, { fixed: number; moving: number[] }>();
    for (const h of batch.holdings ?? []) {
      if (this.proposalIds.has(h.instrumentId)) continue;
      const g = groupOf(market.get(h.instrumentId));
      if (g !== undefined && g !== "") groupEntry(members, g).fixed += Math.abs(h.weight);
    }
    for (let k = 0; k < this.n; k++) {
      const g = groupOf(market.get(batch.proposals[k]!.instrumentId));
      if (g !== undefined && g !== "") groupEntry(members, g).moving.push(k);
    }
    for (const g of sortStrings(Array.from(members.keys()))) {
      const e = members.get(g)!;
      const limit = cfg.overrides?.[g] ?? cfg.maxWeight;
      let fixed = e.fixed;
      const inc: number[] = [];
      for (const k of e.moving) {
        if (!dead[k] && this.increasing(k)) inc.push(k);
        else fixed += Math.abs(target[k]!);
      }
      const path: GroupPath = {
        fixed,
        // Float64Arrays: one array representation whatever the values (see resolveConflicts).
        c: f64Gather(current, inc),
        d: f64GatherDifference(target, current, inc),
      };
      const post = groupGrossAt(path, 1);
      const bound = Math.max(limit, groupGrossAt(path, 0));
      const detail = `${rule === PolicyRule.sector ? "sector" : "country"}=${g}`;
      const live: number[] = [];
      for (const k of e.moving) if (!dead[k]) live.push(k);
      if (post <= limit + EPS) {
        for (const k of live) this.check(k, rule, post, limit, true, "pass", detail);
      } else if (post <= bound + EPS) {
        for (const k of live) this.check(k, rule, post, limit, false, "pass", `${detail}; breach not increased`);
      } else if (cfg.action === "reject") {
        const incSet = new Set(inc);
        for (const k of live) {
          this.check(k, rule, post, limit, false, incSet.has(k) ? "reject" : "pass", detail);
          if (incSet.has(k)) this.doReject(k, rule);
        }
      } else {
        const t = maxStepGroup(path, limit);
        const incSet = new Set(inc);
        const scaled = `${detail}; increases scaled by ${t}`;
        for (const k of live) {
          if (incSet.has(k)) {
            target[k] = current[k]! + t * (target[k]! - current[k]!);
            this.check(k, rule, post, limit, false, "clip", scaled);
          } else this.check(k, rule, post, limit, false, "pass", detail);
        }
      }
    }
  }
}

/** The group's entry, made on first use. */
function groupEntry(
  members: Map<string, { fixed: number; moving: number[] }>,
  g: string,
): { fixed: number; moving: number[] } {
  let e = members.get(g);
  if (e === undefined) {
    e = { fixed: 0, moving: [] };
    members.set(g, e);
  }
  return e;
}
