/**
 * The 2×2 interaction contrast of two experiments A and B over the units they share,
 * Δ = (x̄_tA·tB − x̄_tA·cB) − (x̄_cA·tB − x̄_cA·cB) (Statsig's interaction effect detection),
 * with an always-valid p-value and confidence sequence because the interference job looks
 * again at every interval.
 *
 * Variance: V = Σ s²_cell / n_cell (cells independent, unequal variances allowed). For the
 * saturated regression y ~ A*B this is exactly the squared HC2 standard error of the
 * interaction coefficient (every unit's leverage is 1/n_cell, so HC2's e²/(1−h) turns each
 * cell's residual sum into s²·(n−1)·n/(n−1)/n² = s²/n); classical OLS pools the four
 * variances and agrees only when they are equal (test/unit/stats/interference-ols.test.ts).
 *
 * Always-valid inference: the asymptotic confidence sequence of Waudby-Smith, Arbour,
 * Sinha, Kennedy & Ramdas (2023, "Time-uniform central limit theory and asymptotic
 * confidence sequences", Thm 2.2) in the tuning-sample-size form of confseq.ts — the normal
 * mixture of Howard et al. (2021) with τ² = ρ²·N·V, N the units in the four cells. The
 * p-value min(1, 1/Λ) at each look is valid under continuous monitoring (Ville's
 * inequality); its running minimum over looks is the always-valid p-value (Johari et al. 2017).
 */
import { mean, sampleVariance, validateMoments, type Moments } from './moments.js'
import { confseqTau2 } from './confseq.js'
import { mixtureResult } from './msprt.js'
import { DEFAULT_TUNING_N } from './msprt-tau.js'
import { validAlpha } from './sided.js'
import { worstStatus, type StatsStatus } from './status.js'

/** Four cells: first letter the unit's arm in A, second in B (t treatment, c control). */
export interface InteractionCells {
  tt: Moments
  tc: Moments
  ct: Moments
  cc: Moments
}

export interface SequentialInteraction {
  status: StatsStatus
  /** Δ on the metric's scale. */
  delta: number | null
  se: number | null
  /** Always-valid (1 − α) confidence sequence for Δ at this look. */
  ci: [number, number] | null
  /** Δ / x̄_cA·cB (the interaction as a share of the both-control mean). */
  relative: number | null
  /** Delta-method SE of the relative form (Δ and x̄_cc are correlated: Cov = Var(x̄_cc)). */
  relativeSe: number | null
  relativeCi: [number, number] | null
  /** min(1, 1/Λ) at this look; keep the running minimum across looks. */
  pValue: number | null
  /** |Δ|/SE: the size of the interaction in standard errors (the index on /metrics). */
  z: number | null
  units: number
}

export function sequentialInteraction({ cells, alpha = 0.05, tuningN = DEFAULT_TUNING_N }: {
  cells: InteractionCells
  alpha?: number
  tuningN?: number
}): SequentialInteraction {
  const list = [cells.tt, cells.tc, cells.ct, cells.cc]
  const units = list.reduce((a, m) => a + (Number.isFinite(m.n) ? m.n : 0), 0)
  const none = { delta: null, se: null, ci: null, relative: null, relativeSe: null, relativeCi: null, pValue: null, z: null, units }
  const paramsOk = validAlpha(alpha) && Number.isFinite(tuningN) && tuningN > 0
  const status = paramsOk ? worstStatus(...list.map(validateMoments)) : 'INVALID_INPUT'
  if (status !== 'ok') return { status, ...none }
  const [tt, tc, ct, cc] = list.map((m) => mean(m)!) as [number, number, number, number]
  const delta = tt - tc - (ct - cc)
  const cellVar = list.map((m) => sampleVariance(m)! / m.n)
  const variance = cellVar.reduce((a, b) => a + b, 0)
  if (!(variance > 0) || !Number.isFinite(variance)) return { status: 'ZERO_VARIANCE', ...none, delta, se: 0 }
  const tau2 = confseqTau2({ variance, nTotal: units, tuningN, alpha })
  const m = mixtureResult({ effect: delta, variance, tau2, alpha, sided: 'two' })
  let relative: number | null = null
  let relativeSe: number | null = null
  let relativeCi: [number, number] | null = null
  if (cc !== 0) {
    relative = delta / cc
    const vcc = cellVar[3]!
    // Var(Δ/μ) ≈ (V − 2r·Var(x̄_cc) + r²·Var(x̄_cc)) / μ², r = Δ/μ (delta method).
    const relVar = (variance - 2 * relative * vcc + relative * relative * vcc) / (cc * cc)
    if (relVar > 0 && Number.isFinite(relVar)) {
      relativeSe = Math.sqrt(relVar)
      const rel = mixtureResult({ effect: relative, variance: relVar, tau2: confseqTau2({ variance: relVar, nTotal: units, tuningN, alpha }), alpha, sided: 'two' })
      relativeCi = rel.ci
    }
  }
  return { status: 'ok', delta, se: m.se, ci: m.ci, relative, relativeSe, relativeCi, pValue: m.pValue, z: Math.abs(delta) / m.se!, units }
}
