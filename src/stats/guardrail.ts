/**
 * Guardrail metrics: one-sided harm tests with a non-inferiority margin (the tests that
 * trigger rollback). With harm measured in the metric's bad direction and margin m ≥ 0:
 *   harm test        H0: harm ≤ m   vs H1: harm > m   → significant ⇒ rollback
 *   non-inferiority  H0: harm ≥ m   vs H1: harm < m   → significant ⇒ safe to ramp
 * (e.g. Wellek, Testing Statistical Hypotheses of Equivalence and Noninferiority, ch. 2).
 * Any method works; sequential methods keep the rollback decision valid under monitoring.
 */
import type { ArmStats, MetricType } from './arm-estimate.js'
import { compareArms, type Comparison, type MethodConfig } from './compare.js'
import type { Lift } from './effect.js'

export type BadDirection = 'increase' | 'decrease'

export interface GuardrailResult {
  harm: Comparison
  nonInferiority: Comparison
  rollback: boolean
  nonInferior: boolean
}

export function guardrail({ control, treatment, metric, lift = 'relative', bad, margin = 0, config, cuped = false }: {
  control: ArmStats
  treatment: ArmStats
  metric: MetricType
  lift?: Lift
  /** which direction of the metric is harmful */
  bad: BadDirection
  /** tolerated harm on the lift's scale (≥ 0) */
  margin?: number
  config: Omit<MethodConfig, 'sided' | 'nullValue'>
  cuped?: boolean
}): GuardrailResult {
  const m = Number.isFinite(margin) && margin >= 0 ? margin : NaN
  const up = bad === 'increase'
  const harm = compareArms({ control, treatment, metric, lift, cuped, config: { ...config, sided: up ? 'greater' : 'less', nullValue: up ? m : -m } })
  const nonInferiority = compareArms({ control, treatment, metric, lift, cuped, config: { ...config, sided: up ? 'less' : 'greater', nullValue: up ? m : -m } })
  const valid = !Number.isNaN(m)
  const invalid = (c: Comparison): Comparison => ({ ...c, status: 'INVALID_INPUT', pValue: null, ci: null, significant: false })
  return {
    harm: valid ? harm : invalid(harm),
    nonInferiority: valid ? nonInferiority : invalid(nonInferiority),
    rollback: valid && harm.status === 'ok' && harm.significant,
    nonInferior: valid && nonInferiority.status === 'ok' && nonInferiority.significant,
  }
}
