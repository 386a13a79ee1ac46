/**
 * One comparison (treatment vs control) of one metric under a chosen method — the single
 * entry point analyze(), guardrails and the simulations share, so every path runs the
 * same formulas. Tests are of effect − nullValue (nullValue ≠ 0 for non-inferiority margins).
 */
import type { Spending } from './alpha-spending.js'
import { armEstimate, cupedTheta, type ArmStats, type MetricType } from './arm-estimate.js'
import { confseqTau2 } from './confseq.js'
import { estimateEffect, type Lift } from './effect.js'
import { groupSequential } from './gst.js'
import { mixtureResult } from './msprt.js'
import { confidenceInterval, pValueFor, type Sided } from './sided.js'
import type { StatsStatus } from './status.js'
import { DEFAULT_TUNING_N } from './msprt-tau.js'

export type Method = 'welch' | 'msprt' | 'confseq' | 'gst'

export interface MethodConfig {
  method: Method
  alpha: number
  sided: Sided
  /** H0 value of the effect (e.g. a non-inferiority margin); default 0 */
  nullValue?: number
  /** mSPRT mixing variance on the effect's scale */
  msprt?: { tau2: number }
  confseq?: { tuningN: number }
  gst?: { informationFractions: number[]; look: number; spending: Spending }
}

export interface Comparison {
  status: StatsStatus
  effect: number | null
  se: number | null
  ci: [number, number] | null
  pValue: number | null
  /** group sequential z boundary at this look */
  boundary?: number | null
  significant: boolean
  controlMean: number | null
  treatmentMean: number | null
}

/**
 * Tests an estimate (effect, variance, df). Fixed-horizon 'welch' uses Student t with the
 * Satterthwaite df, or the normal when `normal` is set (proportions: the z-test).
 */
export function testEstimate({ effect, variance, df, nTotal, config, normal = false }: {
  effect: number
  variance: number
  df: number | null
  nTotal: number
  config: MethodConfig
  normal?: boolean
}): Omit<Comparison, 'controlMean' | 'treatmentMean'> {
  const { alpha, sided } = config
  const nullValue = config.nullValue ?? 0
  const se = Math.sqrt(variance)
  const shifted = effect - nullValue
  switch (config.method) {
    case 'welch': {
      const reference = normal || df === null ? { kind: 'normal' as const } : { kind: 't' as const, df }
      const pValue = pValueFor({ stat: shifted / se, sided, reference })
      return { status: 'ok', effect, se, pValue, ci: confidenceInterval({ estimate: effect, se, alpha, sided, reference }), significant: pValue <= alpha }
    }
    case 'msprt':
    case 'confseq': {
      const tau2 = config.method === 'msprt'
        ? config.msprt?.tau2 ?? NaN
        : confseqTau2({ variance, nTotal, tuningN: config.confseq?.tuningN ?? DEFAULT_TUNING_N, alpha })
      if (!(tau2 > 0) || !Number.isFinite(tau2)) return { status: 'INVALID_INPUT', effect, se, pValue: null, ci: null, significant: false }
      const r = mixtureResult({ effect: shifted, variance, tau2, alpha, sided })
      const ci: [number, number] = [r.ci![0] + nullValue, r.ci![1] + nullValue]
      return { status: 'ok', effect, se, pValue: r.pValue, ci, significant: r.significant }
    }
    case 'gst': {
      const g = config.gst
      if (!g) return { status: 'INVALID_INPUT', effect, se, pValue: null, ci: null, significant: false }
      const r = groupSequential({ effect, se, look: g.look, informationFractions: g.informationFractions, alpha, sided, spending: g.spending, nullValue })
      return { status: r.status, effect, se, pValue: r.pValue, ci: r.ci, boundary: r.boundary, significant: r.crossed }
    }
  }
}

/** Compare one treatment arm with control from raw sufficient statistics. */
export function compareArms({ control, treatment, metric, lift, cuped = false, config, thetaArms, theta }: {
  control: ArmStats
  treatment: ArmStats
  metric: MetricType
  lift: Lift
  /** apply CUPED (arms must carry covariate sums) */
  cuped?: boolean
  config: MethodConfig
  /** arms over which θ is pooled (default: these two) */
  thetaArms?: ArmStats[]
  /** fixed CUPED θ (e.g. agreed before the experiment) instead of the pooled estimate */
  theta?: number
}): Comparison {
  let adj: { theta: number; covariateMean: number } | undefined
  if (cuped) {
    const th = cupedTheta({ arms: thetaArms ?? [control, treatment], metric })
    if (th.status !== 'ok') return failed(th.status, null, null, null, null)
    adj = { theta: theta !== undefined && Number.isFinite(theta) ? theta : th.theta!, covariateMean: th.covariateMean! }
  }
  const c = armEstimate({ arm: control, metric, cuped: adj })
  const t = armEstimate({ arm: treatment, metric, cuped: adj })
  const e = estimateEffect({ control: c, treatment: t, lift })
  if (e.status !== 'ok') return failed(e.status, e.effect, e.variance === 0 ? 0 : null, e.controlMean, e.treatmentMean)
  const r = testEstimate({ effect: e.effect!, variance: e.variance!, df: e.df, nTotal: control.n + treatment.n, config, normal: metric === 'proportion' })
  // built field by field: this runs once per experiment × metric × variant on every evaluation
  const out: Comparison = {
    status: r.status, effect: r.effect, se: r.se, ci: r.ci, pValue: r.pValue, significant: r.significant,
    controlMean: e.controlMean, treatmentMean: e.treatmentMean,
  }
  if (r.boundary !== undefined) out.boundary = r.boundary
  return out
}

function failed(status: StatsStatus, effect: number | null, se: number | null, controlMean: number | null, treatmentMean: number | null): Comparison {
  return { status, effect, se, ci: null, pValue: null, significant: false, controlMean, treatmentMean }
}
