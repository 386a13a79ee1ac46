/**
 * Treatment vs control at one quantile level (tail latency: p50/p95/p99).
 *   absolute: Δ = Q̂_T − Q̂_C,          Var = V_T + V_C
 *   relative: Δ = (Q̂_T − Q̂_C)/Q̂_C,   Var = V_T/Q̂_C² + Q̂_T²·V_C/Q̂_C⁴  (delta method)
 * with V from quantileEstimate() (Deng, Knoblich & Lu 2018, outer interval with the
 * cluster correction). The estimate is asymptotically normal (Bahadur representation: a
 * sample quantile is asymptotically a mean of influence terms), so it is tested by the same
 * engine as means (testEstimate): 'welch' is the fixed-horizon z-test, 'confseq' the
 * asymptotic confidence sequence of Waudby-Smith et al. 2023 ("Time-uniform central limit
 * theory", Thm 2.2), always valid under continuous monitoring, 'msprt' the mixture SPRT.
 * For 'confseq' N counts events (V ∝ 1/events), so `tuningN` is the planned total of events.
 * Below the minimum sample for the quantile the result is INSUFFICIENT_SAMPLE, never a decision.
 */
import { testEstimate, type MethodConfig } from './compare.js'
import type { Lift } from './effect.js'
import { quantileEstimate, type QuantileArmStats } from './quantile.js'
import { worstStatus, type StatsStatus } from './status.js'

export interface QuantileComparison {
  status: StatsStatus
  level: number
  effect: number | null
  se: number | null
  ci: [number, number] | null
  pValue: number | null
  significant: boolean
  controlQuantile: number | null
  treatmentQuantile: number | null
  /** per-arm design effects (1 = independent events) */
  designEffect: { control: number | null; treatment: number | null }
}

export function quantileCompare({ control, treatment, level, lift = 'absolute', config, minTailEvents }: {
  control: QuantileArmStats
  treatment: QuantileArmStats
  /** ν in (0, 1) */
  level: number
  lift?: Lift
  config: MethodConfig
  /** fewest events beyond the quantile per arm (default QUANTILE_MIN_TAIL_EVENTS) */
  minTailEvents?: number
}): QuantileComparison {
  const opt = minTailEvents !== undefined ? { minTailEvents } : {}
  const c = quantileEstimate({ arm: control, level, ...opt })
  const t = quantileEstimate({ arm: treatment, level, ...opt })
  const base: QuantileComparison = {
    status: worstStatus(c.status, t.status), level, effect: null, se: null, ci: null, pValue: null, significant: false,
    controlQuantile: c.estimate, treatmentQuantile: t.estimate, designEffect: { control: c.designEffect, treatment: t.designEffect },
  }
  if (base.status !== 'ok') {
    if (c.estimate !== null && t.estimate !== null && lift === 'absolute') base.effect = t.estimate - c.estimate
    return base
  }
  const qc = c.estimate!
  const qt = t.estimate!
  let effect = qt - qc
  let variance = c.variance! + t.variance!
  if (lift === 'relative') {
    if (!(Math.abs(qc) > 0)) return { ...base, status: 'ZERO_CONTROL_MEAN' }
    effect = (qt - qc) / qc
    variance = t.variance! / (qc * qc) + (qt * qt * c.variance!) / (qc * qc * qc * qc)
  }
  const r = testEstimate({ effect, variance, df: null, nTotal: c.events + t.events, config, normal: true })
  return { ...base, status: r.status, effect: r.effect, se: r.se, ci: r.ci, pValue: r.pValue, significant: r.significant }
}
