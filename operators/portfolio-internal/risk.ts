/**
 * Risk along a trade path: the post-trade weights w(t) = w0 + t·d for a common trade scale
 * t in [0, 1]. Variance-like measures are convex quadratics in t and stress losses are linear, so
 * the largest admissible t has a closed form. "Admissible" means: the measure stays within
 * max(limit, value at t = 0) — a gate never creates a breach and never makes an existing one worse.
 */
import { type DenseCovariance, dotArr, mulVec } from "./covariance.js";

/** q(t) = c + 2 b t + a t² (e.g. variance of w0 + t·d: a = d'Σd, b = w0'Σd, c = w0'Σw0). */
export interface QuadPath {
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

export function quadPath(cov: DenseCovariance, w0: ArrayLike<number>, d: ArrayLike<number>): QuadPath {
  const sd = mulVec(cov, d);
  const sw = mulVec(cov, w0);
  return { a: Math.max(0, dotArr(d, sd)), b: dotArr(w0, sd), c: Math.max(0, dotArr(w0, sw)) };
}

export function quadAt(p: QuadPath, t: number): number {
  return Math.max(0, p.c + 2 * p.b * t + p.a * t * t);
}

/** Largest t in [0, 1] with q(t) <= max(bound, q(0)) (q convex, so the admissible set is [0, t*]). */
export function maxStepQuad(p: QuadPath, bound: number): number {
  const B = Math.max(bound, p.c);
  if (quadAt(p, 1) <= B) return 1;
  const c = p.c - B; // <= 0
  const { a, b } = p;
  let t: number;
  if (a <= 0) t = b > 0 ? -c / (2 * b) : 1;
  else {
    const disc = Math.sqrt(Math.max(0, b * b - a * c));
    t = b >= 0 ? (disc + b === 0 ? 0 : -c / (b + disc)) : (disc - b) / a;
  }
  return Math.min(1, Math.max(0, t));
}

/** Largest t in [0, 1] with f(t) = f0 + t (f1 - f0) <= max(bound, f0). */
export function maxStepLinear(f0: number, f1: number, bound: number): number {
  const B = Math.max(bound, f0);
  if (f1 <= B) return 1;
  return Math.min(1, Math.max(0, (B - f0) / (f1 - f0)));
}

/**
 * Largest t in [0, 1] with f(t) <= max(bound, f(0)) for a function that is not known to be convex
 * (historical VaR): bisection keeping the lower end admissible, so the result is always admissible.
 */
export function maxStepBisect(f: (t: number) => number, bound: number, iterations = 50): number {
  const B = Math.max(bound, f(0));
  if (f(1) <= B) return 1;
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < iterations; k++) {
    const mid = (lo + hi) / 2;
    if (f(mid) <= B) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/**
 * Standard normal quantile: Acklam's rational approximation (relative error < 1.2e-9) refined by
 * one Halley step on the complementary error function (erfc by a continued-fraction-free
 * Chebyshev fit, W. J. Cody's coefficients are not used; see {@link normalCdf}).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  let x: number;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - plow) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  // One Halley step: e = Φ(x) - p.
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Standard normal CDF via erfc (Numerical Recipes' erfcc Chebyshev fit, |rel error| < 1.2e-7 before refinement use). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse; use the series / continued fraction split.
  const z = Math.abs(x);
  let r: number;
  if (z < 2.5) {
    // erf by Taylor series (converges fast for z < 2.5), erfc = 1 - erf.
    let term = z;
    let sum = z;
    const z2 = z * z;
    for (let n = 1; n < 200; n++) {
      term *= -z2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // Continued fraction (Lentz) for erfc, accurate for z >= 2.5.
    const tiny = 1e-300;
    let f = z;
    let C = z;
    let D = 0;
    for (let n = 1; n < 300; n++) {
      const an = n / 2;
      D = z + an * D;
      D = D === 0 ? tiny : 1 / D;
      C = z + an / C;
      if (C === 0) C = tiny;
      const delta = C * D;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
  }
  return x >= 0 ? r : 2 - r;
}

/** Parametric (normal, zero-mean) VaR and ES multipliers of the horizon volatility. */
export function normalMultipliers(confidence: number): { readonly varK: number; readonly esK: number } {
  const z = normalQuantile(confidence);
  return { varK: z, esK: normalPdf(z) / (1 - confidence) };
}
