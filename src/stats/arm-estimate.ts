/**
 * Per-arm point estimates and their variances for the three metric types, optionally
 * CUPED-adjusted: the building block every comparison (fixed or sequential) starts from.
 *   mean:       x̄, s²/n
 *   proportion: p̂ = successes/n, p̂(1 − p̂)/n (the binomial variance the z-test uses)
 *   ratio:      R = ΣY/ΣD, delta method Var(R) ≈ (s_Y² − 2R·s_YD + R²·s_D²)/(n·D̄²)
 *               (Deng, Knoblich & Lu 2018, "Applying the delta method in metric analytics")
 * CUPED (Deng, Xu, Kohavi & Walker 2013): Ŷ_adj = Ŷ − θ(X̄ − X̄_pooled) with the per-unit
 * (linearized, for ratios) variance s_Y² − 2θ·s_YX + θ²·s_X²; θ comes from cupedTheta().
 */
import type { StatsStatus } from './status.js'

/** Sufficient statistics of one arm: the columns the warehouse query returns. */
export interface ArmStats {
  n: number
  /** Σy (for proportions: number of successes) */
  sum: number
  /** Σy² (ignored for proportions, where y² = y) */
  sumSquares: number
  /** ratio metrics: ΣD, ΣD², ΣY·D */
  denominatorSum?: number
  denominatorSumSquares?: number
  crossSum?: number
  /** CUPED: pre-period covariate ΣX, ΣX², ΣY·X */
  covariateSum?: number
  covariateSumSquares?: number
  covariateCrossSum?: number
  /** CUPED on a ratio metric also needs ΣD·X */
  denominatorCovariateCrossSum?: number
}

export type MetricType = 'mean' | 'proportion' | 'ratio'

export interface ArmEstimate {
  status: StatsStatus
  n: number
  /** Point estimate (CUPED-adjusted when θ was given). */
  estimate: number | null
  /** Unadjusted point estimate (the denominator of a relative lift). */
  rawEstimate: number | null
  /** Variance of the point estimate. */
  variance: number | null
}

/** Sample covariance (ΣAB − ΣA·ΣB/n)/(n − 1). */
export function covarianceFromSums(n: number, sumA: number, sumB: number, sumAB: number): number {
  return (sumAB - (sumA * sumB) / n) / (n - 1)
}

/** Within-arm per-unit moments of the metric (linearized for ratios) needed by CUPED. */
interface UnitMoments {
  mean: number
  variance: number
  /** covariance of the (linearized) metric with the covariate, when covariates are present */
  covX?: number
  varX?: number
  meanX?: number
}

const isNum = (x: number | undefined): x is number => typeof x === 'number' && Number.isFinite(x)

