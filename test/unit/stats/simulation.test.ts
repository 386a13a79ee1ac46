import { describe, expect, it } from 'vitest'
import { calibrate, normalQuantileUpper } from '../../../src/stats/index.js'

/**
 * A/A and A/B simulations, 2,000 experiments × 100 looks, seeded. Sequential methods must keep
 * the false-positive rate at α up to Monte-Carlo error (one-sided 99% bound α + 2.33·√(α(1−α)/E));
 * naive repeated Welch tests must show the known inflation (Armitage, McPherson & Rowe 1969:
 * ≈ 0.37 at 100 looks for α = 0.05).
 */
const E = 2000
const LOOKS = 100
const alpha = 0.05
const mcBound = alpha + normalQuantileUpper(0.01) * Math.sqrt((alpha * (1 - alpha)) / E)

describe.each(['two', 'greater'] as const)('calibration, sided = %s', (sided) => {
  const result = calibrate({ seed: 2024, experiments: E, looks: LOOKS, unitsPerLook: 50, alpha, sided })
  const row = (method: string, scenario: string) => result.rows.find((r) => r.method === method && r.scenario === scenario)!

  it('prints the table', () => {
    console.log(`sided=${sided} effect=${result.effect.toFixed(4)}σ τ²=${result.tau2.toExponential(3)} N*=${result.tuningN}`)
    console.table(result.rows.map((r) => ({ method: r.method, scenario: r.scenario, rate: r.rejectionRate, mcSe: Number(r.monteCarloSe.toFixed(4)), meanStop: r.meanStoppingLook })))
  })

  it.each(['msprt', 'confseq', 'gst', 'welch-fixed'])('%s keeps the A/A false-positive rate ≤ α + MC error', (method) => {
    expect(row(method, 'A/A').rejectionRate).toBeLessThanOrEqual(mcBound)
  })

  it('naive repeated Welch tests inflate the false-positive rate', () => {
    const naive = row('welch-naive', 'A/A').rejectionRate
    if (sided === 'two') {
      expect(naive).toBeGreaterThan(0.32)
      expect(naive).toBeLessThan(0.43)
    } else {
      expect(naive).toBeGreaterThan(0.2)
    }
  })

  it('under the effect, fixed horizon has ≈ 80% power and sequential methods stop early', () => {
    const fixed = row('welch-fixed', 'A/B')
    expect(Math.abs(fixed.rejectionRate - 0.8)).toBeLessThan(4 * fixed.monteCarloSe + 0.01)
    expect(row('gst', 'A/B').rejectionRate).toBeGreaterThan(0.7)
    for (const m of ['msprt', 'confseq', 'gst']) expect(row(m, 'A/B').meanStoppingLook).toBeLessThan(LOOKS)
  })
})

describe('calibrate is reproducible', () => {
  it('same seed, same table; different seed, different draws', () => {
    const a = calibrate({ seed: 5, experiments: 50, looks: 10 })
    const b = calibrate({ seed: 5, experiments: 50, looks: 10 })
    const c = calibrate({ seed: 6, experiments: 50, looks: 10 })
    expect(a).toEqual(b)
    expect(a.rows.map((r) => r.meanStoppingLook)).not.toEqual(c.rows.map((r) => r.meanStoppingLook))
  })
})
