import { beforeAll, describe, expect, it } from 'vitest'
import { momentsOf, welch, type Moments } from '../../../src/stats/index.js'
import { createRng } from '../../../src/stats/random.js'
import { relErr, runPython } from '../../support/python.js'

type Alt = 'two-sided' | 'greater' | 'less'
const sidedOf = { 'two-sided': 'two', greater: 'greater', less: 'less' } as const
const alts: Alt[] = ['two-sided', 'greater', 'less']

function stats(m: Moments) {
  const mu = m.sum / m.n
  return { mean: mu, std: Math.sqrt((m.sumSquares - m.n * mu * mu) / (m.n - 1)) }
}

/** Extreme and ordinary summary-statistic cases: tiny p, huge n, fractional df. */
const summaryCases: { control: Moments; treatment: Moments }[] = []
{
  const specs = [
    // [nC, meanC, sdC, nT, meanT, sdT]
    [2, 1, 1, 2, 3, 0.5],
    [3, 10, 2, 50, 9, 7],
    [20, 0, 1, 25, 0.4, 1.3],
    [1000, 5, 2, 1100, 5.1, 2.2],
    [1000, 5, 2, 1000, 6, 2],
    [200, 1, 0.1, 300, 2, 0.1], // t ≈ 110: p ~ 1e-200
    [1e6, 100, 30, 1e6, 100.05, 30],
    [1e9, 3.2, 1.1, 1e9, 3.2001, 1.1],
    [5, 0.1, 1e-3, 7, 0.1005, 2e-3],
  ]
  for (const [nC, mC, sC, nT, mT, sT] of specs as number[][]) {
    const mk = (n: number, m: number, s: number): Moments => ({ n, sum: n * m, sumSquares: (n - 1) * s * s + n * m * m })
    summaryCases.push({ control: mk(nC!, mC!, sC!), treatment: mk(nT!, mT!, sT!) })
  }
}

describe('welch vs scipy.stats.ttest_ind_from_stats (equal_var=False)', () => {
  let ref: { t: number; p: number }[] = []
  const jobs = summaryCases.flatMap((c) => alts.map((alternative) => ({ c, alternative })))
  beforeAll(() => {
    ref = runPython('scipy-tests.py', jobs.map(({ c, alternative }) => {
      const t = stats(c.treatment)
      const k = stats(c.control)
      return { op: 'welch_from_stats', mean1: t.mean, std1: t.std, n1: c.treatment.n, mean2: k.mean, std2: k.std, n2: c.control.n, alternative }
    }))
  })
  it('matches t and p within 1e-6 relative, including p ~ 1e-200', () => {
    let worst = 0
    jobs.forEach(({ c, alternative }, i) => {
      const r = welch({ ...c, alpha: 0.05, sided: sidedOf[alternative] })
      expect(r.status).toBe('ok')
      worst = Math.max(worst, relErr(r.t, ref[i]!.t), relErr(r.pValue, ref[i]!.p))
    })
    console.log(`welch vs ttest_ind_from_stats: max rel err ${worst.toExponential(2)}`)
    expect(worst).toBeLessThan(1e-6)
  })
})

describe('welch vs scipy.stats.ttest_ind on raw samples (df and confidence interval)', () => {
  const rng = createRng({ seed: 20240601 })
  const samples = Array.from({ length: 12 }, (_, i) => {
    const nA = 2 + ((i * 37) % 60)
    const nB = 3 + ((i * 53) % 90)
    const a = Array.from({ length: nA }, () => 10 + 3 * rng.normal())
    const b = Array.from({ length: nB }, () => 10 + 0.3 * i + (1 + i / 4) * rng.normal())
    return { a, b }
  })
  const jobs = samples.flatMap((s) => alts.map((alternative) => ({ ...s, alternative, alpha: 0.1 })))
  let ref: { t: number; p: number; df: number; ci: [number | null, number | null] }[] = []
  beforeAll(() => {
    ref = runPython('scipy-tests.py', jobs.map((j) => ({ op: 'welch_raw', a: j.b, b: j.a, alternative: j.alternative, alpha: j.alpha })))
  })
  it('matches t, p, df and CI bounds within 1e-6 relative', () => {
    let worst = 0
    jobs.forEach((j, i) => {
      const r = welch({ control: momentsOf({ values: j.a }), treatment: momentsOf({ values: j.b }), alpha: j.alpha, sided: sidedOf[j.alternative] })
      const e = ref[i]!
      worst = Math.max(worst, relErr(r.t, e.t), relErr(r.pValue, e.p), relErr(r.df, e.df))
      const [lo, hi] = r.ci!
      worst = Math.max(worst, e.ci[0] === null ? (lo === -Infinity ? 0 : 1) : relErr(lo, e.ci[0], 1e-3))
      worst = Math.max(worst, e.ci[1] === null ? (hi === Infinity ? 0 : 1) : relErr(hi, e.ci[1], 1e-3))
    })
    console.log(`welch vs ttest_ind (raw samples, df and CI): max rel err ${worst.toExponential(2)}`)
    expect(worst).toBeLessThan(1e-6)
  })
})
