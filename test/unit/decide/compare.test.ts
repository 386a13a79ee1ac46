import { describe, expect, it } from 'vitest'
import { type CompareInput, compare } from '../../../src/decide/compare.js'
import type { GuardrailSpec, MetricSpec } from '../../../src/domain/experiment.js'
import { bernoulli, gaussian } from '../../support/fixtures.js'

const errors: GuardrailSpec = { name: 'error_rate', direction: 'decrease', aggregation: 'mean', margin: 0 }
const revenue: GuardrailSpec = { name: 'revenue', direction: 'increase', aggregation: 'mean', margin: 0 }
const conversion: MetricSpec = { name: 'conversion', direction: 'increase', aggregation: 'mean' }

const run = (overrides: Partial<CompareInput>) =>
  compare({
    metric: errors,
    role: 'guardrail',
    variant: 'treatment',
    control: bernoulli(20_000, 0.01),
    treatment: bernoulli(20_000, 0.01),
    alpha: 0.05,
    mde: 0.05,
    ...overrides,
  })

describe('compare: reported numbers', () => {
  it('carries means, effect, relative effect, sizes and alpha', () => {
    const c = run({ control: gaussian(5_000, 10, 4), treatment: gaussian(8_000, 11, 4), metric: revenue, alpha: 0.01 })
    expect(c).toMatchObject({ metric: 'revenue', role: 'guardrail', variant: 'treatment', status: 'ok', controlN: 5_000, treatmentN: 8_000, alpha: 0.01 })
    expect(c.controlMean).toBeCloseTo(10, 12)
    expect(c.treatmentMean).toBeCloseTo(11, 12)
    expect(c.effect).toBeCloseTo(1, 10)
    expect(c.relativeEffect).toBeCloseTo(0.1, 10)
    expect(c.ci![0]).toBeLessThan(1)
    expect(c.ci![1]).toBeGreaterThan(1)
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

  it('zero variance in both arms is reported, not harmful', () => {
    const c = run({ control: bernoulli(1_000, 0), treatment: bernoulli(1_000, 0) })
    expect(c).toMatchObject({ status: 'ZERO_VARIANCE', harmful: false, significant: false })
  })

  it('relative effect is null when the control mean is 0', () => {
    expect(run({ control: gaussian(1_000, 0, 1), treatment: gaussian(1_000, 0.5, 1), metric: revenue }).relativeEffect).toBeNull()
  })
})

describe('compare: harm is direction-aware', () => {
  it('error rate up on a decrease metric is harm', () => {
    const c = run({ treatment: bernoulli(20_000, 0.05) })
    expect(c.significant).toBe(true)
    expect(c.harmful).toBe(true)
    expect(c.ci![0]).toBeGreaterThan(0)
  })

  it('error rate down on a decrease metric is an improvement, not harm', () => {
    const c = run({ control: bernoulli(20_000, 0.05), treatment: bernoulli(20_000, 0.01) })
    expect(c.significant).toBe(true)
    expect(c.harmful).toBe(false)
    expect(c.ci![1]).toBeLessThan(0)
  })

  it('revenue down on an increase metric is harm; revenue up is not', () => {
    expect(run({ metric: revenue, control: gaussian(20_000, 10, 5), treatment: gaussian(20_000, 9.5, 5) }).harmful).toBe(true)
    expect(run({ metric: revenue, control: gaussian(20_000, 10, 5), treatment: gaussian(20_000, 10.5, 5) }).harmful).toBe(false)
  })

  it('a non-significant change is not harm', () => {
    const c = run({ treatment: bernoulli(20_000, 0.0105) })
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

  it('harm smaller than the relative margin is tolerated', () => {
    const data = { control: bernoulli(1_000_000, 0.02), treatment: bernoulli(1_000_000, 0.022) }
    const strict = run({ ...data, metric: { ...errors, margin: 0 } })
    expect(strict.ci![0]).toBeGreaterThan(0)
    expect(strict.harmful).toBe(true)
    // margin 0.5 × control mean 0.02 = 0.01 absolute; the whole interval lies below it
    const tolerant = run({ ...data, metric: { ...errors, margin: 0.5 } })
    expect(tolerant.ci![0]).toBeLessThan(0.01)
    expect(tolerant.harmful).toBe(false)
  })

  it('harm beyond the margin is still harm', () => {
    const c = run({ metric: { ...errors, margin: 0.1 }, control: bernoulli(200_000, 0.01), treatment: bernoulli(200_000, 0.03) })
    expect(c.ci![0]).toBeGreaterThan(0.001)
    expect(c.harmful).toBe(true)
  })

  it('a guardrail whose control arm has no errors at all still detects a jump to 10% errors', () => {
    const c = run({ control: bernoulli(20_000, 0), treatment: bernoulli(20_000, 0.1) })
    expect(c.status).toBe('ok')
    expect(c.treatmentMean).toBeCloseTo(0.1, 12)
    expect(c.sequentialP!).toBeLessThan(0.05)
    expect(c.harmful).toBe(true)
  })
})

describe('compare: mixing variance', () => {
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
