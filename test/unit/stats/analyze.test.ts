import { describe, expect, it } from 'vitest'
import { analyze, welch } from '../../../src/stats/index.js'

const control = { name: 'control', n: 1000, sum: 5000, sumSquares: 29000 }
const treatment = { name: 'b', n: 1010, sum: 5300, sumSquares: 31000 }

function noNaN(x: unknown): void {
  JSON.stringify(x, (_k, v) => {
    if (typeof v === 'number') expect(Number.isNaN(v)).toBe(false)
    return v
  })
}

describe('analyze()', () => {
  it('welch on means matches welch()', () => {
    const out = analyze({ metric: { type: 'mean', lift: 'absolute' }, method: 'welch', alpha: 0.05, sided: 'two', variants: [control, treatment] })
    expect(out.ok).toBe(true)
    if (!out.ok) return
    const ref = welch({ control, treatment, alpha: 0.05 })
    const c = out.comparisons[0]!
    expect(c.pValue).toBeCloseTo(ref.pValue!, 14)
    expect(c.ci).toEqual(ref.ci)
    expect(c.decision).toBe(ref.pValue! <= 0.05 ? 'significant' : 'not significant')
    expect(out.srm.pValue).toBeGreaterThan(0.5)
  })

  it.each(['welch', 'msprt', 'confseq', 'gst'] as const)('%s works for every metric type and lift, and never emits NaN', (method) => {
    for (const type of ['mean', 'proportion', 'ratio'] as const) {
      for (const lift of ['absolute', 'relative'] as const) {
        const vs = type === 'proportion'
          ? [{ name: 'c', n: 5000, sum: 500 }, { name: 't', n: 5000, sum: 560 }, { name: 't2', n: 5000, sum: 0 }]
          : [control, treatment].map((v) => ({ ...v, denominatorSum: v.n * 2, denominatorSumSquares: v.n * 5, crossSum: v.sum * 2.1 }))
        const out = analyze({
          metric: { type, lift }, method, alpha: 0.05, sided: 'two',
          msprt: { tau: lift === 'relative' ? 0.05 : 0.3 }, confseq: { tuningN: 5000 },
          gst: { informationFractions: [0.25, 0.5, 0.75, 1], look: 2, spending: 'obf' },
          variants: vs,
        })
        expect(out.ok).toBe(true)
        noNaN(out)
        if (out.ok) {
          expect(out.comparisons[0]!.status).toBe('ok')
          if (method === 'gst') expect(out.comparisons[0]!.boundary).toBeGreaterThan(0)
        }
      }
    }
  })

  it('CUPED narrows the interval when the covariate predicts the metric', () => {
    const withCov = (v: typeof control, shift: number) => ({ ...v, covariateSum: v.sum - shift * v.n, covariateSumSquares: v.sumSquares * 0.98, covariateCrossSum: v.sumSquares * 0.97 })
    const plain = analyze({ metric: { type: 'mean' }, variants: [control, treatment] })
    const cuped = analyze({ metric: { type: 'mean' }, variants: [withCov(control, 0), withCov(treatment, 0.3)] })
    expect(plain.ok && cuped.ok).toBe(true)
    if (plain.ok && cuped.ok) {
      // θ pooled from within-arm moments, written out from the sums: Σ(ΣXY − ΣXΣY/n) / Σ(ΣX² − (ΣX)²/n)
      // (the formula itself is checked against unit-level OLS in cuped-ols.test.ts).
      const arms = [withCov(control, 0), withCov(treatment, 0.3)]
      const num = arms.reduce((a, v) => a + v.covariateCrossSum - (v.covariateSum * v.sum) / v.n, 0)
      const den = arms.reduce((a, v) => a + v.covariateSumSquares - (v.covariateSum * v.covariateSum) / v.n, 0)
      expect(cuped.cupedTheta!).toBeCloseTo(num / den, 12)
      expect(cuped.comparisons[0]!.se!).toBeLessThan(plain.comparisons[0]!.se!)
    }
  })

  it('one-sided intervals serialize their open end as null', () => {
    const out = analyze({ metric: { type: 'mean' }, sided: 'greater', variants: [control, treatment] })
    if (!out.ok) throw new Error('expected ok')
    expect(out.comparisons[0]!.ci![1]).toBeNull()
  })

  it.each([
    [{ metric: { type: 'mean' }, variants: [control] }, 'variants'],
    [{ metric: { type: 'median' }, variants: [control, treatment] }, 'metric.type'],
    [{ metric: { type: 'mean' }, variants: [control, { name: 'b', n: 5, sum: 1 }] }, 'variants.1.sumSquares'],
    [{ metric: { type: 'ratio' }, variants: [control, treatment] }, 'variants.0.denominatorSum'],
    [{ metric: { type: 'mean' }, method: 'gst', variants: [control, treatment] }, 'gst'],
    [{ metric: { type: 'mean' }, method: 'gst', gst: { informationFractions: [0.5, 1], look: 3 }, variants: [control, treatment] }, 'gst.look'],
    [{ metric: { type: 'mean' }, method: 'msprt', variants: [control, treatment] }, 'msprt.tau'],
    [{ metric: { type: 'mean' }, alpha: 2, variants: [control, treatment] }, 'alpha'],
    [{ metric: { type: 'mean' }, weights: [1], variants: [control, treatment] }, 'weights'],
    [{ metric: { type: 'proportion' }, variants: [{ name: 'a', n: 10, sum: 11 }, { name: 'b', n: 10, sum: 1 }] }, 'variants.0.sum'],
    [{ metric: { type: 'mean' }, variants: [control, { ...treatment, n: -1 }] }, 'variants.1.n'],
  ])('bad input %# names the field', (input, path) => {
    const out = analyze(input)
    expect(out.ok).toBe(false)
    if (!out.ok) expect(out.errors.map((e) => e.path)).toContain(path)
  })

  it('degenerate variants come back as statuses', () => {
    const out = analyze({ metric: { type: 'mean' }, variants: [control, { name: 'one', n: 1, sum: 3, sumSquares: 9 }, { name: 'flat', n: 10, sum: 50, sumSquares: 250 }] })
    if (!out.ok) throw new Error('expected ok')
    expect(out.comparisons.map((c) => c.status)).toEqual(['INSUFFICIENT_SAMPLE', 'ok'])
    expect(out.comparisons[0]!.decision).toBe('not significant')
    noNaN(out)
  })
})
