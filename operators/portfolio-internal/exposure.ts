/**
 * Gross exposure of a group of positions along a trade path, and the largest admissible step.
 *
 * g(t) = fixed + Σ_i |c_i + t·d_i| is convex and piecewise linear in t (breakpoints where a
 * position crosses zero), so the largest t in [0, 1] with g(t) <= bound is found exactly by
 * walking the breakpoints and interpolating on the last segment.
 */

export interface GroupPath {
  /** Gross of the positions that do not move. */
  readonly fixed: number;
  /** Start weights of the moving positions. */
  readonly c: ArrayLike<number>;
  /** Full trades of the moving positions. */
  readonly d: ArrayLike<number>;
}

export function groupGrossAt(g: GroupPath, t: number): number {
  let s = g.fixed;
  for (let i = 0; i < g.c.length; i++) s += Math.abs(g.c[i]! + t * g.d[i]!);
  return s;
}

/** Largest t in [0, 1] with g(t) <= max(bound, g(0)). */
export function maxStepGroup(g: GroupPath, bound: number): number {
  const B = Math.max(bound, groupGrossAt(g, 0));
  if (groupGrossAt(g, 1) <= B) return 1;
  const points = [0];
  for (let i = 0; i < g.c.length; i++) {
    const d = g.d[i]!;
    if (d === 0) continue;
    const t = -g.c[i]! / d;
    if (t > 0 && t < 1) points.push(t);
  }
  points.push(1);
  points.sort((a, b) => a - b);
  let lo = 0;
  let gLo = groupGrossAt(g, 0);
  for (let k = 1; k < points.length; k++) {
    const hi = points[k]!;
    const gHi = groupGrossAt(g, hi);
    if (gHi > B) {
      if (gHi === gLo) return lo;
      return Math.min(hi, Math.max(lo, lo + ((B - gLo) * (hi - lo)) / (gHi - gLo)));
    }
    lo = hi;
    gLo = gHi;
  }
  return 1;
}
