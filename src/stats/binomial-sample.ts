/**
 * Exact binomial variates for simulations (rare-event guardrails, SLO windows): inversion by
 * sequential search of the pmf (Devroye 1986, "Non-Uniform Random Variate Generation", §X.4),
 * after splitting n so that each part has n·p ≤ 16 — the sum of independent binomials with the
 * same p is binomial, and the search then costs O(n·p + 1) and (1 − p)ⁿ cannot underflow.
 */
import type { Rng } from './random.js'

export function binomialSample(rng: Rng, n: number, p: number): number {
  if (!(n > 0) || !(p > 0)) return 0
  if (p >= 1) return n
  if (p > 0.5) return n - binomialSample(rng, n, 1 - p)
  if (n * p > 16) {
    const half = Math.floor(n / 2)
    return binomialSample(rng, half, p) + binomialSample(rng, n - half, p)
  }
  const u = rng.uniform()
  const odds = p / (1 - p)
  let pmf = Math.pow(1 - p, n)
  let cdf = pmf
  let k = 0
  while (u >= cdf && k < n) {
    pmf *= ((n - k) / (k + 1)) * odds
    k++
    cdf += pmf
  }
  return k
}