function unitMoments(arm: ArmStats, metric: MetricType): { status: StatsStatus; m?: UnitMoments } {
  const { n, sum, sumSquares } = arm
  if (!Number.isFinite(n) || !Number.isFinite(sum) || !Number.isFinite(sumSquares) || n < 0) return { status: 'INVALID_INPUT' }
  if (metric === 'proportion' ? sum < 0 || sum > n : sumSquares < 0) return { status: 'INVALID_INPUT' }
  if (n < 2) return { status: 'INSUFFICIENT_SAMPLE' }
  const hasCov = arm.covariateSum !== undefined
  let covX: number | undefined
  let varX: number | undefined
  let meanX: number | undefined
  if (hasCov) {
    if (!isNum(arm.covariateSum) || !isNum(arm.covariateSumSquares) || !isNum(arm.covariateCrossSum)) return { status: 'INVALID_INPUT' }
    meanX = arm.covariateSum / n
    varX = Math.max(0, covarianceFromSums(n, arm.covariateSum, arm.covariateSum, arm.covariateSumSquares))
  }
  if (metric === 'ratio') {
    const { denominatorSum: d, denominatorSumSquares: dd, crossSum: yd } = arm
    if (!isNum(d) || !isNum(dd) || !isNum(yd) || dd < 0) return { status: 'INVALID_INPUT' }
    if (d === 0) return { status: 'ZERO_DENOMINATOR' }
    const r = sum / d
    const meanD = d / n
    const vY = covarianceFromSums(n, sum, sum, sumSquares)
    const vD = covarianceFromSums(n, d, d, dd)
    const cYD = covarianceFromSums(n, sum, d, yd)
    // Linearization L = (Y − R·D)/D̄: Var(R) = Var(L)/n.
    const variance = Math.max(0, (vY - 2 * r * cYD + r * r * vD) / (meanD * meanD))
    if (hasCov) {
      if (!isNum(arm.denominatorCovariateCrossSum)) return { status: 'INVALID_INPUT' }
      const cYX = covarianceFromSums(n, sum, arm.covariateSum!, arm.covariateCrossSum!)
      const cDX = covarianceFromSums(n, d, arm.covariateSum!, arm.denominatorCovariateCrossSum)
      covX = (cYX - r * cDX) / meanD
    }
    return { status: 'ok', m: { mean: r, variance, covX, varX, meanX } }
  }
  const mean = sum / n
  const variance = metric === 'proportion' ? mean * (1 - mean) : Math.max(0, covarianceFromSums(n, sum, sum, sumSquares))
  if (metric !== 'proportion' && n * sumSquares < sum * sum * (1 - 1e-9)) return { status: 'INVALID_INPUT' }
  if (hasCov) covX = covarianceFromSums(n, sum, arm.covariateSum!, arm.covariateCrossSum!)
  return { status: 'ok', m: { mean, variance, covX, varX, meanX } }
}

/**
 * CUPED θ pooled across arms: Σ_k n_k·cov_k(Y, X) / Σ_k n_k·var_k(X) from within-arm
 * moments, so a treatment effect on Y cannot leak into θ. Returns 0 (no adjustment) when
 * the covariate has no variance.
 */
export function cupedTheta({ arms, metric }: { arms: ArmStats[]; metric: MetricType }): {
  status: StatsStatus
  theta: number | null
  covariateMean: number | null
} {
  let num = 0
  let den = 0
  let sumX = 0
  let n = 0
  for (const arm of arms) {
    const u = unitMoments(arm, metric)
    if (u.status !== 'ok' || !u.m) return { status: u.status, theta: null, covariateMean: null }
    if (u.m.covX === undefined || u.m.varX === undefined) return { status: 'INVALID_INPUT', theta: null, covariateMean: null }
    num += (arm.n - 1) * u.m.covX
    den += (arm.n - 1) * u.m.varX
    sumX += arm.covariateSum!
    n += arm.n
  }
  return { status: 'ok', theta: den > 0 ? num / den : 0, covariateMean: sumX / n }
}

/** Point estimate and variance for one arm; pass θ and the pooled covariate mean for CUPED. */
export function armEstimate({ arm, metric, cuped }: {
  arm: ArmStats
  metric: MetricType
  cuped?: { theta: number; covariateMean: number }
}): ArmEstimate {
  const u = unitMoments(arm, metric)
  const n = arm.n
  if (u.status !== 'ok' || !u.m) {
    const raw = u.status === 'INSUFFICIENT_SAMPLE' && n > 0 ? arm.sum / n : null
    return { status: u.status, n, estimate: raw, rawEstimate: raw, variance: null }
  }
  const { mean, variance } = u.m
  if (!cuped) return { status: 'ok', n, estimate: mean, rawEstimate: mean, variance: variance / n }
  const { theta, covariateMean } = cuped
  if (u.m.covX === undefined || u.m.varX === undefined || u.m.meanX === undefined) {
    return { status: 'INVALID_INPUT', n, estimate: null, rawEstimate: mean, variance: null }
  }
  const adjusted = mean - theta * (u.m.meanX - covariateMean)
  const unitVar = Math.max(0, variance - 2 * theta * u.m.covX + theta * theta * u.m.varX)
  return { status: 'ok', n, estimate: adjusted, rawEstimate: mean, variance: unitVar / n }
}
