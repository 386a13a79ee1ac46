import { describe, expect, it } from 'vitest'
import { type CompareInput, type TestPlan, compare, tau2For } from '../../../src/decide/compare.js'
import type { GuardrailSpec, MetricSpec } from '../../../src/domain/experiment.js'
import type { Moments } from '../../../src/stats/moments.js'
import { optimalTauRatio } from '../../../src/stats/msprt-tau.js'
import { bernoulli, gaussian } from '../../support/fixtures.js'
import { confseqTau2ByHand, firstLookBoundary, mixtureP1, mixtureP2, secondLookBoundary } from './reference.js'

const errors: GuardrailSpec = { name: 'error_rate', direction: 'decrease', aggregation: 'mean', margin: 0 }
const revenue: GuardrailSpec = { name: 'revenue', direction: 'increase', aggregation: 'mean', margin: 0 }
const latency: GuardrailSpec = { name: 'latency', direction: 'decrease', aggregation: 'mean', margin: 0 }
const conversion: MetricSpec = { name: 'conversion', direction: 'increase', aggregation: 'mean' }

const msprtPlan = (tau?: number): TestPlan => ({ method: 'msprt', mde: 0.05, tuningN: 10_000, gst: null, ...(tau !== undefined ? { tau } : {}) })
const confseqPlan = (tuningN: number): TestPlan => ({ method: 'confseq', mde: 0.05, tuningN, gst: null })
const gstAt = (look: number, informationFractions: number[], spending: 'obf' | 'pocock' = 'obf'): TestPlan => ({
  method: 'gst',
  mde: 0.05,
  tau: 0.01,
  tuningN: 10_000,
  gst: { look, informationFractions, spending },
})
const betweenLooks: TestPlan = { method: 'gst', mde: 0.05, tau: 0.01, tuningN: 10_000, gst: null }

const run = ({ tau, ...overrides }: Partial<CompareInput> & { tau?: number }) =>
  compare({
    metric: errors,
    role: 'guardrail',
    variant: 'treatment',
    control: bernoulli(20_000, 0.01),
    treatment: bernoulli(20_000, 0.01),
    alpha: 0.05,
    plan: msprtPlan(tau),
    ...overrides,
  })

/** Sample variance from sufficient statistics, (Σx² − (Σx)²/n)/(n − 1): the definition. */
const s2 = (m: Moments) => (m.sumSquares - (m.sum * m.sum) / m.n) / (m.n - 1)
/** Plug-in variance of the difference in means, s_C²/n_C + s_T²/n_T. */
const vOf = (c: Moments, t: Moments) => s2(c) / c.n + s2(t) / t.n
const meanOf = (m: Moments) => m.sum / m.n

