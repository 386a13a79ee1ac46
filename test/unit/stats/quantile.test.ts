import { beforeAll, describe, expect, it } from 'vitest'
import { quantileCompare } from '../../../src/stats/quantile-compare.js'
import { quantileArmStatsOf } from '../../../src/stats/quantile-sample.js'
import { quantileBoundLevels, quantileEstimate, quantileSampleSufficient } from '../../../src/stats/quantile.js'
import { createRng } from '../../../src/stats/random.js'
import { relErr, runPython } from '../../support/python.js'

/** Raw events: `units` units, 1 + Poisson-ish events each, lognormal values with a per-unit effect. */
function events(seed: number, units: number, { perUnit, unitSd, shift }: { perUnit: number; unitSd: number; shift: number }) {
  const rng = createRng({ seed })
  const values: number[] = []
  const ids: number[] = []
  for (let u = 0; u < units; u++) {
    const k = 1 + Math.floor(rng.uniform() * 2 * (perUnit - 1) + 0.5 * rng.uniform())
    const mu = unitSd * rng.normal()
    for (let j = 0; j < k; j++) {
      values.push(Math.round(100 * Math.exp(shift + mu + 0.8 * rng.normal())) / 10) // ms with 0.1 resolution: ties happen
      ids.push(u)
    }
  }
  return { values, units: ids }
}

const cases = [
  { level: 0.5, clustered: false, relative: false, c: events(1, 2000, { perUnit: 1, unitSd: 0, shift: 0 }), t: events(2, 2100, { perUnit: 1, unitSd: 0, shift: 0.05 }) },
  { level: 0.95, clustered: false, relative: true, c: events(3, 3000, { perUnit: 1, unitSd: 0, shift: 0 }), t: events(4, 2900, { perUnit: 1, unitSd: 0, shift: 0 }) },
  { level: 0.95, clustered: true, relative: false, c: events(5, 800, { perUnit: 5, unitSd: 0.6, shift: 0 }), t: events(6, 820, { perUnit: 5, unitSd: 0.6, shift: 0.1 }) },
  { level: 0.99, clustered: true, relative: true, c: events(7, 1500, { perUnit: 4, unitSd: 0.4, shift: 0 }), t: events(8, 1500, { perUnit: 4, unitSd: 0.4, shift: 0.02 }) },
  { level: 0.9, clustered: true, relative: false, c: events(9, 300, { perUnit: 8, unitSd: 1, shift: 0 }), t: events(10, 310, { perUnit: 8, unitSd: 1, shift: 0 }) },
  { level: 0.1, clustered: true, relative: true, c: events(11, 1000, { perUnit: 3, unitSd: 0.3, shift: 0 }), t: events(12, 1000, { perUnit: 3, unitSd: 0.3, shift: -0.1 }) },
]

const stripSums = (s: ReturnType<typeof quantileArmStatsOf>) => ({ events: s.events, units: s.units, quantile: s.quantile, lower: s.lower, upper: s.upper })

