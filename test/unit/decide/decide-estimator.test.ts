/**
 * Ratio and CUPED metrics in the decision (issue 14 item 7): the comparison is made on the
 * ratio (delta method) or the CUPED-adjusted means, not on the per-unit numerator or raw mean.
 * Expected values are computed here from the raw sums by the textbook formulas.
 */
import { describe, expect, it } from 'vitest'
import { cupedEvidence, type CupedArm } from '../../../src/decide/cuped-evidence.js'
import { decide } from '../../../src/decide/decide.js'
import type { MetricMoments } from '../../../src/decide/evidence.js'
import { verdictEvidence } from '../../../src/decide/verdict-evidence.js'
import type { ArmStats } from '../../../src/stats/arm-estimate.js'
import { createRng } from '../../../src/stats/random.js'
import { DAY, T0, bernoulli, evaluationFixture, runningRecord, specFixture } from '../../support/fixtures.js'

const N = 20_000
const rng = createRng({ seed: 20261202 })

/** Unit-level sums of (y, d) or (y, x) for one arm. */
function arm(n: number, unit: () => [number, number], as: 'ratio' | 'cuped'): ArmStats {
  let sum = 0, sumSquares = 0, s2 = 0, s22 = 0, cross = 0
  for (let i = 0; i < n; i++) {
    const [a, b] = unit()
    sum += a; sumSquares += a * a; s2 += b; s22 += b * b; cross += a * b
  }
  return as === 'ratio'
    ? { n, sum, sumSquares, denominatorSum: s2, denominatorSumSquares: s22, crossSum: cross }
    : { n, sum, sumSquares, covariateSum: s2, covariateSumSquares: s22, covariateCrossSum: cross }
}
const moments = (a: ArmStats) => ({ n: a.n, sum: a.sum, sumSquares: a.sumSquares })

describe('ratio metric', () => {
  // Revenue per session: sessions per unit 1–5, revenue per session ~ 2.0 (control) vs 2.1 (treatment).
  const unit = (perSession: number) => (): [number, number] => {
    const d = 1 + Math.floor(rng.uniform() * 5)
    return [d * perSession + rng.normal() * 0.8, d]
  }
  const c = arm(N, unit(2.0), 'ratio')
  const t = arm(N, unit(2.1), 'ratio')
  const spec = specFixture({ metrics: { primary: { name: 'conversion' }, secondary: [{ name: 'rps', type: 'ratio', numerator: 'revenue', denominator: 'sessions' }], guardrails: [{ name: 'error_rate', direction: 'decrease' }] } })
  const base = evaluationFixture({ record: runningRecord(spec), now: T0 + DAY })
  const rps: MetricMoments = { metric: 'rps', type: 'ratio', byVariant: { control: moments(c), treatment: moments(t) }, arms: { control: c, treatment: t } }
  const out = decide({ ...base, metrics: [...base.metrics, rps] })
  const cmp = out.comparisons.find((x) => x.metric === 'rps')!

  it('is compared on Σnumerator/Σdenominator, not on the per-unit numerator', () => {
    const rc = c.sum / c.denominatorSum!
    const rt = t.sum / t.denominatorSum!
    expect(cmp.estimator).toBe('ratio')
    expect(cmp.controlMean).toBeCloseTo(rc, 12)
    expect(cmp.treatmentMean).toBeCloseTo(rt, 12)
    expect(cmp.effect).toBeCloseTo(rt - rc, 12)
    expect(cmp.relativeEffect).toBeCloseTo((rt - rc) / rc, 12)
    // The per-unit numerator means differ by ~0.3 (3 sessions × 0.1): far from the ratio's 0.1.
    expect(Math.abs(t.sum / t.n - c.sum / c.n - cmp.effect!)).toBeGreaterThan(0.1)
  })

  it('its Welch p-value uses the delta-method variance of each ratio', () => {
    // Var(Ȳ/D̄) ≈ (s_Y² − 2R·s_YD + R²·s_D²) / (n·D̄²)  (Deng, Knoblich & Lu 2018, eq. 2)
    const deltaVar = (a: ArmStats) => {
      const n = a.n, my = a.sum / n, md = a.denominatorSum! / n, r = a.sum / a.denominatorSum!
      const sy = (a.sumSquares - n * my * my) / (n - 1)
      const sd = (a.denominatorSumSquares! - n * md * md) / (n - 1)
      const syd = (a.crossSum! - n * my * md) / (n - 1)
      return (sy - 2 * r * syd + r * r * sd) / (n * md * md)
    }
    const z = cmp.effect! / Math.sqrt(deltaVar(c) + deltaVar(t))
    // two-sided normal p (n = 20,000 per arm: Student t with Welch df is within 1e-4 of it)
    const phi = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2))
    expect(cmp.welchP!).toBeCloseTo(2 * (1 - phi(Math.abs(z))), 3)
  })
})

