/**
 * Log-gamma and the regularized incomplete gamma function (chi-square tails).
 * lnΓ uses the Stirling series with Bernoulli-number terms (A&S 6.1.40) for x ≥ 10 and the
 * recurrence Γ(x+1) = xΓ(x) below; keeping the Stirling remainder separate lets ratios of
 * huge gammas (n ≈ 1e9) be formed without cancelling two 1e10-sized numbers.
 */

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI)

/** δ(x) = lnΓ(x) − [(x − ½)ln x − x + ½ln 2π] for x ≥ 10 (error < 1e-16). */
export function stirlingCorrection(x: number): number {
  const r = 1 / x
  const r2 = r * r
  // B_{2k} / (2k(2k−1)) for k = 1..7
  return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 * (1 / 1188 - r2 * (691 / 360360 - r2 * (1 / 156)))))))
}

/** ln Γ(x) for x > 0. */
export function lnGamma(x: number): number {
  if (!(x > 0)) return NaN
  if (x === Infinity) return Infinity
  if (x >= 10) return (x - 0.5) * Math.log(x) - x + HALF_LN_2PI + stirlingCorrection(x)
  let prod = 1
  let y = x
  while (y < 10) {
    prod *= y
    y += 1
  }
  return lnGamma(y) - Math.log(prod)
}

/** ln Γ(a + b) − ln Γ(a), accurate when a is huge and b is modest. */
export function lnGammaRatio(a: number, b: number): number {
  if (a < 10 || a + b < 10) return lnGamma(a + b) - lnGamma(a)
  // (a+b−½)ln(a+b) − (a−½)ln a − b = (a−½)·log1p(b/a) + b·ln(a+b) − b
  return (a - 0.5) * Math.log1p(b / a) + b * Math.log(a + b) - b + stirlingCorrection(a + b) - stirlingCorrection(a)
}

/** ln B(a, b) = lnΓ(a) + lnΓ(b) − lnΓ(a + b), without cancellation for large arguments. */
export function lnBeta(a: number, b: number): number {
  const lo = Math.min(a, b)
  const hi = Math.max(a, b)
  if (lo >= 10) {
    // (a−½)ln(a/(a+b)) + (b−½)ln(b/(a+b)) − ½ln(a+b) + ½ln2π + δ(a) + δ(b) − δ(a+b)
    const s = a + b
    return (lo - 0.5) * Math.log(lo / s) + (hi - 0.5) * -Math.log1p(lo / hi) - 0.5 * Math.log(s) + HALF_LN_2PI +
      stirlingCorrection(lo) + stirlingCorrection(hi) - stirlingCorrection(s)
  }
  if (hi >= 10) return lnGamma(lo) - lnGammaRatio(hi, lo)
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b)
}

/**
 * Regularized incomplete gamma: returns [P(a,x), Q(a,x)] with whichever is small computed
 * directly — power series for x < a + 1, Legendre continued fraction otherwise (A&S 6.5.29, 6.5.31).
 */
export function regularizedGamma(a: number, x: number): [number, number] {
  if (!(a > 0) || !(x >= 0)) return [NaN, NaN]
  if (x === 0) return [0, 1]
  if (x === Infinity) return [1, 0]
  const logPrefix = a * Math.log(x) - x - lnGamma(a)
  if (x < a + 1) {
    let term = 1 / a
    let sum = term
    for (let n = 1; n < 100000; n++) {
      term *= x / (a + n)
      sum += term
      if (term < sum * 1e-17) break
    }
    const p = Math.min(1, sum * Math.exp(logPrefix))
    return [p, 1 - p]
  }
  const tiny = 1e-300
  let b = x + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < 100000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    d = Math.abs(d) < tiny ? tiny : d
    c = b + an / c
    c = Math.abs(c) < tiny ? tiny : c
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  const q = Math.min(1, Math.exp(logPrefix) * h)
  return [1 - q, q]
}

/** Upper tail of the chi-square distribution with k degrees of freedom. */
export function chiSquareSf(x: number, k: number): number {
  if (!(k > 0) || Number.isNaN(x)) return NaN
  if (x <= 0) return 1
  return regularizedGamma(k / 2, x / 2)[1]
}