describe('quantile comparison agrees with gbstats 0.8.0 QuantileStatistic / QuantileClusteredStatistic (computed in this run)', () => {
  let ref: any[] = []
  beforeAll(() => {
    ref = runPython('quantile-gbstats.py', cases.map((k) => ({ level: k.level, clustered: k.clustered, relative: k.relative, alpha: 0.05, control: k.c, treatment: k.t })))
  })

  it('SQL inputs (order statistics and per-unit sums) match numpy recomputed from the raw events', () => {
    cases.forEach((k, i) => {
      const mine = [quantileArmStatsOf({ values: k.c.values, units: k.c.units, level: k.level }), quantileArmStatsOf({ values: k.t.values, units: k.t.units, level: k.level })]
      expect(mine).toEqual(ref[i].inputs)
    })
  })

  it('per-arm variance, effect, se match to 1e-9; the normal CI is effect ± z·se of gbstats; gbstats’ t interval within 0.2%', () => {
    let worst = 0
    cases.forEach((k, i) => {
      const e = ref[i]
      const arms = e.inputs.map((s: any) => (k.clustered ? s : stripSums(s)))
      const cE = quantileEstimate({ arm: arms[0], level: k.level })
      const tE = quantileEstimate({ arm: arms[1], level: k.level })
      worst = Math.max(worst, relErr(cE.variance, e.armVariance[0]), relErr(tE.variance, e.armVariance[1]))
      const r = quantileCompare({ control: arms[0], treatment: arms[1], level: k.level, lift: k.relative ? 'relative' : 'absolute', config: { method: 'welch', alpha: 0.05, sided: 'two' } })
      expect(r.status).toBe('ok')
      expect(e.error ?? '').toBe('')
      worst = Math.max(worst, relErr(r.effect, e.effect), relErr(r.se, e.se))
      const z = 1.959963984540054
      expect(r.ci![0]).toBeCloseTo(e.effect - z * e.se, 9)
      expect(r.ci![1]).toBeCloseTo(e.effect + z * e.se, 9)
      const half = (e.ci[1] - e.ci[0]) / 2
      expect(Math.abs((r.ci![1] - r.ci![0]) / 2 - half) / half).toBeLessThan(2e-3)
    })
    expect(worst).toBeLessThan(1e-9)
  })

  it('cluster correction: design effect > 1 with a per-unit random effect, ≈ 1 without', () => {
    const dep = quantileEstimate({ arm: ref[2].inputs[0], level: 0.95 })
    const ind = quantileEstimate({ arm: ref[1].inputs[0], level: 0.95 })
    expect(dep.designEffect!).toBeGreaterThan(1.5)
    expect(Math.abs(ind.designEffect! - 1)).toBeLessThan(0.1)
  })
})

describe('quantile minimum sample and degenerate inputs', () => {
  it('p99 needs both bound levels inside (0,1) and 20 tail events: 1,999 events is too few, 2,000 enough', () => {
    expect(quantileSampleSufficient({ events: 1999, level: 0.99 })).toBe(false)
    expect(quantileSampleSufficient({ events: 2000, level: 0.99 })).toBe(true)
    // gbstats' own rule alone (bounds inside (0,1)) would accept 381 events at p99
    expect(quantileBoundLevels({ events: 381, level: 0.99 })[1]).toBeLessThan(1)
    expect(quantileSampleSufficient({ events: 381, level: 0.99, minTailEvents: 0 })).toBe(true)
    expect(quantileSampleSufficient({ events: 380, level: 0.99, minTailEvents: 0 })).toBe(false)
  })

  it('returns INSUFFICIENT_SAMPLE (with the point estimate) rather than a decision on a small arm', () => {
    const small = quantileArmStatsOf({ ...events(20, 150, { perUnit: 1, unitSd: 0, shift: 0 }), level: 0.99 })
    const big = quantileArmStatsOf({ ...events(21, 5000, { perUnit: 1, unitSd: 0, shift: 0 }), level: 0.99 })
    const r = quantileCompare({ control: small, treatment: big, level: 0.99, config: { method: 'confseq', alpha: 0.05, sided: 'two', confseq: { tuningN: 10000 } } })
    expect(r.status).toBe('INSUFFICIENT_SAMPLE')
    expect(r.significant).toBe(false)
    expect(r.pValue).toBeNull()
    expect(r.effect).toBeCloseTo(big.quantile - small.quantile, 12)
  })

  it('refuses inconsistent inputs and flags a zero-width interval', () => {
    const ok = quantileArmStatsOf({ ...events(22, 3000, { perUnit: 2, unitSd: 0.2, shift: 0 }), level: 0.5 })
    expect(quantileEstimate({ arm: { ...ok, lower: ok.quantile + 1 }, level: 0.5 }).status).toBe('INVALID_INPUT')
    expect(quantileEstimate({ arm: { ...ok, eventsSum: ok.events + 1 }, level: 0.5 }).status).toBe('INVALID_INPUT')
    expect(quantileEstimate({ arm: { ...ok, belowSumSquares: undefined }, level: 0.5 }).status).toBe('INVALID_INPUT')
    expect(quantileEstimate({ arm: ok, level: 1 }).status).toBe('INVALID_INPUT')
    expect(quantileEstimate({ arm: { ...ok, lower: ok.quantile, upper: ok.quantile }, level: 0.5 }).status).toBe('ZERO_VARIANCE')
  })
})
