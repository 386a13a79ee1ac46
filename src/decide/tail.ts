import type { GuardrailSpec } from '../domain/metric.js'
import { marginTypeOf } from '../domain/metric.js'
import { quantileCompare } from '../stats/quantile-compare.js'
import type { QuantileArmStats } from '../stats/quantile.js'
import type { Comparison } from './evidence.js'
import type { TestPlan } from './compare.js'

const finite = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? null : x)

/**
 * A tail-latency guardrail (a quantile metric, e.g. p99 latency): treatment's quantile against
 * control's, one-sided in the harmful direction, with the always-valid asymptotic confidence
 * sequence (stats/quantile-compare.ts: Deng, Knoblich & Lu 2018 variance with the cluster
 * correction; Waudby-Smith et al. 2023). N* counts events there, so the plan's tuning sample is
 * scaled by the events per unit seen so far. Below the minimum sample for the quantile the
 * status is INSUFFICIENT_SAMPLE and nothing is decided. `controlMean`/`treatmentMean` carry the
 * two quantiles, `effect` their difference, `ci` its interval.
 */
export function tailCompare(input: {
  metric: GuardrailSpec
  variant: string
  level: number
  control: QuantileArmStats | undefined
  treatment: QuantileArmStats | undefined
  alpha: number
  plan: TestPlan
}): Comparison {
  const { metric, control, treatment, alpha, plan } = input
  const base = {
    metric: metric.name,
    role: 'guardrail' as const,
    variant: input.variant,
    welchP: null,
    alpha,
    controlN: control?.units ?? 0,
    treatmentN: treatment?.units ?? 0,
    method: 'confseq-quantile',
    quantileLevel: input.level,
  }
  if (!control || !treatment || control.events === 0 || treatment.events === 0) {
    return { ...base, status: 'INSUFFICIENT_SAMPLE', controlMean: null, treatmentMean: null, effect: null, relativeEffect: null, sequentialP: null, ci: null, significant: false, harmful: false }
  }
  const up = metric.direction === 'decrease' // latency: larger is worse
  const eventsPerUnit = (control.events + treatment.events) / Math.max(1, control.units + treatment.units)
  const margin = marginTypeOf(metric) === 'absolute' ? metric.margin : metric.margin * Math.abs(control.quantile)
  const r = quantileCompare({
    control,
    treatment,
    level: input.level,
    config: { method: 'confseq', alpha, sided: up ? 'greater' : 'less', nullValue: up ? margin : -margin, confseq: { tuningN: Math.max(2, Math.round(plan.tuningN * eventsPerUnit)) } },
  })
  const ci: [number | null, number | null] | null = r.ci ? [finite(r.ci[0]), finite(r.ci[1])] : null
  return {
    ...base,
    status: r.status,
    controlMean: r.controlQuantile,
    treatmentMean: r.treatmentQuantile,
    effect: finite(r.effect),
    relativeEffect: r.effect !== null && r.controlQuantile ? r.effect / Math.abs(r.controlQuantile) : null,
    sequentialP: finite(r.pValue),
    ci,
    significant: r.significant,
    harmful: r.significant,
  }
}
