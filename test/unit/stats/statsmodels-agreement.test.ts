import { beforeAll, describe, expect, it } from 'vitest'
import {
  benjaminiHochberg, createRng, fixedHorizonPower, fixedHorizonSampleSize, holm, proportionZTest, seriesCorrelation, sequentialSrm,
  type Sided,
} from '../../../src/stats/index.js'
import { relErr, runPython } from '../../support/python.js'

const sides: Sided[] = ['two', 'greater', 'less']
const zCases = [
  { c: { n: 10000, successes: 1000 }, t: { n: 10000, successes: 1080 } },
  { c: { n: 523, successes: 41 }, t: { n: 611, successes: 30 } },
  { c: { n: 2e6, successes: 61234 }, t: { n: 2e6, successes: 64000 } }, // p ~ 1e-30
  { c: { n: 50, successes: 1 }, t: { n: 60, successes: 5 } },
].flatMap((x) => sides.map((sided) => ({ ...x, sided, alpha: 0.05 })))

const powerCases = [
  { effect: 0.1, sd: 1, n: 1000, alpha: 0.05, ratio: 1, power: 0.8 },
  { effect: 0.5, sd: 2, n: 300, alpha: 0.01, ratio: 2, power: 0.9 },
  { effect: 0.01, sd: 0.3, n: 5e4, alpha: 0.1, ratio: 0.5, power: 0.8 },
].flatMap((x) => (['two', 'greater'] as Sided[]).map((sided) => ({ ...x, sided })))

const rng = createRng({ seed: 7 })
const pSets = [
  [0.01, 0.04, 0.03, 0.005, 0.5, 0.2],
  Array.from({ length: 25 }, () => rng.uniform() ** 3),
  [0.001, 0.001, 0.02, 0.9],
]
const series = Array.from({ length: 3 }, (_, k) => {
  const x = Array.from({ length: 30 + k * 20 }, () => rng.normal())
  return { x, y: x.map((v) => 0.3 * k * v + rng.normal()) }
})
const srmCases = [
  { counts: [5000, 5100], weights: [1, 1], concentration: 100 },
  { counts: [1e6, 1.01e6, 0.99e6], weights: [1, 1, 1], concentration: 100 },
  { counts: [400, 1700], weights: [20, 80], concentration: 10 },
]

describe('agreement with statsmodels / scipy (computed in this run)', () => {
  let ref: any[] = []
  const jobs = [
    ...zCases.map((x) => ({ op: 'ztest', ...x })),
    ...powerCases.map((x) => ({ op: 'power', ...x })),
    ...pSets.map((p) => ({ op: 'multipletests', p })),
    ...series.map((s) => ({ op: 'pearson', ...s })),
    ...srmCases.map((s) => ({ op: 'dirichlet_bf', ...s })),
  ]
  const at = (op: string) => ref.filter((_r, i) => jobs[i]!.op === op)
  beforeAll(() => {
    ref = runPython('statsmodels-tests.py', jobs)
  })

  it('two-proportion z-test (pooled) and Wald CI vs proportions_ztest / confint_proportions_2indep', () => {
    const r = at('ztest')
    let worst = 0
    zCases.forEach((c, i) => {
      const mine = proportionZTest({ control: c.c, treatment: c.t, alpha: c.alpha, sided: c.sided })
      worst = Math.max(worst, relErr(mine.z, r[i].z), relErr(mine.pValue, r[i].p))
      if (c.sided === 'two') worst = Math.max(worst, relErr(mine.ci![0], r[i].ci[0], 1e-3), relErr(mine.ci![1], r[i].ci[1], 1e-3))
    })
    console.log(`z-test vs proportions_ztest / confint_proportions_2indep: max rel err ${worst.toExponential(2)}`)
    expect(worst).toBeLessThan(1e-6)
  })

  it('fixed-horizon power and sample size vs NormalIndPower', () => {
    const r = at('power')
    let worst = 0
    powerCases.forEach((c, i) => {
      const pw = fixedHorizonPower({ effect: c.effect, sd: c.sd, nPerArm: c.n, alpha: c.alpha, sided: c.sided, ratio: c.ratio })
      expect(relErr(pw, r[i].power)).toBeLessThan(1e-6)
      const n = fixedHorizonSampleSize({ effect: c.effect, sd: c.sd, alpha: c.alpha, power: c.power, sided: c.sided, ratio: c.ratio })
      expect(relErr(n, r[i].n)).toBeLessThan(1e-6)
      worst = Math.max(worst, relErr(pw, r[i].power), relErr(n, r[i].n))
    })
    console.log(`power / sample size vs NormalIndPower: max rel err ${worst.toExponential(2)}`)
  })

  it('Holm and Benjamini–Hochberg vs multipletests', () => {
    const r = at('multipletests')
    pSets.forEach((p, i) => {
      holm({ pValues: p }).adjusted.forEach((a, k) => expect(relErr(a, r[i].holm[k])).toBeLessThan(1e-12))
      benjaminiHochberg({ pValues: p }).adjusted.forEach((a, k) => expect(relErr(a, r[i].bh[k])).toBeLessThan(1e-12))
    })
  })

  it('control-series correlation vs scipy.stats.pearsonr', () => {
    const r = at('pearson')
    series.forEach((s, i) => {
      const mine = seriesCorrelation(s)
      expect(relErr(mine.r, r[i].r)).toBeLessThan(1e-9)
      expect(relErr(mine.pValue, r[i].p)).toBeLessThan(1e-6)
    })
  })

  it('sequential SRM Bayes factor vs a gammaln implementation', () => {
    const r = at('dirichlet_bf')
    srmCases.forEach((s, i) => {
      expect(relErr(sequentialSrm(s).logBayesFactor, r[i].logbf, 1)).toBeLessThan(1e-6)
    })
  })
})