describe('compare: reported numbers', () => {
  it('carries means, effect, relative effect, sizes and the unadjusted alpha', () => {
    const c = run({ control: gaussian(5_000, 10, 4), treatment: gaussian(8_000, 11, 4), metric: revenue, alpha: 0.01 })
    expect(c).toMatchObject({ metric: 'revenue', role: 'guardrail', variant: 'treatment', method: 'msprt', status: 'ok', controlN: 5_000, treatmentN: 8_000, alpha: 0.01 })
    expect(c.controlMean).toBeCloseTo(10, 12)
    expect(c.treatmentMean).toBeCloseTo(11, 12)
    expect(c.effect).toBeCloseTo(1, 10)
    expect(c.relativeEffect).toBeCloseTo(0.1, 10)
    // revenue's harm is a drop: the one-sided sequence bounds the effect from above only
    expect(c.ci![0]).toBeNull()
    expect(c.ci![1]).toBeGreaterThan(1)
    // a rise carries no evidence of a drop
    expect(c.sequentialP).toBe(1)
    expect(c.adjustedP).toBeUndefined()
  })

  it('a primary gets the two-sided sequence: effect ± √(V(V+τ²)/τ² · (2 ln(1/α) + ln(1 + τ²/V)))', () => {
    const control = gaussian(5_000, 10, 4)
    const treatment = gaussian(8_000, 11, 4)
    const c = run({ control, treatment, metric: conversion, role: 'primary', alpha: 0.01, tau: 0.5 })
    const v = vOf(control, treatment)
    const tau2 = 0.25
    const r = Math.sqrt(((v * (v + tau2)) / tau2) * (2 * Math.log(1 / 0.01) + Math.log(1 + tau2 / v)))
    expect(c.method).toBe('msprt')
    expect(c.ci![0]!).toBeCloseTo(1 - r, 9)
    expect(c.ci![1]!).toBeCloseTo(1 + r, 9)
  })

  it('the Welch p is the fixed-horizon one: smaller than the always-valid p for the same data', () => {
    const c = run({ control: bernoulli(20_000, 0.1), treatment: bernoulli(20_000, 0.106), metric: conversion, role: 'primary' })
    expect(c.welchP).not.toBeNull()
    expect(c.sequentialP).not.toBeNull()
    expect(c.welchP!).toBeLessThan(0.05)
    expect(c.sequentialP!).toBeGreaterThan(c.welchP!)
  })

  it('an empty arm is INSUFFICIENT_SAMPLE: no p-value, never significant or harmful', () => {
    const c = run({ treatment: { n: 0, sum: 0, sumSquares: 0 } })
    expect(c).toMatchObject({ status: 'INSUFFICIENT_SAMPLE', sequentialP: null, welchP: null, ci: null, significant: false, harmful: false, treatmentMean: null, treatmentN: 0 })
  })

  it('zero variance in both arms (0% vs 0%): measured, degenerate, not harmful', () => {
    const c = run({ control: bernoulli(1_000, 0), treatment: bernoulli(1_000, 0) })
    expect(c).toMatchObject({ status: 'ok', degenerate: true, harmful: false, significant: false, sequentialP: 1, effect: 0 })
  })

  it('relative effect is null when the control mean is 0', () => {
    expect(run({ control: gaussian(1_000, 0, 1), treatment: gaussian(1_000, 0.5, 1), metric: revenue }).relativeEffect).toBeNull()
  })

  it('the unbounded side of a one-sided sequence is null, so the comparison survives JSON unchanged', () => {
    const c = run({ treatment: bernoulli(20_000, 0.05) })
    expect(c.ci![0]).toEqual(expect.any(Number))
    expect(c.ci![1]).toBeNull()
    expect(JSON.parse(JSON.stringify(c))).toEqual(c)
  })
})

