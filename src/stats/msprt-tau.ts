/**
 * Choosing the mixture SPRT's mixing variance τ² so a guardrail has power where it matters.
 *
 * For the normal mixture (normal-mixture.ts) the always-valid boundary at a look with
 * estimate variance V is a radius r(τ², V) = √V·g(τ²/V): it depends on τ² only through
 * x = τ²/V. The probability of crossing at that look, Φ((δ − r)/√V) for a true effect δ, is
 * therefore largest, for every δ at once, when x minimises g — a constant x*(α, sided).
 * So "the τ that maximises power at a planned sample N*" is τ² = x*·V(N*) (Johari, Pekelis &
 * Walsh 2017/2022, "Always valid inference", §4 on tuning τ to the sample size; Howard et al.
 * 2021 give x ≈ −2 ln α + ln(1 − 2 ln α) in closed form for the two-sided case, which
 * tau2FromPlannedSampleSize uses; here x* is the exact minimiser, also for one-sided tests).
 *
 * A default τ of 5% of the metric's mean is far too small for a rare-event guardrail: on a
 * 0.2% error rate τ = 0.0001 while the harms that matter (doubling: δ = 0.002) are 20τ, and
 * power collapses (see bench/README-stats.md). Two better-founded choices:
 *   - planned sample: τ² = x*·(σ_C² + σ_T²)/n_planned;
 *   - declared minimum harmful effect δ on the metric's own scale: the smallest n at which the
 *     test, tuned to n, reaches the target power for δ; τ² = x*·V(n). Capped at the planned
 *     sample when both are given (a harm not detectable by then gets the best power at the end).
 */
import { oneSidedRadius, twoSidedRadius } from './normal-mixture.js'
import { normalQuantileUpper, normalSf } from './normal.js'
import { validAlpha, type Sided } from './sided.js'
import type { StatsStatus } from './status.js'

/**
 * N*, the planned total sample (both compared arms) a sequential test is tuned to when the
 * spec gives neither tuningN nor plannedUnits. One constant for the plan and the engine
 * (GrowthBook's default N* is also 5,000); the engine used 10,000 before it shared this one.
 */
export const DEFAULT_TUNING_N = 5_000

/** Radius in units of √V as a function of x = τ²/V. */
function radiusOverSe(x: number, alpha: number, sided: Sided): number {
  const args = { variance: 1, tau2: x, alpha }
  return sided === 'two' ? twoSidedRadius(args) : oneSidedRadius(args)
}

const ratioCache = new Map<string, number>()

/** x* = argmin over x > 0 of the boundary radius (golden-section search on ln x; memoised per α, side). */
export function optimalTauRatio({ alpha, sided = 'two' }: { alpha: number; sided?: Sided }): number {
  const key = `${alpha}:${sided === 'two' ? 'two' : 'one'}`
  const hit = ratioCache.get(key)
  if (hit !== undefined) return hit
  const x = searchTauRatio(alpha, sided)
  if (ratioCache.size < 64) ratioCache.set(key, x)
  return x
}

function searchTauRatio(alpha: number, sided: Sided): number {
  const phi = (Math.sqrt(5) - 1) / 2
  let a = Math.log(1e-3)
  let b = Math.log(1e4)
  let c = b - phi * (b - a)
  let d = a + phi * (b - a)
  let fc = radiusOverSe(Math.exp(c), alpha, sided)
  let fd = radiusOverSe(Math.exp(d), alpha, sided)
  for (let i = 0; i < 100 && b - a > 1e-10; i++) {
    if (fc < fd) {
      b = d; d = c; fd = fc; c = b - phi * (b - a); fc = radiusOverSe(Math.exp(c), alpha, sided)
    } else {
      a = c; c = d; fc = fd; d = a + phi * (b - a); fd = radiusOverSe(Math.exp(d), alpha, sided)
    }
  }
  return Math.exp(0.5 * (a + b))
}

export interface GuardrailTau {
  status: StatsStatus
  tau2: number | null
  /** per-arm sample the τ is tuned to */
  nPerArm: number | null
  basis: 'min-harmful-effect' | 'planned-n' | 'default-n' | null
  /** power at nPerArm for minHarmfulEffect (when given), crossing at that look alone */
  power: number | null
}

/**
 * τ² for a (one- or two-sided) mixture SPRT on a difference in means or proportions.
 * `controlVariance` / `treatmentVariance` are per-unit variances (p(1 − p) for a rate),
 * `minHarmfulEffect` is on the metric's own scale (e.g. +0.002 on an error rate of 0.002).
 */
export function guardrailTau2({ controlVariance, treatmentVariance, alpha, sided = 'greater', plannedNPerArm, minHarmfulEffect, power = 0.8 }: {
  controlVariance: number
  treatmentVariance?: number
  alpha: number
  sided?: Sided
  plannedNPerArm?: number
  minHarmfulEffect?: number
  power?: number
}): GuardrailTau {
  const vt = treatmentVariance ?? controlVariance
  const bad: GuardrailTau = { status: 'INVALID_INPUT', tau2: null, nPerArm: null, basis: null, power: null }
  if (![controlVariance, vt].every((v) => Number.isFinite(v) && v >= 0) || !validAlpha(alpha) || !(power > 0 && power < 1)) return bad
  if (plannedNPerArm !== undefined && !(plannedNPerArm > 0 && Number.isFinite(plannedNPerArm))) return bad
  if (minHarmfulEffect !== undefined && !(Number.isFinite(minHarmfulEffect) && minHarmfulEffect !== 0)) return bad
  const s2 = controlVariance + vt
  if (!(s2 > 0)) return { ...bad, status: 'ZERO_VARIANCE' }
  const delta = minHarmfulEffect === undefined ? null : Math.abs(minHarmfulEffect)
  const x = optimalTauRatio({ alpha, sided })
  const g = delta === null ? 0 : radiusOverSe(x, alpha, sided)
  // crossing probability at n per arm with τ tuned to n: Φ(δ/√V − g), V = s²/n
  const powerAt = (n: number) => (delta === null ? null : normalSf(g - delta / Math.sqrt(s2 / n)))
  let n: number
  let basis: GuardrailTau['basis']
  if (delta !== null) {
    // δ/√(s²/n) = g + z_power  ⇒  n = s²·(g + z_power)²/δ²
    n = (s2 * (g + normalQuantileUpper(1 - power)) ** 2) / (delta * delta)
    basis = 'min-harmful-effect'
    if (plannedNPerArm !== undefined && plannedNPerArm < n) n = plannedNPerArm
  } else if (plannedNPerArm !== undefined) {
    n = plannedNPerArm
    basis = 'planned-n'
  } else {
    n = DEFAULT_TUNING_N / 2
    basis = 'default-n'
  }
  return { status: 'ok', tau2: (x * s2) / n, nPerArm: n, basis, power: powerAt(n) }
}
