import { beforeAll, describe, expect, it } from 'vitest'
import { srmChiSquare } from '../../../src/stats/index.js'
import { relErr, runPython } from '../../support/python.js'

const cases = [
  { counts: [5000, 5100], weights: [50, 50] },
  { counts: [10000, 10600], weights: [1, 1] },
  { counts: [980, 2050, 1010], weights: [25, 50, 25] },
  { counts: [100, 100, 100, 170], weights: [1, 1, 1, 1] },
  { counts: [123456789, 123470000], weights: [0.5, 0.5] },
  { counts: [90, 10], weights: [0.5, 0.5] }, // p ~ 1e-15
  { counts: [3, 4], weights: [1, 1] }, // expected < 5: statistic still returned
  { counts: [1e6, 1.2e6], weights: [1, 1] }, // p underflows toward 1e-2000 → 0 in both
]

describe('srmChiSquare vs scipy.stats.chisquare', () => {
  let ref: { chi2: number; p: number }[] = []
  beforeAll(() => {
    ref = runPython('scipy-tests.py', cases.map((c) => ({ op: 'chisquare', ...c })))
  })
  it('matches statistic and p within 1e-6 relative', () => {
    let worst = 0
    cases.forEach((c, i) => {
      const r = srmChiSquare(c)
      worst = Math.max(worst, relErr(r.chiSquare, ref[i]!.chi2), relErr(r.pValue, ref[i]!.p))
      expect(relErr(r.chiSquare, ref[i]!.chi2)).toBeLessThan(1e-6)
      expect(relErr(r.pValue, ref[i]!.p)).toBeLessThan(1e-6)
      expect(r.df).toBe(c.counts.length - 1)
    })
    console.log(`srmChiSquare vs scipy.stats.chisquare: max rel err ${worst.toExponential(2)}`)
  })
})

describe('srmChiSquare degenerate inputs', () => {
  it('flags expected counts below 5 but still computes', () => {
    const r = srmChiSquare({ counts: [3, 4], weights: [1, 1] })
    expect(r.status).toBe('INSUFFICIENT_SAMPLE')
    expect(r.chiSquare).not.toBeNull()
  })
  it('total 0 → INSUFFICIENT_SAMPLE with null statistic', () => {
    expect(srmChiSquare({ counts: [0, 0], weights: [1, 1] })).toMatchObject({ status: 'INSUFFICIENT_SAMPLE', chiSquare: null, pValue: null, expected: [0, 0] })
  })
  it.each([
    { counts: [-1, 5], weights: [1, 1] },
    { counts: [Number.NaN, 5], weights: [1, 1] },
    { counts: [5, 5], weights: [1, 0] },
    { counts: [5, 5], weights: [1] },
    { counts: [5], weights: [1] },
    { counts: [Infinity, 5], weights: [1, 1] },
  ])('invalid %j → INVALID_INPUT', (c) => {
    const r = srmChiSquare(c)
    expect(r.status).toBe('INVALID_INPUT')
    expect(r.pValue).toBeNull()
  })
  it('ok with balanced counts', () => {
    const r = srmChiSquare({ counts: [500, 500], weights: [1, 1] })
    expect(r).toMatchObject({ status: 'ok', chiSquare: 0, pValue: 1 })
  })
})
