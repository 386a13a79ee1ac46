import type { GuardrailSpec, MetricSpec } from '../domain/experiment.js'
import type { Moments } from '../stats/moments.js'
import { defaultTau2, msprt } from '../stats/msprt.js'
import { welch } from '../stats/welch.js'
import type { Comparison } from './evidence.js'

export interface CompareInput {
  metric: MetricSpec | GuardrailSpec
  role: Comparison['role']
  variant: string
  control: Moments
  treatment: Moments
  alpha: number
  mde: number
  tau?: number
}

const mean = (m: Moments) => (m.n > 0 ? m.sum / m.n : null)
const variance = (m: Moments) => (m.n > 1 ? Math.max(0, (m.sumSquares - (m.sum * m.sum) / m.n) / (m.n - 1)) : null)

/**
 * One treatment against control on one metric: Welch (fixed-horizon, reported)
 * and the always-valid mSPRT (what decisions use, since results are looked at
 * on every evaluation). Harm is the always-valid interval lying wholly on the
 * bad side of the non-inferiority margin.
 */
export function compare(input: CompareInput): Comparison {
  const { control, treatment, alpha } = input
  const controlMean = mean(control)
  const w = welch({ control, treatment, alpha })
  // τ is scaled by the pooled arms (≈ the control under the null), so a control arm
  // with no events at all (0% errors) still gives the test a usable prior scale.
  const pooled = { n: control.n + treatment.n, sum: control.sum + treatment.sum, sumSquares: control.sumSquares + treatment.sumSquares }
  const tau2 = input.tau !== undefined ? input.tau * input.tau : (defaultTau2({ mde: input.mde, controlMean: mean(pooled) ?? 0, variance: variance(pooled) ?? 0 }).tau2 ?? 1e-12)
  const s = msprt({ control, treatment, alpha, tau2 })
  const margin = 'margin' in input.metric ? input.metric.margin * Math.abs(controlMean ?? 0) : 0
  let harmful = false
  if (input.role === 'guardrail' && s.status === 'ok' && s.ci) {
    harmful = input.metric.direction === 'decrease' ? s.ci[0] > margin : s.ci[1] < -margin
  }
  return {
    metric: input.metric.name,
    role: input.role,
    variant: input.variant,
    status: s.status,
    controlMean,
    treatmentMean: mean(treatment),
    effect: s.effect,
    relativeEffect: s.effect !== null && controlMean ? s.effect / Math.abs(controlMean) : null,
    welchP: w.pValue,
    sequentialP: s.pValue,
    ci: s.ci,
    alpha,
    significant: s.significant,
    harmful,
    controlN: control.n,
    treatmentN: treatment.n,
  }
}