describe('CUPED metric', () => {
  // Revenue with a strong pre-period covariate: y = x + effect + noise(σ=2), x ~ N(20, 6²).
  const unit = (effect: number) => (): [number, number] => {
    const x = 20 + 6 * rng.normal()
    return [x + effect + 2 * rng.normal(), x]
  }
  const c = arm(N, unit(0), 'cuped')
  const t = arm(N, unit(0.08), 'cuped')
  const spec = specFixture({ metrics: { primary: { name: 'revenue', covariate: { prePeriod: '7d' } }, guardrails: [{ name: 'error_rate', direction: 'decrease' }] } })
  const cupedArms: Record<string, CupedArm> = { control: { ...c, unitsWithCovariate: N }, treatment: { ...t, unitsWithCovariate: N } }
  const cuped = cupedEvidence({ arms: cupedArms, type: 'mean', control: 'control', covariate: 'revenue', exposure: null, prePeriodMs: 7 * DAY })
  const revenue: MetricMoments = { metric: 'revenue', type: 'mean', byVariant: { control: moments(c), treatment: moments(t) }, arms: { control: c, treatment: t }, cuped }
  const record = runningRecord(spec, { step: 2, stepStartedAt: T0 + DAY })
  const base = evaluationFixture({ record, now: T0 + 3 * DAY, metrics: { error_rate: { control: bernoulli(N, 0.01), treatment: bernoulli(N, 0.01) } } })
  const out = decide({ ...base, metrics: [...base.metrics, revenue] })
  const cmp = out.comparisons.find((x) => x.metric === 'revenue')!

  it('is decided on the adjusted means with the joint θ, and reports the variance reduction', () => {
    // θ = Cov(y, x)/Var(x) over both arms (joint sample, as gbstats), computed here from the sums.
    const n = c.n + t.n
    const sx = c.covariateSum! + t.covariateSum!, sy = c.sum + t.sum
    const cov = (c.covariateCrossSum! + t.covariateCrossSum! - (sx * sy) / n) / (n - 1)
    const vx = (c.covariateSumSquares! + t.covariateSumSquares! - (sx * sx) / n) / (n - 1)
    const theta = cov / vx
    const adjusted = (a: ArmStats) => a.sum / a.n - theta * (a.covariateSum! / a.n - sx / n)
    expect(cmp.estimator).toBe('cuped')
    expect(cmp.cupedTheta).toBeCloseTo(theta, 10)
    expect(cmp.effect).toBeCloseTo(adjusted(t) - adjusted(c), 10)
    // raw means stay the raw means
    expect(cmp.controlMean).toBeCloseTo(c.sum / c.n, 12)
    // y = x + noise(σ=2) with Var(x) = 36: the adjusted variance is ~4/40 of the raw one (reduction ≈ 90%)
    expect(cmp.varianceReduction!).toBeGreaterThan(0.85)
    expect(cmp.varianceReduction!).toBeCloseTo(cuped.varianceReduction!, 10)
  })

  it('a conclusive CUPED primary completes with the variance reduction in its reason and evidence', () => {
    // Raw, the 0.08 shift is ~1.3 standard errors (σ ≈ 6.3, n = 20,000): not conclusive without CUPED;
    // adjusted (σ ≈ 2) it is ~4.
    expect(out.decision).toBe('complete')
    expect(out.reasons.map((r) => r.message).join(' ')).toMatch(/revenue .* \(lift [^,]+, CUPED variance reduction 9\d\.?\d*%, msprt p=/)
    const ev = JSON.parse(verdictEvidence(out)) as { comparisons: Array<{ metric: string; estimator?: string; varianceReduction?: number; cupedTheta?: number }> }
    expect(ev.comparisons.find((x) => x.metric === 'revenue')).toMatchObject({ estimator: 'cuped', varianceReduction: cmp.varianceReduction, cupedTheta: cmp.cupedTheta })
  })

  it('without CUPED evidence the same data is tested on the raw means and stays inconclusive', () => {
    const raw = decide({ ...base, metrics: [...base.metrics, { ...revenue, arms: undefined, cuped: undefined }] })
    const r = raw.comparisons.find((x) => x.metric === 'revenue')!
    expect(r.estimator).toBeUndefined()
    expect(r.effect).toBeCloseTo(t.sum / t.n - c.sum / c.n, 12)
    expect(raw.decision).not.toBe('complete')
  })
})

/** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): an erf independent of the code under test. */
function erf(x: number): number {
  const s = Math.sign(x)
  const a = Math.abs(x)
  const k = 1 / (1 + 0.3275911 * a)
  const y = 1 - ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k * Math.exp(-a * a)
  return s * y
}
