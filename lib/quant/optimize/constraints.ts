/**
 * Translating the common portfolio options (bounds, budget, groups) into variable bounds and linear
 * rows for {@link solveQP}, with cheap infeasibility pre-checks and input validation.
 */
import { isSymmetric, type Matrix } from "../linalg.js";
import type { LinearConstraint } from "./qp-solver.js";
import type { GroupConstraints, PortfolioOptions } from "./types.js";

export interface BuiltConstraints {
  readonly lower: number[];
  readonly upper: number[];
  readonly budget: number | null;
  /** Budget row (if any) first, then one row per constrained group. */
  readonly rows: LinearConstraint[];
  /** Group label of each group row (parallel to rows after the budget row). */
  readonly groupRows: { readonly label: string; readonly members: number[]; lower: number; upper: number }[];
}

export type ConstraintProblem = { readonly kind: "error" | "infeasible"; readonly message: string };

function expand(
  v: number | readonly number[] | undefined,
  n: number,
  fallback: number,
  name: string,
): number[] | string {
  if (v === undefined) return new Array<number>(n).fill(fallback);
  if (typeof v === "number") {
    if (Number.isNaN(v)) return `${name} is NaN`;
    return new Array<number>(n).fill(v);
  }
  if (v.length !== n) return `${name} has length ${v.length}, expected ${n}`;
  if (v.some((x) => Number.isNaN(x))) return `${name} contains NaN`;
  return v.slice();
}

/** Groups: member indices per label, in first-appearance order. */
export function groupMembers(groups: GroupConstraints, n: number): Map<string, number[]> | string {
  if (groups.groups.length !== n) return `groups has ${groups.groups.length} labels, expected ${n}`;
  const members = new Map<string, number[]>();
  groups.groups.forEach((label, i) => {
    const list = members.get(label);
    if (list) list.push(i);
    else members.set(label, [i]);
  });
  return members;
}

/** Builds bounds and rows; returns a problem description for invalid or trivially infeasible input. */
export function buildConstraints(
  n: number,
  opts: PortfolioOptions,
  defaults: { lower: number; upper: number; budget: number | null } = { lower: 0, upper: 1, budget: 1 },
): BuiltConstraints | ConstraintProblem {
  const lower = expand(opts.lower, n, defaults.lower, "lower");
  if (typeof lower === "string") return { kind: "error", message: lower };
  const upper = expand(opts.upper, n, defaults.upper, "upper");
  if (typeof upper === "string") return { kind: "error", message: upper };
  const budget = opts.budget === undefined ? defaults.budget : opts.budget;
  if (budget !== null && !Number.isFinite(budget)) return { kind: "error", message: "budget must be finite or null" };
  let sumLower = 0;
  let sumUpper = 0;
  for (let i = 0; i < n; i++) {
    if (lower[i]! > upper[i]!) return { kind: "infeasible", message: `lower[${i}] > upper[${i}]` };
    if (lower[i] === Number.POSITIVE_INFINITY || upper[i] === Number.NEGATIVE_INFINITY) {
      return { kind: "infeasible", message: `bounds of asset ${i} exclude every finite weight` };
    }
    sumLower += lower[i]!;
    sumUpper += upper[i]!;
  }
  const rows: LinearConstraint[] = [];
  if (budget !== null) {
    const tol = 1e-9 * Math.max(1, Math.abs(budget));
    if (sumLower > budget + tol)
      return { kind: "infeasible", message: `sum of lower bounds ${sumLower} > budget ${budget}` };
    if (sumUpper < budget - tol)
      return { kind: "infeasible", message: `sum of upper bounds ${sumUpper} < budget ${budget}` };
    rows.push({ coefficients: new Array<number>(n).fill(1), lower: budget, upper: budget });
  }
  const groupRows: BuiltConstraints["groupRows"] = [];
  if (opts.groups) {
    const members = groupMembers(opts.groups, n);
    if (typeof members === "string") return { kind: "error", message: members };
    const labels = new Set([
      ...Object.keys(opts.groups.groupLower ?? {}),
      ...Object.keys(opts.groups.groupUpper ?? {}),
    ]);
    for (const label of [...labels].sort()) {
      const idx = members.get(label) ?? [];
      const lo = opts.groups.groupLower?.[label] ?? Number.NEGATIVE_INFINITY;
      const hi = opts.groups.groupUpper?.[label] ?? Number.POSITIVE_INFINITY;
      if (Number.isNaN(lo) || Number.isNaN(hi)) return { kind: "error", message: `group ${label} limit is NaN` };
      if (lo > hi) return { kind: "infeasible", message: `group ${label}: lower ${lo} > upper ${hi}` };
      let gl = 0;
      let gu = 0;
      for (const i of idx) {
        gl += lower[i]!;
        gu += upper[i]!;
      }
      if (gu < lo - 1e-9 || gl > hi + 1e-9) {
        return { kind: "infeasible", message: `group ${label}: member bounds [${gl}, ${gu}] miss [${lo}, ${hi}]` };
      }
      if (idx.length === 0) continue;
      rows.push({ indices: idx, values: new Array<number>(idx.length).fill(1), lower: lo, upper: hi });
      groupRows.push({ label, members: idx, lower: lo, upper: hi });
    }
  }
  return { lower, upper, budget, rows, groupRows };
}

export function isConstraintProblem(x: BuiltConstraints | ConstraintProblem): x is ConstraintProblem {
  return "kind" in x;
}

/** Validates a covariance matrix (square, finite, symmetric) and optional expected returns. */
export function validateInputs(cov: Matrix, mu?: readonly number[]): string | undefined {
  const n = cov.length;
  if (n === 0) return "covariance matrix is empty";
  if (!isSymmetric(cov, 1e-8)) return "covariance matrix must be square, finite and symmetric";
  for (let i = 0; i < n; i++) if (!(cov[i]![i]! >= 0)) return `covariance diagonal ${i} is negative`;
  if (mu) {
    if (mu.length !== n) return `mu has length ${mu.length}, expected ${n}`;
    if (mu.some((x) => !Number.isFinite(x))) return "mu must be finite";
  }
  return undefined;
}

/** True when no bound, group or (optionally) budget restricts the weights. */
export function isUnconstrained(c: BuiltConstraints): boolean {
  return (
    c.groupRows.length === 0 &&
    c.lower.every((x) => x === Number.NEGATIVE_INFINITY) &&
    c.upper.every((x) => x === Number.POSITIVE_INFINITY)
  );
}

/** Clips solver output into the box (HiGHS meets bounds only within its 1e-7 feasibility tolerance). */
export function clipToBounds(x: readonly number[], lower: readonly number[], upper: readonly number[]): number[] {
  return x.map((v, i) => Math.min(upper[i]!, Math.max(lower[i]!, v)));
}