describe('compare: guardrail harm is a one-sided test against the margin', () => {
  it('error rate up on a decrease metric is harm, with the one-sided mixture p', () => {
    const control = bernoulli(20_000, 0.01)
    const treatment = bernoulli(20_000, 0.013)
    const c = run({ control, treatment, tau: 0.003 })
    // δ = 0.003 − 0 margin; half-normal mixture over harm > 0
    const expected = mixtureP1({ delta: meanOf(treatment) - meanOf(control), v: vOf(control, treatment), tau2: 0.003 ** 2 })
    expect(expected).toBeGreaterThan(0.01)
    expect(expected).toBeLessThan(0.05)
    expect(c.sequentialP!).toBeCloseTo(expected, 6)
    expect(c).toMatchObject({ method: 'msprt', significant: true, harmful: true })
    expect(c.ci![0]!).toBeGreaterThan(0)
  })

  it('the same increase is not harm at a stricter α', () => {
    const c = run({ control: bernoulli(20_000, 0.01), treatment: bernoulli(20_000, 0.013), tau: 0.003, alpha: 0.01 })
    expect(c.sequentialP!).toBeGreaterThan(0.01)
    expect(c).toMatchObject({ significant: false, harmful: false, alpha: 0.01 })
  })

  it('error rate down on a decrease metric is an improvement: no evidence of harm at all', () => {
    const data = { control: bernoulli(20_000, 0.05), treatment: bernoulli(20_000, 0.01) }
    const c = run(data)
    expect(c).toMatchObject({ significant: false, harmful: false, sequentialP: 1 })
    expect(c.ci![0]!).toBeLessThan(0)
    // the two-sided primary test on the same data does see the (beneficial) change
    expect(run({ ...data, metric: conversion, role: 'primary' }).significant).toBe(true)
  })

  it('revenue down on an increase metric is harm; revenue up is not', () => {
    const down = run({ metric: revenue, control: gaussian(20_000, 10, 5), treatment: gaussian(20_000, 9.5, 5) })
    expect(down.harmful).toBe(true)
    expect(down.ci![1]!).toBeLessThan(0)
    const up = run({ metric: revenue, control: gaussian(20_000, 10, 5), treatment: gaussian(20_000, 10.5, 5) })
    expect(up).toMatchObject({ harmful: false, sequentialP: 1 })
  })

  it('a non-significant change is not harm', () => {
    const c = run({ treatment: bernoulli(20_000, 0.0105) })
    expect(c.sequentialP!).toBeGreaterThan(0.05)
    expect(c.significant).toBe(false)
    expect(c.harmful).toBe(false)
  })

  it('a primary or secondary metric is never flagged as harmful, however bad', () => {
    for (const role of ['primary', 'secondary'] as const) {
      const c = run({ role, metric: conversion, control: bernoulli(20_000, 0.2), treatment: bernoulli(20_000, 0.1) })
      expect(c.significant).toBe(true)
      expect(c.harmful).toBe(false)
    }
  })

  it('the relative margin becomes margin·|control mean| on the effect scale (decrease metric)', () => {
    const control = gaussian(20_000, 200, 50)
    const treatment = gaussian(20_000, 201.7, 50)
    const v = vOf(control, treatment)
    const strict = run({ metric: latency, control, treatment, tau: 3 })
    const tolerant = run({ metric: { ...latency, margin: 0.002 }, control, treatment, tau: 3 })
    expect(strict.sequentialP!).toBeCloseTo(mixtureP1({ delta: 1.7, v, tau2: 9 }), 6)
    // margin 0.2% of 200 = 0.4: the test is of harm − 0.4
    expect(tolerant.sequentialP!).toBeCloseTo(mixtureP1({ delta: 1.7 - 0.4, v, tau2: 9 }), 6)
    expect(strict.sequentialP!).toBeLessThan(0.05)
    expect(tolerant.sequentialP!).toBeGreaterThan(0.05)
    expect([strict.harmful, tolerant.harmful]).toEqual([true, false])
  })

  it('the margin is applied on the bad side of an increase metric too', () => {
    const control = gaussian(20_000, 10, 5)
    const treatment = gaussian(20_000, 9.6, 5)
    const v = vOf(control, treatment)
    const strict = run({ metric: revenue, control, treatment, tau: 0.3 })
    const tolerant = run({ metric: { ...revenue, margin: 0.03 }, control, treatment, tau: 0.3 })
    // harm = a drop of 0.4; tolerated 0.03·10 = 0.3 → tested δ = 0.1
    expect(strict.sequentialP!).toBeCloseTo(mixtureP1({ delta: 0.4, v, tau2: 0.09 }), 8)
    expect(tolerant.sequentialP!).toBeCloseTo(mixtureP1({ delta: 0.4 - 0.3, v, tau2: 0.09 }), 6)
    expect(strict.sequentialP!).toBeLessThan(0.05)
    expect(tolerant.sequentialP!).toBeGreaterThan(0.05)
    expect([strict.harmful, tolerant.harmful]).toEqual([true, false])
    expect(tolerant.ci![1]!).toBeLessThan(0) // a drop is still estimated, just not beyond the margin
  })

  it('harm smaller than the relative margin is tolerated', () => {
    const data = { control: bernoulli(1_000_000, 0.02), treatment: bernoulli(1_000_000, 0.022) }
    const strict = run({ ...data, metric: { ...errors, margin: 0 } })
    expect(strict.ci![0]!).toBeGreaterThan(0)
    expect(strict.harmful).toBe(true)
    // margin 0.5 × control mean 0.02 = 0.01 absolute; the whole sequence lies below it
    const tolerant = run({ ...data, metric: { ...errors, margin: 0.5 } })
    expect(tolerant.ci![0]!).toBeLessThan(0.01)
    expect(tolerant.harmful).toBe(false)
  })

  it('harm beyond the margin is still harm', () => {
    const c = run({ metric: { ...errors, margin: 0.1 }, control: bernoulli(200_000, 0.01), treatment: bernoulli(200_000, 0.03) })
    expect(c.ci![0]!).toBeGreaterThan(0.001)
    expect(c.harmful).toBe(true)
  })

  it('a guardrail whose control arm has no errors at all still detects a jump to 10% errors', () => {
    const c = run({ control: bernoulli(20_000, 0), treatment: bernoulli(20_000, 0.1) })
    expect(c.status).toBe('ok')
    expect(c.treatmentMean).toBeCloseTo(0.1, 12)
    expect(c.sequentialP!).toBeLessThan(0.05)
    expect(c.harmful).toBe(true)
  })

  it('with test confseq the harm test is the one-sided confidence sequence tuned at N*', () => {
    const control = bernoulli(20_000, 0.01)
    const treatment = bernoulli(20_000, 0.013)
    const v = vOf(control, treatment)
    const c = run({ control, treatment, plan: confseqPlan(40_000) })
    const tau2 = confseqTau2ByHand({ v, nTotal: 40_000, tuningN: 40_000, alpha: 0.05 })
    expect(c.method).toBe('confseq')
    expect(c.sequentialP!).toBeCloseTo(mixtureP1({ delta: 0.003, v, tau2 }), 6)
    expect(c.harmful).toBe(c.sequentialP! <= 0.05)
    expect(c.harmful).toBe(true)
  })

  it('with test gst the harm test stays always-valid (mSPRT), at a planned look or between looks', () => {
    const control = bernoulli(20_000, 0.01)
    const treatment = bernoulli(20_000, 0.013)
    const expected = mixtureP1({ delta: 0.003, v: vOf(control, treatment), tau2: 0.01 ** 2 })
    for (const plan of [betweenLooks, gstAt(1, [0.5])]) {
      const c = run({ control, treatment, plan })
      expect(c.method).toBe('msprt')
      expect(c.status).toBe('ok')
      expect(c.boundary).toBeUndefined()
      expect(c.sequentialP!).toBeCloseTo(expected, 6)
    }
  })
})

