/**
 * Minimum sample per look from the metric's measured skewness: Kohavi, Deng, Longbotham & Xu
 * 2014, "Seven rules of thumb for web site experimenters" (KDD), rule 7, and Kohavi, Tang & Xu
 * 2020, "Trustworthy Online Controlled Experiments" §17: the normal approximation of a mean is
 * adequate (tail probabilities within ~10% of nominal at α = 0.05) once each arm has
 *   n > 355 · s²,   s = skewness of the per-unit metric,
 * from the first Edgeworth term of the mean (Boos & Hughes-Oliver 2000). Below it a look is
 * not tested — a group sequential (Pocock) boundary spends α at early looks exactly where the
 * mean is least normal. The smaller arm decides: an unbalanced split (canary) makes the
 * difference of means skewed even in an A/A test.
 * Skewness comes from sufficient statistics n, Σx, Σx², Σx³ (SQL: sum(pow(x, 3))), which merge
 * by addition like the other moments.
 */
import type { StatsStatus } from './status.js'

/** Kohavi et al.'s constant: n > 355·s². */
export const SKEW_SAMPLE_FACTOR = 355

export interface SkewMoments {
  n: number
  sum: number
  sumSquares: number
  /** Σx³ */
  sumCubes: number
}

/** Sample skewness g₁ = m₃ / m₂^{3/2} (population central moments, as scipy.stats.skew(bias=True)). */
export function skewnessFromMoments(m: SkewMoments): { status: StatsStatus; skewness: number | null } {
  if (![m.n, m.sum, m.sumSquares, m.sumCubes].every(Number.isFinite) || m.n < 0) return { status: 'INVALID_INPUT', skewness: null }
  if (m.n < 3) return { status: 'INSUFFICIENT_SAMPLE', skewness: null }
  const mu = m.sum / m.n
  const m2 = m.sumSquares / m.n - mu * mu
  const m3 = m.sumCubes / m.n - 3 * mu * (m.sumSquares / m.n) + 2 * mu * mu * mu
  // m2 below rounding noise of Σx²/n: every value equal, skewness undefined
  if (!(m2 > 1e-12 * Math.max(m.sumSquares / m.n, Number.MIN_VALUE))) return { status: 'ZERO_VARIANCE', skewness: null }
  return { status: 'ok', skewness: m3 / Math.pow(m2, 1.5) }
}

/** Units per arm a look needs before it is tested: ⌈factor · s²⌉ (at least `floor`). */
export function minSamplePerLook({ skewness, factor = SKEW_SAMPLE_FACTOR, floor = 2 }: {
  skewness: number
  factor?: number
  floor?: number
}): { status: StatsStatus; minUnits: number | null } {
  if (!Number.isFinite(skewness) || !(factor > 0) || !(floor >= 0)) return { status: 'INVALID_INPUT', minUnits: null }
  return { status: 'ok', minUnits: Math.max(floor, Math.ceil(factor * skewness * skewness)) }
}

/**
 * Whether a look may be tested: the smaller arm has at least minSamplePerLook units for the
 * skewness measured on the pooled arms. INSUFFICIENT_SAMPLE (not a decision) otherwise.
 */
export function lookHasSample({ control, treatment, factor }: { control: SkewMoments; treatment: SkewMoments; factor?: number }): {
  status: StatsStatus
  ready: boolean
  skewness: number | null
  minUnits: number | null
} {
  const pooled = { n: control.n + treatment.n, sum: control.sum + treatment.sum, sumSquares: control.sumSquares + treatment.sumSquares, sumCubes: control.sumCubes + treatment.sumCubes }
  const s = skewnessFromMoments(pooled)
  // constant data has no skew problem; its test reports ZERO_VARIANCE itself
  if (s.status !== 'ok') return { status: s.status, ready: s.status === 'ZERO_VARIANCE', skewness: null, minUnits: null }
  const r = minSamplePerLook({ skewness: s.skewness!, ...(factor !== undefined ? { factor } : {}) })
  const ready = r.status === 'ok' && Math.min(control.n, treatment.n) >= r.minUnits!
  return { status: ready ? 'ok' : 'INSUFFICIENT_SAMPLE', ready, skewness: s.skewness, minUnits: r.minUnits }
}
