/**
 * CUPED θ conventions (Deng, Xu, Kohavi & Walker 2013, "Improving the sensitivity of online
 * controlled experiments by utilizing pre-experiment data", §3: θ = cov(Y, X)/var(X)).
 *   within arms (Runway's default, cupedTheta in arm-estimate.ts): Σ_k (n_k − 1)·cov_k(Y, X) /
 *     Σ_k (n_k − 1)·var_k(X) — the OLS slope with one intercept per arm, so a treatment effect
 *     on Y cannot leak into θ;
 *   joint sample (GrowthBook gbstats' `compute_theta`): cov(Y, X)/var(X) over the pooled units
 *     with one intercept — the OLS slope of Y on X ignoring arms. Under H0 both estimate the
 *     same θ; with a real effect and an X imbalance the joint θ absorbs part of the effect.
 * Either θ, given to compareArms({ theta }), yields gbstats' regression-adjusted result when
 * it is the joint one (test/unit/stats/cuped-ratio-agreement.test.ts).
 */
import type { ArmStats } from './arm-estimate.js'
import type { StatsStatus } from './status.js'

/** Joint-sample θ from the arms' sums (mean metrics): the single-intercept OLS slope. */
export function cupedThetaJoint({ arms }: { arms: ArmStats[] }): { status: StatsStatus; theta: number | null } {
  let n = 0, sy = 0, sx = 0, sxx = 0, sxy = 0
  for (const a of arms) {
    const vals = [a.n, a.sum, a.covariateSum, a.covariateSumSquares, a.covariateCrossSum]
    if (!vals.every((v) => typeof v === 'number' && Number.isFinite(v)) || a.n < 0) return { status: 'INVALID_INPUT', theta: null }
    n += a.n; sy += a.sum; sx += a.covariateSum!; sxx += a.covariateSumSquares!; sxy += a.covariateCrossSum!
  }
  if (n < 3) return { status: 'INSUFFICIENT_SAMPLE', theta: null }
  const varX = sxx - (sx * sx) / n
  const covXY = sxy - (sx * sy) / n
  // no covariate variance: no adjustment (gbstats falls back to the unadjusted test the same way)
  if (!(varX > 1e-12 * Math.max(sxx, Number.MIN_VALUE))) return { status: 'ok', theta: 0 }
  return { status: 'ok', theta: covXY / varX }
}
