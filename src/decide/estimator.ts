import type { ArmStats } from '../stats/arm-estimate.js'
import { compareArms } from '../stats/compare.js'
import type { Moments } from '../stats/moments.js'
import type { MetricMoments } from './evidence.js'

/**
 * A metric whose test is not on the per-unit mean of `byVariant` (issue 14 item 7):
 * - `ratio`: Σnumerator / Σdenominator per arm with the delta-method variance (Deng, Knoblich &
 *   Lu 2018; stats/arm-estimate.ts), from the arms' ΣY, ΣD, ΣY², ΣD², ΣY·D;
 * - `cuped`: the regression-adjusted mean ȳ − θ(x̄ − x̄_pooled) (Deng, Xu, Kohavi & Walker 2013)
 *   with the evidence's joint θ over every arm (stats/cuped-theta.ts cupedThetaJoint, as gbstats).
 * Pure.
 */
export interface Estimator {
  kind: 'ratio' | 'cuped'
  control: ArmStats
  treatment: ArmStats
  /** CUPED: θ (null: pooled from `thetaArms`) and the arms it pools the covariate mean over */
  theta?: number | null
  thetaArms?: ArmStats[]
  /** CUPED: 1 − Var_adj/Var_raw of this treatment − control difference */
  varianceReduction?: number | null
}

const EMPTY_ARM: ArmStats = { n: 0, sum: 0, sumSquares: 0 }

/** The estimator of one treatment of a metric's evidence, or null for a plain mean (or no arms). */
export function estimatorOf(evidence: MetricMoments | undefined, control: string, variant: string): Estimator | null {
  if (!evidence?.arms) return null
  const c = evidence.arms[control] ?? EMPTY_ARM
  const t = evidence.arms[variant] ?? EMPTY_ARM
  if (evidence.type === 'ratio') return { kind: 'ratio', control: c, treatment: t }
  if (!evidence.cuped) return null
  const bc = evidence.cuped.byVariant[control]
  const bt = evidence.cuped.byVariant[variant]
  const adjusted = (bc?.adjustedVariance ?? NaN) + (bt?.adjustedVariance ?? NaN)
  const raw = (bc?.rawVariance ?? NaN) + (bt?.rawVariance ?? NaN)
  return {
    kind: 'cuped',
    control: c,
    treatment: t,
    theta: evidence.cuped.theta,
    thetaArms: Object.values(evidence.arms),
    varianceReduction: Number.isFinite(adjusted) && raw > 0 ? 1 - adjusted / raw : null,
  }
}

/** compareArms / guardrail arguments for the estimator. */
export function estimatorArgs(e: Estimator): { control: ArmStats; treatment: ArmStats; metric: 'ratio' | 'mean'; cuped: boolean; thetaArms?: ArmStats[]; theta?: number } {
  return {
    control: e.control,
    treatment: e.treatment,
    metric: e.kind === 'ratio' ? 'ratio' : 'mean',
    cuped: e.kind === 'cuped',
    ...(e.thetaArms ? { thetaArms: e.thetaArms } : {}),
    ...(e.theta !== null && e.theta !== undefined && Number.isFinite(e.theta) ? { theta: e.theta } : {}),
  }
}

/**
 * Moments on a ratio's own scale for the rules that read a mean and a per-unit variance (τ, a
 * relative margin, the relative lift): n, the arm's ratio as its mean, and the delta-method
 * per-unit variance σ² recovered from the difference's variance V = σ²(1/n_C + 1/n_T). Null while
 * either arm has no estimate.
 */
export function ratioScaleMoments(e: Estimator, alpha: number): { control: Moments; treatment: Moments } | null {
  const probe = compareArms({ ...estimatorArgs(e), lift: 'absolute', config: { method: 'welch', alpha, sided: 'two' } })
  const nC = e.control.n
  const nT = e.treatment.n
  if (probe.se === null || probe.controlMean === null || probe.treatmentMean === null || nC < 2 || nT < 2) return null
  const s2 = (probe.se * probe.se) / (1 / nC + 1 / nT)
  const at = (n: number, mean: number): Moments => ({ n, sum: n * mean, sumSquares: (n - 1) * s2 + n * mean * mean })
  return { control: at(nC, probe.controlMean), treatment: at(nT, probe.treatmentMean) }
}
