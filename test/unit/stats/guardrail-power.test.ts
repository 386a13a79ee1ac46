import { beforeAll, describe, expect, it } from 'vitest'
import { guardrailPower } from '../../../src/stats/guardrail-power.js'
import { DEFAULT_TUNING_N, guardrailTau2, optimalTauRatio } from '../../../src/stats/msprt-tau.js'
import { oneSidedRadius, twoSidedRadius } from '../../../src/stats/normal-mixture.js'
import { relErr, runPython } from '../../support/python.js'

const ratios = [0.05, 0.01, 0.1].flatMap((alpha) => (['two', 'greater'] as const).map((sided) => ({ alpha, sided })))

describe('optimal mixing variance τ² = x*·V (agrees with a scipy minimisation of the boundary, computed in this run)', () => {
  let ref: { x: number; radius: number }[] = []
  beforeAll(() => { ref = runPython('msprt-tau.py', ratios) })
  it('x* and the minimal radius match scipy; the two-sided x* is near Howard et al.’s closed form', () => {
    ratios.forEach((r, i) => {
      const x = optimalTauRatio(r)
      const radius = (r.sided === 'two' ? twoSidedRadius : oneSidedRadius)({ variance: 1, tau2: x, alpha: r.alpha })
      expect(relErr(radius, ref[i]!.radius)).toBeLessThan(1e-7)
      // the radius is flat at its minimum, so x itself is only determined to ~1e-4
      expect(relErr(x, ref[i]!.x)).toBeLessThan(1e-3)
      if (r.sided === 'two') {
        const la = -2 * Math.log(r.alpha)
        expect(relErr(x, la + Math.log1p(la))).toBeLessThan(0.15)
      }
    })
  })
  it('guardrailTau2: planned n, a declared minimum harmful effect (capped at the plan), the shared default N*; refusals', () => {
    const v = 0.002 * 0.998
    const x = optimalTauRatio({ alpha: 0.05, sided: 'greater' })
    const planned = guardrailTau2({ controlVariance: v, alpha: 0.05, plannedNPerArm: 5000 })
    expect(planned).toMatchObject({ status: 'ok', basis: 'planned-n', nPerArm: 5000 })
    expect(planned.tau2).toBeCloseTo((x * 2 * v) / 5000, 15)
    const harm = guardrailTau2({ controlVariance: v, alpha: 0.05, minHarmfulEffect: 0.002 })
    expect(harm.basis).toBe('min-harmful-effect')
    expect(harm.power).toBeCloseTo(0.8, 9) // n solved for 80% power at that look
    expect(harm.nPerArm!).toBeGreaterThan(5000)
    const capped = guardrailTau2({ controlVariance: v, alpha: 0.05, minHarmfulEffect: 0.002, plannedNPerArm: 5000 })
    expect(capped.nPerArm).toBe(5000)
    expect(capped.power!).toBeLessThan(0.8)
    expect(guardrailTau2({ controlVariance: v, alpha: 0.05 })).toMatchObject({ basis: 'default-n', nPerArm: DEFAULT_TUNING_N / 2 })
    expect(guardrailTau2({ controlVariance: -1, alpha: 0.05 }).status).toBe('INVALID_INPUT')
    expect(guardrailTau2({ controlVariance: v, alpha: 0.05, minHarmfulEffect: 0 }).status).toBe('INVALID_INPUT')
    expect(guardrailTau2({ controlVariance: 0, alpha: 0.05 }).status).toBe('ZERO_VARIANCE')
  })
})

describe('rare-event guardrail power by simulation (5,000 units/arm, 100 looks, one-sided α = 0.05, seed 3)', () => {
  const EXPERIMENTS = 400
  const mcSe = Math.sqrt((0.05 * 0.95) / EXPERIMENTS) // 0.0109
  it('A/A false-positive rate ≤ α + 2·MC SE for every τ rule; τ tuned to the plan detects a tripled 0.2% rate ≥ 65% (default τ ≤ 15%)', () => {
    const { rows } = guardrailPower({ seed: 3, experiments: EXPERIMENTS, baseRates: [0.002, 0.01], multipliers: [1, 2, 3] })
    const at = (base: number, mult: number, rule: string) => rows.find((r) => r.baseRate === base && r.multiplier === mult && r.rule === rule)!.rejectionRate
    console.log(rows.map((r) => `${r.baseRate} ×${r.multiplier} ${r.rule}: ${r.rejectionRate}`).join('\n'))
    for (const r of rows.filter((x) => x.multiplier === 1)) expect(r.rejectionRate, `${r.baseRate} ${r.rule}`).toBeLessThanOrEqual(0.05 + 2 * mcSe)
    expect(at(0.002, 3, 'planned-n')).toBeGreaterThanOrEqual(0.65)
    expect(at(0.002, 3, 'default-5%-mean')).toBeLessThanOrEqual(0.15)
    expect(at(0.002, 2, 'planned-n')).toBeGreaterThanOrEqual(0.15)
    expect(at(0.01, 2, 'planned-n')).toBeGreaterThanOrEqual(0.85)
    expect(at(0.01, 2, 'min-harmful-effect')).toBeGreaterThanOrEqual(0.85)
  }, 120_000)
})
