import { describe, expect, it } from 'vitest'
import { msprt, welch, type Moments } from '../../../src/stats/index.js'

const ok: Moments = { n: 100, sum: 500, sumSquares: 2600 }

/** No number anywhere in a result may be NaN. */
function assertNoNaN(x: unknown): void {
  JSON.stringify(x, (_k, v) => {
    if (typeof v === 'number') expect(Number.isNaN(v)).toBe(false)
    return v
  })
}

const degenerate: [string, Moments, string][] = [
  ['n = 0', { n: 0, sum: 0, sumSquares: 0 }, 'INSUFFICIENT_SAMPLE'],
  ['n = 1', { n: 1, sum: 3, sumSquares: 9 }, 'INSUFFICIENT_SAMPLE'],
  ['negative n', { n: -5, sum: 1, sumSquares: 1 }, 'INVALID_INPUT'],
  ['NaN sum', { n: 10, sum: Number.NaN, sumSquares: 1 }, 'INVALID_INPUT'],
  ['infinite sumSquares', { n: 10, sum: 1, sumSquares: Infinity }, 'INVALID_INPUT'],
  ['sumSquares < sum²/n', { n: 10, sum: 100, sumSquares: 10 }, 'INVALID_INPUT'],
  ['negative sumSquares', { n: 10, sum: 0, sumSquares: -1 }, 'INVALID_INPUT'],
  ['n = 0 with a sum', { n: 0, sum: 4, sumSquares: 16 }, 'INVALID_INPUT'],
]

describe.each([
  ['welch', (c: Moments, t: Moments, alpha = 0.05) => welch({ control: c, treatment: t, alpha })],
  ['msprt', (c: Moments, t: Moments, alpha = 0.05) => msprt({ control: c, treatment: t, alpha, tau2: 0.1 })],
])('%s degenerate inputs are data', (_name, run) => {
  it.each(degenerate)('%s → %s', (_label, bad, code) => {
    for (const r of [run(bad, ok), run(ok, bad)]) {
      expect(r.status).toBe(code)
      expect(r.pValue).toBeNull()
      expect(r.ci).toBeNull()
      assertNoNaN(r)
    }
  })
  it('zero variance in both arms → ZERO_VARIANCE, effect still reported', () => {
    const r = run({ n: 10, sum: 50, sumSquares: 250 }, { n: 10, sum: 60, sumSquares: 360 })
    expect(r.status).toBe('ZERO_VARIANCE')
    expect(r.effect).toBeCloseTo(1, 12)
    expect(r.pValue).toBeNull()
    assertNoNaN(r)
  })
  it('all-zero conversions → ZERO_VARIANCE', () => {
    const z = { n: 1000, sum: 0, sumSquares: 0 }
    const r = run(z, z)
    expect(r.status).toBe('ZERO_VARIANCE')
    expect(r.effect).toBe(0)
  })
  it('zero variance in one arm only is fine', () => {
    const r = run({ n: 10, sum: 50, sumSquares: 250 }, ok)
    expect(r.status).toBe('ok')
    assertNoNaN(r)
  })
  it('n = 1e9 works', () => {
    const big = (m: number): Moments => ({ n: 1e9, sum: 1e9 * m, sumSquares: 1e9 * (m * m + 4) })
    const r = run(big(10), big(10.001))
    expect(r.status).toBe('ok')
    expect(r.pValue).toBeGreaterThan(0)
    expect(r.pValue).toBeLessThan(1)
    assertNoNaN(r)
  })
  it('bad alpha → INVALID_INPUT, nothing significant', () => {
    const fine = { n: 100, sum: 560, sumSquares: 3300 }
    expect(run(ok, fine).status).toBe('ok')
    for (const alpha of [0, 1, 1.5, -0.1, Number.NaN]) {
      const r = run(ok, fine, alpha)
      expect(r.status, `alpha ${alpha}`).toBe('INVALID_INPUT')
      expect(r.pValue).toBeNull()
      expect(r.ci).toBeNull()
      if ('significant' in r) expect(r.significant).toBe(false)
      assertNoNaN(r)
    }
  })
})

describe('msprt parameters', () => {
  it('τ² ≤ 0 or non-finite → INVALID_INPUT', () => {
    for (const tau2 of [0, -1, Number.NaN, Infinity]) {
      const r = msprt({ control: ok, treatment: ok, alpha: 0.05, tau2 })
      expect(r.status).toBe('INVALID_INPUT')
      expect(r.significant).toBe(false)
    }
  })
})
