import { beforeAll, describe, expect, it } from 'vitest'
import { calibrate, gstBoundaries, normalQuantileUpper } from '../../../src/stats/index.js'
import { runPython } from '../../support/python.js'

/**
 * A/A and A/B simulations, 2,000 experiments × 100 looks, seeded. Sequential methods must keep
 * the false-positive rate at α up to Monte-Carlo error (one-sided 99% bound α + 2.33·√(α(1−α)/E));
 * naive repeated Welch tests must show the known inflation (Armitage, McPherson & Rowe 1969:
 * ≈ 0.37 at 100 looks for α = 0.05). Every rejection rate, A/A and A/B, is also compared with an
 * independent simulation of the same design (test/support/py/sequential-sim.py: unit-level numpy
 * data, rejection rules written from the papers), so a method that never rejects, or rejects
 * too rarely under the effect, fails.
 */
const E = 2000
const E_PY = 8_000
const LOOKS = 100
const M = 50
const alpha = 0.05
const mcBound = alpha + normalQuantileUpper(0.01) * Math.sqrt((alpha * (1 - alpha)) / E)
const mcLower = alpha - normalQuantileUpper(0.01) * Math.sqrt((alpha * (1 - alpha)) / E)
type Rates = Record<'msprt' | 'confseq' | 'welch-fixed' | 'gst', number>

describe.each(['two', 'greater'] as const)('calibration, sided = %s', (sided) => {
  const result = calibrate({ seed: 2024, experiments: E, looks: LOOKS, unitsPerLook: M, alpha, sided })
  const row = (method: string, scenario: string) => result.rows.find((r) => r.method === method && r.scenario === scenario)!
  let ref: { 'A/A': Rates; 'A/B': Rates }
  beforeAll(() => {
    const gst = gstBoundaries({ informationFractions: Array.from({ length: LOOKS }, (_, k) => (k + 1) / LOOKS), alpha, sided, spending: 'obf' }).boundaries
    const design = { looks: LOOKS, unitsPerLook: M, alpha, sided, experiments: E_PY, tau2: result.tau2, tuningN: result.tuningN, gst }
    const [aa, ab] = runPython<Rates[]>('sequential-sim.py', [{ ...design, seed: 11, effect: 0 }, { ...design, seed: 12, effect: result.effect }])
    ref = { 'A/A': aa!, 'A/B': ab! }
    console.log(`sided=${sided} reference (numpy, ${E_PY} experiments): A/A ${JSON.stringify(aa)} A/B ${JSON.stringify(ab)}`)
  }, 120_000)
  /** Two independent estimates of one rate agree within 4 combined Monte-Carlo standard errors. */
  const agrees = (method: keyof Rates, scenario: 'A/A' | 'A/B') => {
    const mine = row(method, scenario).rejectionRate
    const theirs = ref[scenario][method]
    const se = Math.sqrt((mine * (1 - mine)) / E + (theirs * (1 - theirs)) / E_PY)
    expect(Math.abs(mine - theirs), `${method} ${scenario}: ${mine} vs reference ${theirs} (±${(4 * se).toFixed(4)})`).toBeLessThan(4 * se)
  }

  it('prints the table', () => {
    console.log(`sided=${sided} effect=${result.effect.toFixed(4)}σ τ²=${result.tau2.toExponential(3)} N*=${result.tuningN}`)
    console.table(result.rows.map((r) => ({ method: r.method, scenario: r.scenario, rate: r.rejectionRate, mcSe: Number(r.monteCarloSe.toFixed(4)), meanStop: r.meanStoppingLook })))
  })

  it.each(['msprt', 'confseq', 'gst', 'welch-fixed'])('%s keeps the A/A false-positive rate ≤ α + MC error', (method) => {
    expect(row(method, 'A/A').rejectionRate).toBeLessThanOrEqual(mcBound)
  })

  it.each(['gst', 'welch-fixed'] as const)('%s spends all of α: A/A rate ≥ α − MC error, and as the reference', (method) => {
    // Both are exact-level designs (the t-test at one look; Lan–DeMets spending ends at α).
    expect(row(method, 'A/A').rejectionRate).toBeGreaterThanOrEqual(mcLower)
    agrees(method, 'A/A')
  })

  it.each(['msprt', 'confseq'] as const)('%s is conservative, as the reference simulation says, and not inert', (method) => {
    // Always-valid tests are conservative at a finite number of looks: Ville's inequality bounds
    // the rate over infinitely many looks, so 100 looks reject well below α (≈ 2% here).
    const rate = row(method, 'A/A').rejectionRate
    expect(rate).toBeLessThan(alpha)
    expect(ref['A/A'][method]).toBeLessThan(alpha)
    agrees(method, 'A/A')
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

  it.each(['msprt', 'confseq', 'gst', 'welch-fixed'] as const)('%s power under the effect equals the reference simulation', (method) => {
    agrees(method, 'A/B')
    // No test that looks at most at the final sample beats the fixed-horizon test's power there
    // (Neyman–Pearson); the sequential methods pay for their looks.
    if (method !== 'welch-fixed') expect(row(method, 'A/B').rejectionRate).toBeLessThan(row('welch-fixed', 'A/B').rejectionRate)
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
