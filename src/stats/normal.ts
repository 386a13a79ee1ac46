/**
 * Standard normal distribution with full double precision in both tails.
 * Written here rather than taken from jStat because jStat's `normal.cdf` goes through
 * 1 − erf and returns 0 or 1 beyond |z| ≈ 8, which would make small p-values 0.
 */

const SQRT_PI = Math.sqrt(Math.PI)
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI)

/** φ(z) */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z - LN_SQRT_2PI)
}

/**
 * Scaled complementary error function e^{x²}·erfc(x) for x ≥ 0.
 * x < 3: erf(x) = (2/√π) e^{−x²} Σ 2ⁿx^{2n+1}/(2n+1)!! (all terms positive, A&S 7.1.6);
 * forming 1 − erf costs at most ~1e-11 relative at x = 3, far below what any test needs.
 * x ≥ 3: the even contraction of Laplace's continued fraction (A&S 7.1.14),
 * erfc(x) = e^{−x²}/√π · 2x/(2x²+1 − 1·2/(2x²+5 − 3·4/(2x²+9 − …))), modified Lentz.
 */
export function erfcScaled(x: number): number {
  if (x < 3) {
    let term = x
    let sum = x
    const x2 = 2 * x * x
    for (let n = 1; n < 200; n++) {
      term *= x2 / (2 * n + 1)
      sum += term
      if (term < sum * 1e-17) break
    }
    const erfc = 1 - (2 / SQRT_PI) * Math.exp(-x * x) * sum
    return erfc * Math.exp(x * x)
  }
  const tiny = 1e-300
  const y = 2 * x * x
  let f = y + 1
  let c = f
  let d = 0
  for (let k = 1; k < 500; k++) {
    const a = -(2 * k - 1) * (2 * k)
    const b = y + 1 + 4 * k
    d = b + a * d
    d = Math.abs(d) < tiny ? tiny : d
    c = b + a / c
    c = Math.abs(c) < tiny ? tiny : c
    d = 1 / d
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return (2 * x) / (SQRT_PI * f)
}

/** Upper tail P(Z > z). */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN
  if (z === Infinity) return 0
  if (z === -Infinity) return 1
  const x = Math.abs(z) / Math.SQRT2
  const tail = 0.5 * erfcScaled(x) * Math.exp(-x * x)
  return z >= 0 ? tail : 1 - tail
}

/** Lower tail P(Z ≤ z). */
export function normalCdf(z: number): number {
  return normalSf(-z)
}

/** ln P(Z ≤ z), accurate far into the lower tail (used by one-sided mixtures). */
export function logNormalCdf(z: number): number {
  if (z === -Infinity) return -Infinity
  if (z >= -1) return Math.log1p(-normalSf(z))
  const x = -z / Math.SQRT2
  return Math.log(0.5 * erfcScaled(x)) - x * x
}

// Acklam's rational approximation (relative error 1.15e-9), refined below by Halley steps.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239]
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1]
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416]

function acklam(p: number): number {
  const [a0, a1, a2, a3, a4, a5] = A as [number, number, number, number, number, number]
  const [b0, b1, b2, b3, b4] = B as [number, number, number, number, number]
  const [c0, c1, c2, c3, c4, c5] = C as [number, number, number, number, number, number]
  const [d0, d1, d2, d3] = D as [number, number, number, number]
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
  }
  const q = p - 0.5
  const r = q * q
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
}

/**
 * Lower-tail quantile Φ⁻¹(p). For p ≤ ½ the Halley refinement runs on the lower tail,
 * for p > ½ on the upper tail 1 − p, so both tails keep full relative precision.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p)) return NaN
  if (p <= 0) return -Infinity
  if (p >= 1) return Infinity
  if (p > 0.5) return -lowerQuantile(1 - p)
  return lowerQuantile(p)
}

/** z with P(Z > z) = q, precise for tiny q (avoids forming 1 − q). */
export function normalQuantileUpper(q: number): number {
  if (Number.isNaN(q)) return NaN
  if (q <= 0) return Infinity
  if (q >= 1) return -Infinity
  if (q > 0.5) return lowerQuantile(1 - q)
  return -lowerQuantile(q)
}

function lowerQuantile(p: number): number {
  // p in (0, 1/2]
  let x = acklam(p)
  for (let i = 0; i < 4; i++) {
    const e = normalCdf(x) - p
    const u = e / normalPdf(x)
    const step = u / (1 + 0.5 * x * u)
    x -= step
    if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(x))) break
  }
  return x
}
