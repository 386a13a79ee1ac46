/**
 * Minimum sample per look from measured skewness (Kohavi et al. n > 355·s²): a Pocock design
 * on a lognormal metric with a 10% canary split, one-sided, A/A. Early looks, where the smaller
 * arm has 150–300 units, reject far more often than their share of α; gating each look on the
 * skewness measured from Σx³ brings the whole procedure back to ≤ α + 2·MC SE.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { gstBoundaries } from '../../../src/stats/gst.js'
import { lookHasSample, minSamplePerLook, skewnessFromMoments, type SkewMoments } from '../../../src/stats/min-sample.js'
import { createRng } from '../../../src/stats/random.js'
import { relErr, runPython } from '../../support/python.js'

const samples = (() => {
  const rng = createRng({ seed: 5 })
  return [
    Array.from({ length: 500 }, () => Math.exp(0.5 * rng.normal())),
    Array.from({ length: 2000 }, () => Math.exp(1.2 * rng.normal())),
    Array.from({ length: 300 }, () => -Math.log(1 - rng.uniform())), // exponential: skew 2
    Array.from({ length: 50 }, () => rng.normal()),
  ]
})()
const momentsOf = (v: number[]): SkewMoments => v.reduce((m, x) => ({ n: m.n + 1, sum: m.sum + x, sumSquares: m.sumSquares + x * x, sumCubes: m.sumCubes + x * x * x }), { n: 0, sum: 0, sumSquares: 0, sumCubes: 0 })

describe('skewness from sufficient statistics agrees with scipy.stats.skew (computed in this run)', () => {
  let ref: { skewness: number }[] = []
  beforeAll(() => { ref = runPython('min-sample.py', samples.map((values) => ({ values }))) })
  it('to 1e-8, and the rule is ⌈355·s²⌉', () => {
    samples.forEach((v, i) => {
      const s = skewnessFromMoments(momentsOf(v))
      expect(s.status).toBe('ok')
      expect(relErr(s.skewness, ref[i]!.skewness, 1e-6)).toBeLessThan(1e-8)
    })
    expect(minSamplePerLook({ skewness: 2 }).minUnits).toBe(1420)
    expect(minSamplePerLook({ skewness: -1.75 }).minUnits).toBe(Math.ceil(355 * 1.75 * 1.75))
    expect(minSamplePerLook({ skewness: NaN }).status).toBe('INVALID_INPUT')
    expect(skewnessFromMoments({ n: 2, sum: 1, sumSquares: 1, sumCubes: 1 }).status).toBe('INSUFFICIENT_SAMPLE')
    expect(skewnessFromMoments({ n: 10, sum: 30, sumSquares: 90, sumCubes: 270 }).status).toBe('ZERO_VARIANCE')
  })
})

describe('Pocock on lognormal data, gated by measured skewness (A/A, 10 looks, 10% canary, one-sided, seed 11)', () => {
  const REPS = 2000
  const LOOKS = 10
  const [M_T, M_C] = [150, 1350]
  const ALPHA = 0.05
  it('ungated FPR exceeds α + 2·MC SE; gated FPR ≤ α + 2·MC SE and later looks are still tested', () => {
    const b = gstBoundaries({ informationFractions: Array.from({ length: LOOKS }, (_, k) => (k + 1) / LOOKS), alpha: ALPHA, sided: 'less', spending: 'pocock' }).boundaries
    const rng = createRng({ seed: 11 })
    let ungated = 0
    let gated = 0
    let testedLooks = 0
    const rejectByLook = new Array<number>(LOOKS).fill(0)
    for (let r = 0; r < REPS; r++) {
      const c: SkewMoments = { n: 0, sum: 0, sumSquares: 0, sumCubes: 0 }
      const t: SkewMoments = { n: 0, sum: 0, sumSquares: 0, sumCubes: 0 }
      let doneU = false
      let doneG = false
      for (let k = 0; k < LOOKS; k++) {
        for (const [arm, m] of [[c, M_C], [t, M_T]] as const) {
          for (let i = 0; i < m; i++) {
            const x = Math.exp(0.5 * rng.normal())
            arm.n++; arm.sum += x; arm.sumSquares += x * x; arm.sumCubes += x * x * x
          }
        }
        const v = (a: SkewMoments) => (a.sumSquares - (a.sum * a.sum) / a.n) / (a.n - 1) / a.n
        const z = (t.sum / t.n - c.sum / c.n) / Math.sqrt(v(c) + v(t))
        const hit = -z >= b[k]!
        if (hit && !doneU) { doneU = true; rejectByLook[k]!++ }
        const gate = lookHasSample({ control: c, treatment: t })
        if (gate.ready) testedLooks++
        if (hit && gate.ready) doneG = true
      }
      if (doneU) ungated++
      if (doneG) gated++
    }
    const mcSe = Math.sqrt((ALPHA * (1 - ALPHA)) / REPS) // 0.0049
    const rates = { ungated: ungated / REPS, gated: gated / REPS, testedLookShare: testedLooks / (REPS * LOOKS), firstLooks: rejectByLook.slice(0, 2).map((x) => x / REPS) }
    console.log(`Pocock lognormal(σ=0.5) A/A: ${JSON.stringify(rates)}; MC SE ${mcSe.toFixed(4)}; rule 355·s² = ${Math.ceil(355 * 1.75 ** 2)} for the true skew 1.75`)
    expect(rates.ungated).toBeGreaterThan(ALPHA + 2 * mcSe)
    expect(rates.gated).toBeLessThanOrEqual(ALPHA + 2 * mcSe)
    expect(rates.testedLookShare).toBeGreaterThan(0.15) // looks 8–10 (1,200–1,500 canary units) are tested
  }, 120_000)
})
