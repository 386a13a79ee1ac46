import { normalCdf, normalQuantileUpper, normalSf } from './normal.js'
import { studentTCdf, studentTQuantileUpper, studentTSf } from './student-t.js'

/**
 * Alternative hypothesis about effect = treatment − control:
 * 'two' (≠ 0), 'greater' (> 0), 'less' (< 0).
 */
export type Sided = 'two' | 'greater' | 'less'

/** Reference distribution of a test statistic: standard normal, or Student t with df. */
export type Reference = { kind: 'normal' } | { kind: 't'; df: number }

function sf(x: number, ref: Reference): number {
  return ref.kind === 'normal' ? normalSf(x) : studentTSf(x, ref.df)
}

function cdf(x: number, ref: Reference): number {
  return ref.kind === 'normal' ? normalCdf(x) : studentTCdf(x, ref.df)
}

function upperQuantile(q: number, ref: Reference): number {
  return ref.kind === 'normal' ? normalQuantileUpper(q) : studentTQuantileUpper(q, ref.df)
}

/**
 * p-value of statistic `stat` for the given alternative, always from the tail that is
 * small (two-sided: 2·P(X > |stat|)), so tiny p-values keep their precision.
 */
export function pValueFor({ stat, sided, reference }: { stat: number; sided: Sided; reference: Reference }): number {
  if (sided === 'greater') return sf(stat, reference)
  if (sided === 'less') return cdf(stat, reference)
  return Math.min(1, 2 * sf(Math.abs(stat), reference))
}

/**
 * Confidence interval estimate ± q·se matching the alternative: two-sided uses the
 * 1 − α/2 quantile; one-sided intervals are unbounded on one side (±Infinity, which
 * serializes to null in JSON).
 */
export function confidenceInterval(
  { estimate, se, alpha, sided, reference }: { estimate: number; se: number; alpha: number; sided: Sided; reference: Reference },
): [number, number] {
  if (sided === 'two') {
    const q = upperQuantile(alpha / 2, reference)
    return [estimate - q * se, estimate + q * se]
  }
  const q = upperQuantile(alpha, reference)
  return sided === 'greater' ? [estimate - q * se, Infinity] : [-Infinity, estimate + q * se]
}

/** Critical value of the statistic for level α under the alternative (|stat| for two-sided). */
export function criticalValue({ alpha, sided, reference }: { alpha: number; sided: Sided; reference: Reference }): number {
  return upperQuantile(sided === 'two' ? alpha / 2 : alpha, reference)
}

/** α strictly inside (0, 1). */
export function validAlpha(alpha: number): boolean {
  return Number.isFinite(alpha) && alpha > 0 && alpha < 1
}
