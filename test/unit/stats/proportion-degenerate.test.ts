import { beforeAll, describe, expect, it } from 'vitest'
import { compareArms } from '../../../src/stats/compare.js'
import { proportionDifference, proportionTestVariance, wilsonInterval } from '../../../src/stats/newcombe.js'
import { proportionZTest, type Counts } from '../../../src/stats/proportion.js'
import { createRng } from '../../../src/stats/random.js'
import { relErr, runPython } from '../../support/python.js'

const fixed: { c: Counts; t: Counts }[] = [
  { c: { n: 578, successes: 0 }, t: { n: 67707, successes: 143 } }, // the case that gave p = 5e-33
  { c: { n: 1000, successes: 0 }, t: { n: 1000, successes: 5 } },
  { c: { n: 1000, successes: 1000 }, t: { n: 1000, successes: 990 } },
  { c: { n: 40, successes: 0 }, t: { n: 35, successes: 35 } },
  { c: { n: 5000, successes: 12 }, t: { n: 4800, successes: 30 } },
]
const rng = createRng({ seed: 4 })
const random = Array.from({ length: 20 }, () => {
  const n1 = 20 + Math.floor(rng.uniform() * 3000)
  const n2 = 20 + Math.floor(rng.uniform() * 3000)
  const p = rng.uniform() < 0.5 ? 0 : rng.uniform() * 0.05
  const bin = (n: number, q: number) => { let s = 0; for (let i = 0; i < n; i++) if (rng.uniform() < q) s++; return s }
  return { c: { n: n1, successes: bin(n1, p) }, t: { n: n2, successes: bin(n2, p * 2 + 0.001) } }
})
const cases = [...fixed, ...random].flatMap((k) => (['two', 'greater', 'less'] as const).map((sided) => ({ ...k, sided, alpha: 0.05 })))

describe('proportions at 0% / 100% agree with statsmodels (computed in this run)', () => {
  let ref: any[] = []
  beforeAll(() => { ref = runPython('proportion-degenerate.py', cases) })

  it('Newcombe interval, Wilson intervals and pooled score test to 1e-9 (fixed and random cases, three sides)', () => {
    let worst = 0
    cases.forEach((k, i) => {
      const e = ref[i]
      const r = proportionDifference({ control: k.c, treatment: k.t, alpha: k.alpha, sided: k.sided })
      if (k.sided === 'two') {
        worst = Math.max(worst, relErr(r.ci![0], e.ci[0], 1e-12), relErr(r.ci![1], e.ci[1], 1e-12))
        const [wc, wt] = [wilsonInterval({ ...k.c, alpha: k.alpha })!, wilsonInterval({ ...k.t, alpha: k.alpha })!]
        worst = Math.max(worst, ...[wc[0], wc[1], wt[0], wt[1]].map((x, j) => relErr(x, [e.wilson[0][0], e.wilson[0][1], e.wilson[1][0], e.wilson[1][1]][j], 1e-6))) // statsmodels rounds an exact 0 bound to ~1e-19
      }
      if (e.z === null) expect(r.status).toBe('ZERO_VARIANCE')
      else worst = Math.max(worst, relErr(r.z, e.z, 1e-12), relErr(r.pValue, e.p, 1e-300))
    })
    expect(worst).toBeLessThan(1e-9)
  })

  it('one-sided Newcombe bounds at α are the two-sided bounds at 2α (statsmodels, α = 0.1)', () => {
    const pairs = [...fixed, ...random]
    const two = runPython<any[]>('proportion-degenerate.py', pairs.map((k) => ({ ...k, sided: 'two', alpha: 0.1 })))
    pairs.forEach((k, i) => {
      const lo = proportionDifference({ control: k.c, treatment: k.t, alpha: 0.05, sided: 'greater' }).ci!
      const hi = proportionDifference({ control: k.c, treatment: k.t, alpha: 0.05, sided: 'less' }).ci!
      expect(relErr(lo[0], two[i].ci[0], 1e-12)).toBeLessThan(1e-9)
      expect(relErr(hi[1], two[i].ci[1], 1e-12)).toBeLessThan(1e-9)
      expect(lo[1]).toBe(Infinity)
    })
  })

  it('143/67,707 vs 0/578: unpooled Wald p ≈ 5e-33 (the defect); pooled score p = 0.27 and a Newcombe interval that covers 0', () => {
    const [c, t] = [{ n: 578, sum: 0, sumSquares: 0 }, { n: 67707, sum: 143, sumSquares: 143 }]
    const wald = compareArms({ control: c, treatment: t, metric: 'proportion', lift: 'absolute', config: { method: 'welch', alpha: 0.05, sided: 'two' } })
    expect(wald.pValue!).toBeLessThan(1e-30)
    const r = proportionDifference({ control: fixed[0]!.c, treatment: fixed[0]!.t, alpha: 0.05 })
    expect(r.degenerate).toBe(true)
    expect(r.pValue!).toBeCloseTo(0.2687, 3)
    expect(r.ci![0]).toBeLessThan(0)
    expect(r.ci![1]).toBeGreaterThan(0)
    const z = proportionZTest({ control: fixed[0]!.c, treatment: fixed[0]!.t, alpha: 0.05 })
    expect(z.degenerate).toBe(true)
    expect(z.newcombeCi).toEqual(r.ci)
    expect(z.ci![0]).toBeGreaterThan(0) // the Wald interval excludes 0: why it must not be reported here
    // the guard: pooled variance exactly when an arm is degenerate, unpooled otherwise
    const v = proportionTestVariance({ control: fixed[0]!.c, treatment: fixed[0]!.t })
    expect(0.002116 / Math.sqrt(v)).toBeCloseTo(r.z!, 1)
    const nd = { control: { n: 100, successes: 10 }, treatment: { n: 200, successes: 30 } }
    expect(proportionTestVariance(nd)).toBeCloseTo(0.1 * 0.9 / 100 + 0.15 * 0.85 / 200, 15)
  })

  it('bad counts are INVALID_INPUT; both arms at 0% is ZERO_VARIANCE with a finite interval', () => {
    expect(proportionDifference({ control: { n: 10, successes: 11 }, treatment: { n: 10, successes: 1 }, alpha: 0.05 }).status).toBe('INVALID_INPUT')
    const z = proportionDifference({ control: { n: 100, successes: 0 }, treatment: { n: 100, successes: 0 }, alpha: 0.05 })
    expect(z.status).toBe('ZERO_VARIANCE')
    expect(z.ci![0]).toBeLessThan(0)
    expect(z.ci![1]).toBeGreaterThan(0)
  })
})
