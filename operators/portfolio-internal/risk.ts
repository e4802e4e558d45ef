/**
 * Risk along a trade path: the post-trade weights w(t) = w0 + t·d for a common trade scale
 * t in [0, 1]. Variance-like measures are convex quadratics in t and stress losses are linear, so
 * the largest admissible t has a closed form. "Admissible" means: the measure stays within
 * max(limit, value at t = 0) — a gate never creates a breach and never makes an existing one worse.
 */
import { normalPdf, normalQuantile } from "../../lib/quant/index.js";
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

/** The same from precomputed products sw0 = Σw0 and sd = Σd (no matrix work). */
export function quadPathFrom(
  w0: ArrayLike<number>,
  d: ArrayLike<number>,
  sw0: ArrayLike<number>,
  sd: ArrayLike<number>,
): QuadPath {
  return { a: Math.max(0, dotArr(d, sd)), b: dotArr(w0, sd), c: Math.max(0, dotArr(w0, sw0)) };
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

/** Parametric (normal, zero-mean) VaR and ES multipliers of the horizon volatility. */
export function normalMultipliers(confidence: number): { readonly varK: number; readonly esK: number } {
  const z = normalQuantile(confidence);
  return { varK: z, esK: normalPdf(z) / (1 - confidence) };
}
