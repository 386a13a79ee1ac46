/**
 * Two-proportion z-test (e.g. Fleiss, Levin & Paik 2003 §2): the statistic uses the pooled
 * proportion under H0, z = (p̂_T − p̂_C)/√(p̄(1−p̄)(1/n_T + 1/n_C)); the confidence interval
 * uses the unpooled (Wald) standard error √(p̂_T(1−p̂_T)/n_T + p̂_C(1−p̂_C)/n_C).
 * The Wald interval collapses when an arm is at 0% or 100% (its SE is then one arm's alone):
 * `degenerate` flags that case and `newcombeCi` (Newcombe 1998 hybrid score, see newcombe.ts)
 * is the interval to report there.
 */
import { proportionDegenerate, proportionDifference } from './newcombe.js'
import { confidenceInterval, pValueFor, validAlpha, type Sided } from './sided.js'
import { worstStatus, type StatsStatus } from './status.js'

export interface Counts {
  n: number
  /** number of successes */
  successes: number
}

export interface ProportionTestResult {
  status: StatsStatus
  effect: number | null
  /** unpooled standard error (CI) */
  se: number | null
  /** pooled standard error (test statistic) */
  pooledSe: number | null
  z: number | null
  pValue: number | null
  ci: [number, number] | null
  controlRate: number | null
  treatmentRate: number | null
  /** an arm at 0% or 100% */
  degenerate: boolean
  /** Newcombe hybrid score interval, valid at 0% / 100% */
  newcombeCi: [number, number] | null
}

function checkCounts(c: Counts): StatsStatus {
  if (!Number.isFinite(c.n) || !Number.isFinite(c.successes) || c.n < 0 || c.successes < 0 || c.successes > c.n) return 'INVALID_INPUT'
  return c.n < 2 ? 'INSUFFICIENT_SAMPLE' : 'ok'
}

export function proportionZTest({ control, treatment, alpha, sided = 'two' }: {
  control: Counts
  treatment: Counts
  alpha: number
  sided?: Sided
}): ProportionTestResult {
  let status = worstStatus(checkCounts(control), checkCounts(treatment))
  if (!validAlpha(alpha)) status = 'INVALID_INPUT'
  const empty: ProportionTestResult = { status, effect: null, se: null, pooledSe: null, z: null, pValue: null, ci: null, controlRate: null, treatmentRate: null, degenerate: false, newcombeCi: null }
  if (status === 'INVALID_INPUT') return empty
  const controlRate = control.n > 0 ? control.successes / control.n : null
  const treatmentRate = treatment.n > 0 ? treatment.successes / treatment.n : null
  const effect = controlRate !== null && treatmentRate !== null ? treatmentRate - controlRate : null
  if (status !== 'ok' || effect === null) return { ...empty, controlRate, treatmentRate, effect }
  const degenerate = proportionDegenerate({ control, treatment })
  const newcombeCi = proportionDifference({ control, treatment, alpha, sided }).ci
  const pooled = (control.successes + treatment.successes) / (control.n + treatment.n)
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n))
  const se = Math.sqrt((controlRate! * (1 - controlRate!)) / control.n + (treatmentRate! * (1 - treatmentRate!)) / treatment.n)
  if (!(pooledSe > 0)) return { ...empty, status: 'ZERO_VARIANCE', controlRate, treatmentRate, effect, se, pooledSe, degenerate, newcombeCi }
  const z = effect / pooledSe
  const reference = { kind: 'normal' as const }
  return {
    status: 'ok', effect, se, pooledSe, z,
    pValue: pValueFor({ stat: z, sided, reference }),
    // both rates at 0 or 1 leave the unpooled SE at 0: the interval collapses to the point
    ci: confidenceInterval({ estimate: effect, se, alpha, sided, reference }),
    controlRate, treatmentRate, degenerate, newcombeCi,
  }
}
