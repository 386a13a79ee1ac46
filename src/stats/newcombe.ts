/**
 * Intervals for proportions that hold at 0% and 100%, where the Wald interval collapses:
 *   Wilson score interval (Wilson 1927): the p solving |p̂ − p| = z·√(p(1 − p)/n),
 *     centre (p̂ + z²/2n)/(1 + z²/n), half-width z·√(p̂(1 − p̂)/n + z²/4n²)/(1 + z²/n).
 *   Newcombe's hybrid score interval for p_T − p_C (Newcombe 1998, "Interval estimation for
 *     the difference between independent proportions", Stat Med 17:873, method 10), built
 *     from the two Wilson intervals (l, u):
 *     [d − √((p̂_T − l_T)² + (u_C − p̂_C)²),  d + √((u_T − p̂_T)² + (p̂_C − l_C)²)].
 * The test that goes with it is the pooled-variance score z (Fleiss et al. 2003 §2), whose
 * SE never comes from one arm alone. statsmodels' `confint_proportions_2indep(method='newcomb')`
 * and `test_proportions_2indep(method='score', correction=False)` are the references.
 */
import { normalQuantileUpper } from './normal.js'
import type { Counts } from './proportion.js'
import { pValueFor, validAlpha, type Sided } from './sided.js'
import { worstStatus, type StatsStatus } from './status.js'

/** Two-sided Wilson interval at level 1 − α (one-sided bounds: pass 2α). */
export function wilsonInterval({ successes, n, alpha }: Counts & { alpha: number }): [number, number] | null {
  if (!(n > 0) || !(successes >= 0 && successes <= n) || !validAlpha(alpha)) return null
  const z = normalQuantileUpper(alpha / 2)
  const p = successes / n
  const z2n = (z * z) / n
  const centre = (p + z2n / 2) / (1 + z2n)
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n)
  // at p̂ = 0 (or 1) the bound is exactly 0 (1); rounding must not push it outside [0, 1]
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === n ? 1 : Math.min(1, centre + half)]
}

export interface ProportionDifference {
  status: StatsStatus
  /** p̂_T − p̂_C */
  effect: number | null
  /** Newcombe hybrid score interval (one-sided: unbounded on one side) */
  ci: [number, number] | null
  /** pooled score statistic and its p-value */
  z: number | null
  pValue: number | null
  /** an arm is at 0% or 100%: a Wald interval or an unpooled SE would be degenerate */
  degenerate: boolean
}

/** True when either arm's rate is 0 or 1. */
export function proportionDegenerate({ control, treatment }: { control: Counts; treatment: Counts }): boolean {
  const edge = (c: Counts) => c.successes === 0 || c.successes === c.n
  return edge(control) || edge(treatment)
}

/**
 * Variance to test a difference in proportions with: the unpooled p̂(1 − p̂)/n sum, except
 * when an arm sits at 0% or 100%, where it takes the pooled p̄(1 − p̄)(1/n_C + 1/n_T) so the
 * standard error is not one arm's alone (143/67,707 vs 0/578: unpooled p = 5e-33, pooled 0.27).
 */
export function proportionTestVariance({ control, treatment }: { control: Counts; treatment: Counts }): number {
  const pc = control.successes / control.n
  const pt = treatment.successes / treatment.n
  if (proportionDegenerate({ control, treatment })) {
    const p = (control.successes + treatment.successes) / (control.n + treatment.n)
    return p * (1 - p) * (1 / control.n + 1 / treatment.n)
  }
  return (pc * (1 - pc)) / control.n + (pt * (1 - pt)) / treatment.n
}

const check = (c: Counts): StatsStatus =>
  ![c.n, c.successes].every(Number.isFinite) || c.n < 0 || c.successes < 0 || c.successes > c.n ? 'INVALID_INPUT' : c.n < 1 ? 'INSUFFICIENT_SAMPLE' : 'ok'

/** Difference of two independent proportions: Newcombe interval and pooled score test. */
export function proportionDifference({ control, treatment, alpha, sided = 'two' }: {
  control: Counts
  treatment: Counts
  alpha: number
  sided?: Sided
}): ProportionDifference {
  const status = validAlpha(alpha) ? worstStatus(check(control), check(treatment)) : 'INVALID_INPUT'
  const empty: ProportionDifference = { status, effect: null, ci: null, z: null, pValue: null, degenerate: false }
  if (status !== 'ok') return empty
  const pc = control.successes / control.n
  const pt = treatment.successes / treatment.n
  const effect = pt - pc
  const degenerate = proportionDegenerate({ control, treatment })
  const level = sided === 'two' ? alpha : 2 * alpha
  const [lt, ut] = wilsonInterval({ ...treatment, alpha: level })!
  const [lc, uc] = wilsonInterval({ ...control, alpha: level })!
  const lower = effect - Math.hypot(pt - lt, uc - pc)
  const upper = effect + Math.hypot(ut - pt, pc - lc)
  const ci: [number, number] = sided === 'two' ? [lower, upper] : sided === 'greater' ? [lower, Infinity] : [-Infinity, upper]
  const p = (control.successes + treatment.successes) / (control.n + treatment.n)
  const se = Math.sqrt(p * (1 - p) * (1 / control.n + 1 / treatment.n))
  if (!(se > 0)) return { status: 'ZERO_VARIANCE', effect, ci, z: null, pValue: null, degenerate }
  const z = effect / se
  return { status: 'ok', effect, ci, z, pValue: pValueFor({ stat: z, sided, reference: { kind: 'normal' } }), degenerate }
}
