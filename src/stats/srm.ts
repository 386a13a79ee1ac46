import { chiSquareSf } from './gamma.js'
import type { StatsStatus } from './status.js'

export interface SrmChiSquareResult {
  status: StatsStatus
  chiSquare: number | null
  df: number | null
  pValue: number | null
  /** Expected counts total·wᵢ/Σw (zeros when the total is 0, empty when input is invalid). */
  expected: number[]
}

/**
 * Sample-ratio-mismatch check: Pearson's chi-square goodness of fit of the observed
 * assignment counts to the configured weights (Pearson 1900), χ² = Σ (oᵢ − eᵢ)²/eᵢ with
 * k − 1 degrees of freedom. Weights are normalized, so [50, 50] and [1, 1] are the same.
 * Status INSUFFICIENT_SAMPLE when the total is 0 (nothing computable) or any expected
 * count is below 5 (the χ² approximation is poor there; the statistic is still returned).
 * Weights must be positive: an arm configured at 0% has no expected count to test against.
 */
export function srmChiSquare({ counts, weights }: { counts: number[]; weights: number[] }): SrmChiSquareResult {
  const invalid: SrmChiSquareResult = { status: 'INVALID_INPUT', chiSquare: null, df: null, pValue: null, expected: [] }
  if (counts.length < 2 || counts.length !== weights.length) return invalid
  if (!counts.every((c) => Number.isFinite(c) && c >= 0)) return invalid
  if (!weights.every((w) => Number.isFinite(w) && w > 0)) return invalid
  const totalWeight = weights.reduce((a, b) => a + b, 0)
  const total = counts.reduce((a, b) => a + b, 0)
  if (!Number.isFinite(totalWeight) || !Number.isFinite(total)) return invalid
  const expected = weights.map((w) => (total * w) / totalWeight)
  const df = counts.length - 1
  if (total === 0) return { status: 'INSUFFICIENT_SAMPLE', chiSquare: null, df, pValue: null, expected }
  let chiSquare = 0
  counts.forEach((o, i) => {
    const e = expected[i] as number
    chiSquare += ((o - e) * (o - e)) / e
  })
  const pValue = chiSquareSf(chiSquare, df)
  const status: StatsStatus = expected.some((e) => e < 5) ? 'INSUFFICIENT_SAMPLE' : 'ok'
  return { status, chiSquare, df, pValue, expected }
}
