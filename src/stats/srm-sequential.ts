/**
 * Sequential SRM test (Lindon & Malek 2020, "Anytime-valid inference for multinomial count
 * data"): Bayes factor of a Dirichlet–multinomial alternative against the multinomial with
 * the configured weights p₀,
 *   BF = [B(α + x) / B(α)] / Π p₀ᵢ^{xᵢ},   B(a) = Π Γ(aᵢ) / Γ(Σaᵢ),
 * with prior α = c·p₀ (centred on the configured split; c = concentration). 1/BF is an
 * anytime-valid p-value at this look; the running minimum over looks is the sequential one.
 */
import { lnGamma } from './gamma.js'
import type { StatsStatus } from './status.js'

export interface SequentialSrmResult {
  status: StatsStatus
  logBayesFactor: number | null
  /** min(1, 1/BF) at this look */
  pValue: number | null
}

export function sequentialSrm({ counts, weights, concentration = 100 }: {
  counts: number[]
  weights: number[]
  concentration?: number
}): SequentialSrmResult {
  const invalid: SequentialSrmResult = { status: 'INVALID_INPUT', logBayesFactor: null, pValue: null }
  if (counts.length < 2 || counts.length !== weights.length || !(concentration > 0) || !Number.isFinite(concentration)) return invalid
  if (!counts.every((c) => Number.isFinite(c) && c >= 0) || !weights.every((w) => Number.isFinite(w) && w > 0)) return invalid
  const wSum = weights.reduce((a, b) => a + b, 0)
  const p0 = weights.map((w) => w / wSum)
  const total = counts.reduce((a, b) => a + b, 0)
  if (total === 0) return { status: 'INSUFFICIENT_SAMPLE', logBayesFactor: 0, pValue: 1 }
  const a = p0.map((p) => concentration * p)
  const aSum = concentration
  let logBf = lnGamma(aSum) - lnGamma(aSum + total)
  counts.forEach((x, i) => {
    logBf += lnGamma(a[i]! + x) - lnGamma(a[i]!) - x * Math.log(p0[i]!)
  })
  return { status: 'ok', logBayesFactor: logBf, pValue: Math.min(1, Math.exp(-logBf)) }
}
