/**
 * Power and sample size, per method, for a difference in means with per-unit standard
 * deviation σ and allocation ratio r = n_T/n_C.
 *   fixed horizon (z): power(n) = Φ(δ/se − z_{α/2}) + Φ(−δ/se − z_{α/2}) (both tails, as in
 *     statsmodels' NormalIndPower), se = σ√(1/n + 1/(rn)); n solved numerically.
 *   group sequential: drift η at t = 1 found by recursive integration so the design's
 *     rejection probability is the target; n_max = n with δ/se = η; the expected stopping
 *     fraction under the alternative comes from the same recursion (Jennison & Turnbull ch. 4).
 *   mSPRT / confidence sequence: n at which the always-valid boundary alone is crossed with
 *     the target probability at that look — conservative, since earlier crossings only add power.
 */
import { spentAlpha, type Spending } from './alpha-spending.js'
import { confseqTau2 } from './confseq.js'
import { gstBoundaries } from './gst.js'
import { advanceState, exitProbabilities, initialState } from './gst-recursion.js'
import { oneSidedRadius, twoSidedRadius } from './normal-mixture.js'
import { normalCdf, normalQuantileUpper, normalSf } from './normal.js'
import type { Sided } from './sided.js'
import { DEFAULT_TUNING_N } from './msprt-tau.js'

/** Probability that the fixed-horizon z-test rejects (δ > 0 assumed for one-sided 'greater'). */
export function fixedHorizonPower({ effect, sd, nPerArm, alpha, sided = 'two', ratio = 1 }: {
  effect: number; sd: number; nPerArm: number; alpha: number; sided?: Sided; ratio?: number
}): number {
  const d = effect / (sd * Math.sqrt(1 / nPerArm + 1 / (ratio * nPerArm)))
  if (sided === 'two') {
    const z = normalQuantileUpper(alpha / 2)
    return normalCdf(d - z) + normalCdf(-d - z)
  }
  const z = normalQuantileUpper(alpha)
  return sided === 'greater' ? normalCdf(d - z) : normalCdf(-d - z)
}

/** Smallest continuous n (control arm) reaching the target of an increasing power curve. */
function solveN(power: (n: number) => number, target: number): number {
  let lo = 1e-6
  let hi = 1
  while (power(hi) < target) {
    hi *= 2
    if (hi > 1e15) return Infinity
  }
  for (let i = 0; i < 200 && hi - lo > 1e-10 * hi; i++) {
    const mid = 0.5 * (lo + hi)
    if (power(mid) < target) lo = mid
    else hi = mid
  }
  return hi
}

export interface SampleSizeInput {
  /** absolute difference in means to detect (> 0) */
  effect: number
  sd: number
  alpha: number
  power: number
  sided?: Sided
  ratio?: number
}

/** Fixed-horizon z-test sample size per control arm (treatment = ratio × this). */
export function fixedHorizonSampleSize(i: SampleSizeInput): number {
  const { effect, sd, alpha, power, sided = 'two', ratio = 1 } = i
  return solveN((n) => fixedHorizonPower({ effect: Math.abs(effect), sd, nPerArm: n, alpha, sided: sided === 'two' ? 'two' : 'greater', ratio }), power)
}

/** Rejection probability and expected stopping fraction of a GST design under drift η. */
export function gstOperatingCharacteristics({ informationFractions, boundaries, drift, sided = 'two' }: {
  informationFractions: number[]; boundaries: number[]; drift: number; sided?: Sided
}): { power: number; expectedFraction: number } {
  const lowerOf = (c: number) => (sided === 'two' ? -c : -Infinity)
  let power = 0
  let expected = 0
  let continuing = 1
  const t0 = informationFractions[0]!
  const c0 = boundaries[0]!
  const p0 = normalSf(c0 - drift * Math.sqrt(t0)) + (sided === 'two' ? normalCdf(-c0 - drift * Math.sqrt(t0)) : 0)
  power += p0
  expected += t0 * p0
  continuing -= p0
  let state = initialState({ t: t0, drift, a: lowerOf(c0), b: c0 })
  for (let k = 1; k < informationFractions.length; k++) {
    const t = informationFractions[k]!
    const c = boundaries[k]!
    const e = exitProbabilities({ state, t, drift, a: lowerOf(c), b: c })
    const p = e.upper + e.lower
    power += p
    expected += t * p
    continuing -= p
    state = advanceState({ state, t, drift, a: lowerOf(c), b: c })
  }
  expected += informationFractions[informationFractions.length - 1]! * Math.max(0, continuing)
  return { power, expectedFraction: expected }
}

/** GST maximum sample size per control arm and expected sample size under the alternative. */
export function gstSampleSize(i: SampleSizeInput & { informationFractions: number[]; spending: Spending }): { nMax: number; expectedN: number } {
  const { effect, sd, alpha, power, sided = 'two', ratio = 1, informationFractions, spending } = i
  const b = gstBoundaries({ informationFractions, alpha, sided: sided === 'two' ? 'two' : 'greater', spending })
  const oc = (eta: number) => gstOperatingCharacteristics({ informationFractions: b.informationFractions, boundaries: b.boundaries, drift: eta, sided: sided === 'two' ? 'two' : 'greater' })
  let lo = 0
  let hi = 1
  while (oc(hi).power < power) hi *= 2
  for (let k = 0; k < 60; k++) {
    const mid = 0.5 * (lo + hi)
    if (oc(mid).power < power) lo = mid
    else hi = mid
  }
  // η = δ / (σ√(1/n + 1/(rn)))  ⇒  n = (η σ / δ)² (1 + 1/r)
  const nMax = ((hi * sd) / Math.abs(effect)) ** 2 * (1 + 1 / ratio)
  return { nMax, expectedN: nMax * oc(hi).expectedFraction }
}

/** Sample size per control arm for the mSPRT (given τ²) or the confidence sequence (given N*). */
export function mixtureSampleSize(i: SampleSizeInput & { tau2?: number; tuningN?: number }): number {
  const { effect, sd, alpha, power, sided = 'two', ratio = 1 } = i
  const delta = Math.abs(effect)
  const crossProb = (n: number): number => {
    const variance = sd * sd * (1 / n + 1 / (ratio * n))
    const tau2 = i.tau2 ?? confseqTau2({ variance, nTotal: n * (1 + ratio), tuningN: i.tuningN ?? DEFAULT_TUNING_N, alpha })
    const r = sided === 'two' ? twoSidedRadius({ variance, tau2, alpha }) : oneSidedRadius({ variance, tau2, alpha })
    return normalSf((r - delta) / Math.sqrt(variance))
  }
  return solveN(crossProb, power)
}

