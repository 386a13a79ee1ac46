import { mean, sampleVariance, validateMoments, type Moments } from './moments.js'
import { logMixtureOneSided, logMixtureTwoSided, oneSidedRadius, twoSidedRadius } from './normal-mixture.js'
import type { Sided } from './sided.js'
import { validAlpha } from './sided.js'
import { worstStatus, type StatsStatus } from './status.js'

export interface MsprtResult {
  status: StatsStatus
  /** mean_T − mean_C */
  effect: number | null
  se: number | null
  tau2: number
  /** ln Λ at this look */
  logLikelihoodRatio: number | null
  /** min(1, 1/Λ) at this look; the always-valid p-value is the running minimum over looks. */
  pValue: number | null
  /** Always-valid confidence sequence at this look (intersect across looks for the running set). */
  ci: [number, number] | null
  significant: boolean
}

/**
 * Mixture sequential probability ratio test for a difference in means (Johari, Pekelis &
 * Walsh 2017/2022), normal mixture θ ~ N(0, τ²) with plug-in variance V = s_T²/n_T + s_C²/n_C.
 * Two-sided: Λ = √(V/(V+τ²))·exp(τ²θ̂²/(2V(V+τ²))). One-sided ('greater' / 'less'): the
 * half-normal mixture over the alternative's side (see normal-mixture.ts), which keeps
 * the composite null θ ≤ 0 (resp. ≥ 0) valid rather than spending α/2 on a side no one acts on.
 * p = min(1, 1/Λ); the test rejects once p ≤ α.
 */
export function msprt({ control, treatment, alpha, tau2, sided = 'two' }: {
  control: Moments
  treatment: Moments
  alpha: number
  tau2: number
  sided?: Sided
}): MsprtResult {
  const validParams = validAlpha(alpha) && Number.isFinite(tau2) && tau2 > 0
  const status = validParams ? worstStatus(validateMoments(control), validateMoments(treatment)) : 'INVALID_INPUT'
  const empty: MsprtResult = {
    status, effect: null, se: null, tau2, logLikelihoodRatio: null, pValue: null, ci: null, significant: false,
  }
  const d = welchDifference({ control, treatment, empty })
  if ('status' in d) return d
  return { ...mixtureResult({ effect: d.effect, variance: d.variance, tau2, alpha, sided }), tau2 }
}

/**
 * The difference of means and its unpooled (Welch) plug-in variance V = s_T²/n_T + s_C²/n_C,
 * or the result to return when there is none: `empty` (whose status is the moments' status)
 * with the effect where it exists, ZERO_VARIANCE when V is 0 or not finite. Shared by the
 * mSPRT and the confidence sequence, which differ only in how τ² is chosen.
 */
export function welchDifference({ control, treatment, empty }: {
  control: Moments
  treatment: Moments
  empty: MsprtResult
}): { effect: number; variance: number } | MsprtResult {
  if (empty.status === 'INVALID_INPUT') return empty
  const mc = mean(control)
  const mt = mean(treatment)
  const effect = mc !== null && mt !== null ? mt - mc : null
  if (empty.status !== 'ok' || effect === null) return { ...empty, effect }
  const variance = (sampleVariance(control) ?? 0) / control.n + (sampleVariance(treatment) ?? 0) / treatment.n
  if (!(variance > 0) || !Number.isFinite(variance)) return { ...empty, status: 'ZERO_VARIANCE', effect, se: variance === 0 ? 0 : null }
  return { effect, variance }
}

/**
 * The mixture SPRT on an already formed estimate (effect, V): shared by msprt(), the
 * proportion / ratio / CUPED variants and the asymptotic confidence sequence.
 */
export function mixtureResult({ effect, variance, tau2, alpha, sided }: {
  effect: number
  variance: number
  tau2: number
  alpha: number
  sided: Sided
}): Omit<MsprtResult, 'tau2'> {
  const se = Math.sqrt(variance)
  let logLr: number
  let ci: [number, number]
  if (sided === 'two') {
    logLr = logMixtureTwoSided({ delta: effect, variance, tau2 })
    const r = twoSidedRadius({ variance, tau2, alpha })
    ci = [effect - r, effect + r]
  } else {
    const sign = sided === 'greater' ? 1 : -1
    logLr = logMixtureOneSided({ delta: sign * effect, variance, tau2 })
    const r = oneSidedRadius({ variance, tau2, alpha })
    ci = sided === 'greater' ? [effect - r, Infinity] : [-Infinity, effect + r]
  }
  const pValue = Math.min(1, Math.exp(-logLr))
  return { status: 'ok', effect, se, logLikelihoodRatio: logLr, pValue, ci, significant: pValue <= alpha }
}

export interface Tau2Choice {
  status: StatsStatus
  /** Mixing variance on the scale of the difference in means; always > 0 when status is ok. */
  tau2: number | null
  /** Which rule set it: the MDE, the variance floor (MDE zero or below the floor), or a planned sample size. */
  basis: 'mde' | 'variance-floor' | 'planned-n' | null
}

/**
 * Default mixing variance from a relative minimum detectable effect: τ² = (mde·|μ_C|)²,
 * i.e. the prior puts one standard deviation on the effect the experiment was sized for
 * (Johari et al. recommend matching τ to plausible effects). Floor: 1e-4·σ² (an effect of
 * 1% of a per-unit standard deviation), and 1e-12 absolute, so a zero control mean or a
 * zero MDE never produces τ² = 0, which would make Λ ≡ 1 and the test powerless.
 * `variance` is the per-unit variance of the metric.
 */
export function defaultTau2({ mde, controlMean, variance }: { mde: number; controlMean: number; variance: number }): Tau2Choice {
  if (![mde, controlMean, variance].every(Number.isFinite) || mde < 0 || variance < 0) {
    return { status: 'INVALID_INPUT', tau2: null, basis: null }
  }
  const fromMde = (mde * Math.abs(controlMean)) ** 2
  const floor = Math.max(1e-4 * variance, 1e-12)
  return fromMde >= floor ? { status: 'ok', tau2: fromMde, basis: 'mde' } : { status: 'ok', tau2: floor, basis: 'variance-floor' }
}

/**
 * τ² tuned so the confidence sequence is narrowest at a planned sample size: with V_N the
 * variance of the estimate at the plan, τ² = V_N·(−2 ln α + ln(1 − 2 ln α)) (Howard et al.
 * 2021, eq. for the optimal normal-mixture ρ; the same choice GrowthBook and Eppo make via N*).
 */
export function tau2FromPlannedSampleSize({ controlVariance, treatmentVariance, plannedNPerArm, alpha }: {
  controlVariance: number
  treatmentVariance?: number
  plannedNPerArm: number
  alpha: number
}): Tau2Choice {
  const vt = treatmentVariance ?? controlVariance
  if (![controlVariance, vt, plannedNPerArm].every(Number.isFinite) || controlVariance < 0 || vt < 0 || !(plannedNPerArm > 0) || !validAlpha(alpha)) {
    return { status: 'INVALID_INPUT', tau2: null, basis: null }
  }
  const vPlanned = (controlVariance + vt) / plannedNPerArm
  const la = -2 * Math.log(alpha)
  const tau2 = vPlanned * (la + Math.log1p(la))
  if (!(tau2 > 0)) return { status: 'ZERO_VARIANCE', tau2: null, basis: null }
  return { status: 'ok', tau2, basis: 'planned-n' }
}
