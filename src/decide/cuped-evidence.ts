/**
 * CUPED evidence from the arms' covariate sums (Deng, Xu, Kohavi & Walker 2013, "Improving the
 * sensitivity of online controlled experiments by utilizing pre-experiment data"): the joint θ
 * (stats/cuped-theta.ts, gbstats' convention), each arm's adjusted mean ȳ − θ(x̄ − x̄_pooled) and
 * variance, and the variance reduction 1 − Var_adj/Var_raw. Pure: the numbers come from SQL
 * (sql/queries/cuped-stats-batch.sql).
 */
import type { MetricType } from '../domain/metric.js'
import { armEstimate, type ArmStats } from '../stats/arm-estimate.js'
import { cupedThetaJoint } from '../stats/cuped-theta.js'
import type { CupedEvidence } from './evidence.js'

export interface CupedArm extends ArmStats {
  unitsWithCovariate: number
}

const reduction = (adjusted: number | null, raw: number | null) => (adjusted !== null && raw !== null && raw > 0 ? 1 - adjusted / raw : null)

export function cupedEvidence({ arms, type, control, covariate, exposure, prePeriodMs }: {
  /** by variant, control included */
  arms: Record<string, CupedArm>
  type: MetricType
  control: string
  covariate: string
  exposure: string | null
  prePeriodMs: number
}): CupedEvidence {
  const list = Object.values(arms)
  const { theta } = cupedThetaJoint({ arms: list })
  let n = 0
  let sx = 0
  for (const a of list) { n += a.n; sx += a.covariateSum ?? 0 }
  const metric = type === 'proportion' ? 'proportion' : 'mean'
  const byVariant: CupedEvidence['byVariant'] = {}
  for (const [variant, arm] of Object.entries(arms)) {
    const raw = armEstimate({ arm, metric })
    const adj = theta === null || n === 0 ? null : armEstimate({ arm, metric, cuped: { theta, covariateMean: sx / n } })
    const adjustedVariance = adj?.status === 'ok' ? adj.variance : null
    const rawVariance = raw.status === 'ok' ? raw.variance : null
    byVariant[variant] = {
      adjustedMean: adj?.status === 'ok' ? adj.estimate : null,
      adjustedVariance,
      rawVariance,
      varianceReduction: reduction(adjustedVariance, rawVariance),
      unitsWithCovariate: arm.unitsWithCovariate,
    }
  }
  const c = byVariant[control]
  const t = Object.entries(byVariant).find(([v]) => v !== control)?.[1]
  const sum = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || b === null || b === undefined ? null : a + b)
  return {
    covariate,
    exposure,
    prePeriodMs,
    theta,
    byVariant,
    varianceReduction: reduction(sum(c?.adjustedVariance, t?.adjustedVariance), sum(c?.rawVariance, t?.rawVariance)),
  }
}