describe('compare: primary test by method', () => {
  const control = gaussian(5_000, 3, 1)
  /** Treatment whose z = effect / se is exactly `z` (equal arms of 5,000, sd 1: se = 0.02). */
  const atZ = (z: number) => gaussian(5_000, 3 + 0.02 * z, 1)
  const primary = (plan: TestPlan, treatment: Moments, alpha = 0.05) => run({ metric: conversion, role: 'primary', control, treatment, plan, alpha })

  it('msprt: two-sided mixture p with the given τ', () => {
    const treatment = gaussian(20_000, 0.11, 0.3)
    const c0 = gaussian(20_000, 0.1, 0.3)
    const c = run({ metric: conversion, role: 'primary', control: c0, treatment, tau: 0.01 })
    expect(c.sequentialP!).toBeCloseTo(mixtureP2({ delta: 0.01, v: vOf(c0, treatment), tau2: 1e-4 }), 8)
    expect(c.sequentialP!).toBeLessThan(0.05)
    expect(c.significant).toBe(true)
  })

  it('confseq: two-sided mixture with τ² = ρ²·N·V; the tuning N* changes the answer', () => {
    const treatment = atZ(3.5)
    const v = vOf(control, treatment)
    const at = (tuningN: number) => primary(confseqPlan(tuningN), treatment)
    for (const tuningN of [1_000, 10_000, 100_000]) {
      const c = at(tuningN)
      expect(c.method).toBe('confseq')
      expect(c.sequentialP!).toBeCloseTo(mixtureP2({ delta: 0.07, v, tau2: confseqTau2ByHand({ v, nTotal: 10_000, tuningN, alpha: 0.05 }) }), 8)
      expect(c.significant).toBe(c.sequentialP! <= 0.05)
    }
    // tuned at the current size the sequence is tightest: smaller p than a mis-tuned one
    expect(at(10_000).sequentialP!).toBeLessThan(at(100_000).sequentialP!)
    expect(at(10_000).sequentialP!).toBeLessThan(at(1_000).sequentialP!)
  })

  it('gst at look 1 (t = 0.25, O\'Brien–Fleming): boundary z from the spending function, crossing iff |z| ≥ c', () => {
    const c1 = firstLookBoundary('obf', 0.25, 0.05)
    expect(c1).toBeCloseTo(4.3326, 3) // gsDesign's first of four equally spaced two-sided OBF bounds at α = 0.05
    const above = primary(gstAt(1, [0.25]), atZ(4.5))
    expect(above).toMatchObject({ method: 'gst', status: 'ok', significant: true })
    expect(above.boundary!).toBeCloseTo(c1, 5)
    // repeated confidence interval: effect ± c·se
    expect(above.ci![0]!).toBeCloseTo(0.09 - c1 * 0.02, 6)
    expect(above.ci![1]!).toBeCloseTo(0.09 + c1 * 0.02, 6)
    expect(primary(gstAt(1, [0.25]), atZ(4.1))).toMatchObject({ status: 'ok', significant: false })
    // two-sided: a loss beyond the boundary also crosses
    expect(primary(gstAt(1, [0.25]), atZ(-4.5)).significant).toBe(true)
  })

  it('gst at look 2 uses the boundary left by the first look\'s spending', () => {
    const c2 = secondLookBoundary({ spending: 'obf', t1: 0.25, t2: 0.5, alpha: 0.05 })
    expect(c2).toBeCloseTo(2.9631, 3) // gsDesign's second bound of the same design
    const c = primary(gstAt(2, [0.25, 0.5]), atZ(3.1))
    expect(c.boundary!).toBeCloseTo(c2, 4)
    expect(c.significant).toBe(true)
    expect(primary(gstAt(2, [0.25, 0.5]), atZ(2.8)).significant).toBe(false)
  })

  it('gst honours the spending function (Pocock spends more early)', () => {
    const c = primary(gstAt(1, [0.25], 'pocock'), atZ(3))
    expect(c.boundary!).toBeCloseTo(firstLookBoundary('pocock', 0.25, 0.05), 5)
    expect(c.boundary!).toBeLessThan(3)
    expect(c.significant).toBe(true)
    expect(primary(gstAt(1, [0.25], 'obf'), atZ(3)).significant).toBe(false)
  })

  it('gst tests at the α it is given (α / treatments in decide)', () => {
    const c = primary(gstAt(1, [0.3]), atZ(4.3), 0.025)
    expect(c.alpha).toBe(0.025)
    expect(c.boundary!).toBeCloseTo(firstLookBoundary('obf', 0.3, 0.025), 5)
    expect(c.boundary!).toBeGreaterThan(firstLookBoundary('obf', 0.3, 0.05))
  })

  it('gst between looks: the mSPRT p is reported, status BETWEEN_LOOKS, never significant', () => {
    const treatment = atZ(10)
    const c = primary(betweenLooks, treatment)
    expect(c).toMatchObject({ method: 'msprt', status: 'BETWEEN_LOOKS', significant: false, harmful: false })
    expect(c.boundary).toBeUndefined()
    expect(c.sequentialP!).toBeCloseTo(mixtureP2({ delta: 0.2, v: vOf(control, treatment), tau2: 1e-4 }), 12)
    expect(c.sequentialP!).toBeLessThan(1e-3)
  })
})

