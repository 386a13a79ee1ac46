import { normalSf } from '../../../src/stats/normal.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { groupSequential, gstBoundaries, type Spending } from '../../../src/stats/index.js'
import { runPython } from '../../support/python.js'

const designs: { t: number[]; alpha: number; spending: Spending; sided: 'two' | 'greater' }[] = [
  { t: [0.2, 0.4, 0.6, 0.8, 1], alpha: 0.05, spending: 'obf', sided: 'two' },
  { t: [0.25, 0.5, 0.75, 1], alpha: 0.05, spending: 'pocock', sided: 'two' },
  { t: [0.3, 0.7, 1], alpha: 0.05, spending: 'obf', sided: 'two' },
  { t: [0.15, 0.45, 0.8, 1], alpha: 0.025, spending: { power: 2 }, sided: 'greater' },
]

describe('Lan–DeMets boundaries vs independent MVN-CDF implementation (test/support/py/gst-mvn.py)', () => {
  let ref: { boundaries: number[] }[] = []
  beforeAll(() => {
    ref = runPython('gst-mvn.py', designs)
  }, 120_000)
  it('agree within 1e-3', () => {
    let worst = 0
    designs.forEach((d, i) => {
      const r = gstBoundaries({ informationFractions: d.t, alpha: d.alpha, spending: d.spending, sided: d.sided })
      expect(r.status).toBe('ok')
      r.boundaries.forEach((c, k) => {
        worst = Math.max(worst, Math.abs(c - ref[i]!.boundaries[k]!))
      })
      expect(r.cumulativeAlpha.at(-1)).toBeCloseTo(d.alpha, 10)
    })
    console.log(`max |Δc| vs MVN reference: ${worst.toExponential(2)}`)
    expect(worst).toBeLessThan(1e-3)
  })
})

describe('group sequential behaviour', () => {
  it('first two-sided OBF boundary spends exactly α_side(t₁) = 2Φ̄(z_{1−α/4}/√t₁) per side', () => {
    const r = gstBoundaries({ informationFractions: [0.25, 1], alpha: 0.05, spending: 'obf' })
    const sideSpent = 2 * normalSf(2.241402727604947 / 0.5)
    expect(normalSf(r.boundaries[0]!) / sideSpent).toBeCloseTo(1, 9)
    expect(r.boundaries[0]).toBeCloseTo(4.3326, 4) // = the published first boundary for K = 4
  })
  it('rescales fractions when the sample overruns the plan', () => {
    const r = gstBoundaries({ informationFractions: [0.5, 1.25], alpha: 0.05, spending: 'pocock' })
    expect(r.rescaled).toBe(true)
    expect(r.informationFractions).toEqual([0.4, 1])
    expect(r.cumulativeAlpha[1]).toBeCloseTo(0.05, 10)
  })
  it('rejects invalid fractions as data', () => {
    for (const f of [[], [0.5, 0.4], [0, 1], [Number.NaN]]) {
      expect(gstBoundaries({ informationFractions: f, alpha: 0.05, spending: 'obf' }).status).toBe('INVALID_INPUT')
    }
    expect(groupSequential({ effect: 1, se: 1, look: 3, informationFractions: [0.5, 1], alpha: 0.05, spending: 'obf' }).status).toBe('INVALID_INPUT')
    expect(groupSequential({ effect: 1, se: 0, look: 1, informationFractions: [0.5, 1], alpha: 0.05, spending: 'obf' }).status).toBe('ZERO_VARIANCE')
  })
  it('stage-wise p-value ≤ α(t_k) exactly when the boundary is crossed', () => {
    const t = [0.25, 0.5, 0.75, 1]
    for (const z of [1.5, 2.2, 2.5, 2.9, 3.5]) {
      const r = groupSequential({ effect: z, se: 1, look: 3, informationFractions: t, alpha: 0.05, spending: 'obf' })
      const spent = r.boundaries.cumulativeAlpha[2]!
      expect(r.crossed).toBe(r.pValue! <= spent + 1e-12)
    }
  })
})
