/**
 * Treatment-vs-control effect from two arm estimates.
 *   absolute: Δ = m_T − m_C,          Var = v_T + v_C
 *   relative: Δ = (m_T − m_C)/m̄_C,   Var = v_T/m̄_C² + m̄_T²·v_C/m̄_C⁴   (delta method for a
 *             ratio of independent means; m̄ are unadjusted means, m CUPED-adjusted ones)
 * Degrees of freedom by Welch–Satterthwaite on the arm variances.
 */
import type { ArmEstimate } from './arm-estimate.js'
import { worstStatus, type StatsStatus } from './status.js'

export type Lift = 'absolute' | 'relative'

export interface EffectEstimate {
  status: StatsStatus
  effect: number | null
  variance: number | null
  df: number | null
  controlMean: number | null
  treatmentMean: number | null
}

export function estimateEffect({ control, treatment, lift }: { control: ArmEstimate; treatment: ArmEstimate; lift: Lift }): EffectEstimate {
  const status = worstStatus(control.status, treatment.status)
  const controlMean = control.rawEstimate
  const treatmentMean = treatment.rawEstimate
  const base = { controlMean, treatmentMean }
  if (status !== 'ok' || control.estimate === null || treatment.estimate === null) {
    const effect = status === 'INSUFFICIENT_SAMPLE' && control.estimate !== null && treatment.estimate !== null && lift === 'absolute'
      ? treatment.estimate - control.estimate : null
    return { status, effect, variance: null, df: null, ...base }
  }
  const vC = control.variance!
  const vT = treatment.variance!
  const diff = treatment.estimate - control.estimate
  let effect = diff
  let vCs = vC
  let vTs = vT
  if (lift === 'relative') {
    const mC = controlMean!
    const mT = treatmentMean!
    if (!(Math.abs(mC) > 0)) return { status: 'ZERO_CONTROL_MEAN', effect: null, variance: null, df: null, ...base }
    effect = diff / mC
    vTs = vT / (mC * mC)
    vCs = (mT * mT * vC) / (mC * mC * mC * mC)
  }
  const variance = vCs + vTs
  if (!(variance > 0) || !Number.isFinite(variance)) {
    return { status: 'ZERO_VARIANCE', effect: Number.isFinite(effect) ? effect : null, variance: variance === 0 ? 0 : null, df: null, ...base }
  }
  const df = (variance * variance) / ((vTs * vTs) / (treatment.n - 1) + (vCs * vCs) / (control.n - 1))
  return { status: 'ok', effect, variance, df, ...base }
}