describe('compare: mixing variance', () => {
  it('without tau, τ² = (mde · pooled mean)² unless below the 1e-4·σ² floor', () => {
    const control = gaussian(20_000, 200, 50)
    const treatment = gaussian(20_000, 201.7, 50)
    expect(tau2For(msprtPlan(), control, treatment)).toBeCloseTo((0.05 * 200.85) ** 2, 6)
    expect(tau2For({ ...msprtPlan(), mde: 0.1 }, control, treatment)).toBeCloseTo((0.1 * 200.85) ** 2, 6)
    expect(tau2For(msprtPlan(0.7), control, treatment)).toBeCloseTo(0.49, 12)
    // mean 0: the MDE gives nothing, the floor 1e-4 × pooled sample variance takes over;
    // pooling two arms of sd 2 (Σ(x − x̄)² = 9,999·4 each) over 19,999 degrees of freedom
    const zero = gaussian(10_000, 0, 2)
    expect(tau2For(msprtPlan(), zero, zero)).toBeCloseTo(1e-4 * ((2 * 9_999 * 4) / 19_999), 12)
    // a guardrail's τ is tuned to N* (msprt-tau.ts): τ² = x*·2σ²_pooled / (N*/2), σ²_pooled of both arms as one sample
    const c = run({ metric: latency, control, treatment })
    const pooledVar = (2 * 19_999 * 2_500 + 2 * 20_000 * 0.85 ** 2) / 39_999
    const tau2 = (optimalTauRatio({ alpha: 0.05, sided: 'greater' }) * 2 * pooledVar) / 5_000
    expect(c).toMatchObject({ tauBasis: 'planned-n' })
    expect(c.sequentialP!).toBeCloseTo(mixtureP1({ delta: 1.7, v: vOf(control, treatment), tau2 }), 6)
  })

  it('an explicit tau overrides the MDE-based default', () => {
    const data = { metric: conversion, role: 'primary' as const, control: bernoulli(20_000, 0.1), treatment: bernoulli(20_000, 0.11) }
    const matched = run({ ...data, tau: 0.01 })
    const tiny = run({ ...data, tau: 1e-6 })
    expect(matched.significant).toBe(true)
    expect(tiny.significant).toBe(false)
    expect(tiny.sequentialP!).toBeGreaterThan(0.9)
    expect(run(data).sequentialP).not.toBe(matched.sequentialP)
  })

  it('with more evidence the always-valid p shrinks', () => {
    const p = (n: number) => run({ metric: conversion, role: 'primary', control: bernoulli(n, 0.1), treatment: bernoulli(n, 0.11) }).sequentialP!
    expect(p(50_000)).toBeLessThan(p(10_000))
    expect(p(10_000)).toBeLessThan(p(2_000))
  })
})
