/**
 * Asymptotic confidence sequences (Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas 2023,
 * "Time-uniform central limit theory", Thm 2.2 / eq. 9; Howard et al. 2021 for the
 * normal-mixture boundary) in the tuning-sample-size parameterization GrowthBook and Eppo use:
 *   θ̂ ± σ̂·√( 2(Nρ²+1)/(N²ρ²) · ln(√(Nρ²+1)/α) ),  ρ² = (−2 ln α + ln(1 − 2 ln α))/N*,
 * with N = n_C + n_T and σ̂² = N·V. This is exactly the normal mixture of msprt.ts with
 * τ² = ρ²·N·V, so both share one implementation; one-sided sequences use the half-normal
 * mixture (Howard et al. 2021) with the same ρ.
 */
import { validateMoments, type Moments } from './moments.js'
import { mixtureResult, welchDifference, type MsprtResult } from './msprt.js'
import { validAlpha, type Sided } from './sided.js'
import { worstStatus } from './status.js'
import { DEFAULT_TUNING_N } from './msprt-tau.js'

/** ρ² optimal at N* (Waudby-Smith et al. 2023, eq. for ρ*; Howard et al. 2021 §3.5). */
export function confseqRho2({ tuningN, alpha }: { tuningN: number; alpha: number }): number {
  const la = -2 * Math.log(alpha)
  return (la + Math.log1p(la)) / tuningN
}

/** Mixing variance equivalent to the confidence sequence at this look. */
export function confseqTau2({ variance, nTotal, tuningN, alpha }: { variance: number; nTotal: number; tuningN: number; alpha: number }): number {
  return confseqRho2({ tuningN, alpha }) * nTotal * variance
}

export type ConfseqResult = MsprtResult

/** Confidence sequence (and its always-valid p-value) for a difference in means. */
export function confidenceSequence({ control, treatment, alpha, tuningN = DEFAULT_TUNING_N, sided = 'two' }: {
  control: Moments
  treatment: Moments
  alpha: number
  tuningN?: number
  sided?: Sided
}): ConfseqResult {
  const validParams = validAlpha(alpha) && Number.isFinite(tuningN) && tuningN > 0
  const status = validParams ? worstStatus(validateMoments(control), validateMoments(treatment)) : 'INVALID_INPUT'
  const empty: ConfseqResult = { status, effect: null, se: null, tau2: 0, logLikelihoodRatio: null, pValue: null, ci: null, significant: false }
  const d = welchDifference({ control, treatment, empty })
  if ('status' in d) return d
  const tau2 = confseqTau2({ variance: d.variance, nTotal: control.n + treatment.n, tuningN, alpha })
  return { ...mixtureResult({ effect: d.effect, variance: d.variance, tau2, alpha, sided }), tau2 }
}
