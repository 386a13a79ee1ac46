import { mean, sampleVariance, validateMoments, type Moments } from './moments.js'
import { confidenceInterval, pValueFor, validAlpha, type Sided } from './sided.js'
import { worstStatus, type StatsStatus } from './status.js'

export interface WelchResult {
  status: StatsStatus
  /** mean_T − mean_C */
  effect: number | null
  se: number | null
  /** Welch–Satterthwaite degrees of freedom */
  df: number | null
  t: number | null
  pValue: number | null
  ci: [number, number] | null
  controlMean: number | null
  treatmentMean: number | null
}

/**
 * Welch's unequal-variance t-test (Welch 1947) from sufficient statistics:
 * t = (x̄_T − x̄_C)/√(s_T²/n_T + s_C²/n_C), with Welch–Satterthwaite degrees of freedom
 * ν = (v_T + v_C)² / (v_T²/(n_T−1) + v_C²/(n_C−1)), v = s²/n. p-values come from the t tail.
 */
export function welch({ control, treatment, alpha, sided = 'two' }: {
  control: Moments
  treatment: Moments
  alpha: number
  sided?: Sided
}): WelchResult {
  const inputStatus = worstStatus(validateMoments(control), validateMoments(treatment))
  const status = validAlpha(alpha) ? inputStatus : 'INVALID_INPUT'
  const empty: WelchResult = {
    status, effect: null, se: null, df: null, t: null, pValue: null, ci: null, controlMean: null, treatmentMean: null,
  }
  if (status === 'INVALID_INPUT') return empty
  const controlMean = mean(control)
  const treatmentMean = mean(treatment)
  const effect = controlMean !== null && treatmentMean !== null ? treatmentMean - controlMean : null
  if (status !== 'ok') return { ...empty, controlMean, treatmentMean, effect }

  const vC = (sampleVariance(control) ?? 0) / control.n
  const vT = (sampleVariance(treatment) ?? 0) / treatment.n
  const variance = vC + vT
  const se = Math.sqrt(variance)
  if (!(se > 0) || effect === null || !Number.isFinite(se)) {
    return { ...empty, status: 'ZERO_VARIANCE', controlMean, treatmentMean, effect, se: se === 0 ? 0 : null }
  }
  const df = (variance * variance) / ((vT * vT) / (treatment.n - 1) + (vC * vC) / (control.n - 1))
  const t = effect / se
  const reference = { kind: 't' as const, df }
  return {
    status: 'ok',
    effect,
    se,
    df,
    t,
    pValue: pValueFor({ stat: t, sided, reference }),
    ci: confidenceInterval({ estimate: effect, se, alpha, sided, reference }),
    controlMean,
    treatmentMean,
  }
}
