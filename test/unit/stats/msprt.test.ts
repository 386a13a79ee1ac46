import { beforeAll, describe, expect, it } from 'vitest'
import { defaultTau2, msprt, tau2FromPlannedSampleSize, type Moments, type Sided } from '../../../src/stats/index.js'
import { relErr, runPython } from '../../support/python.js'

const mk = (n: number, m: number, s: number): Moments => ({ n, sum: n * m, sumSquares: (n - 1) * s * s + n * m * m })
const base = [
  { control: mk(100, 10, 3), treatment: mk(120, 10.4, 3.5), tau2: 0.25 },
  { control: mk(5000, 0.1, 0.3), treatment: mk(5000, 0.11, 0.31), tau2: 1e-4 },
  { control: mk(20000, 50, 20), treatment: mk(20000, 50.6, 20), tau2: 4 },
  { control: mk(20000, 50, 20), treatment: mk(20000, 49.7, 20), tau2: 0.01 },
  { control: mk(30, 1, 1), treatment: mk(30, 1.02, 1), tau2: 1 },
  { control: mk(1e6, 3, 2), treatment: mk(1e6, 3.02, 2), tau2: 1e-3 },
]
const sides: Sided[] = ['two', 'greater', 'less']
const cases = base.flatMap((c) => sides.flatMap((sided) => [0.05, 0.01].map((alpha) => ({ ...c, sided, alpha }))))

describe('msprt vs independent numeric-integration reference (test/support/py/msprt-reference.py)', () => {
  let ref: { effect: number; se: number; llr: number; p: number; ci: [number | null, number | null] }[] = []
  beforeAll(() => {
    ref = runPython('msprt-reference.py', cases)
  })
  it('log LR, p-value and confidence-sequence bounds agree within 1e-6 relative', () => {
    let worst = 0
    cases.forEach((c, i) => {
      const r = msprt(c)
      const e = ref[i]!
      expect(r.status).toBe('ok')
      // llr near 0 is compared on p = exp(−llr) instead
      worst = Math.max(worst, relErr(r.logLikelihoodRatio, e.llr, 1), relErr(r.pValue, e.p), relErr(r.se, e.se))
      const [lo, hi] = r.ci!
      worst = Math.max(worst, e.ci[0] === null ? (lo === -Infinity ? 0 : 1) : relErr(lo, e.ci[0], e.se))
      worst = Math.max(worst, e.ci[1] === null ? (hi === Infinity ? 0 : 1) : relErr(hi, e.ci[1], e.se))
      expect(r.significant).toBe(r.pValue! <= c.alpha)
    })
    console.log(`msprt vs numeric-integration reference: max rel err ${worst.toExponential(2)}`)
    expect(worst).toBeLessThan(1e-6)
  })
  it('the confidence sequence excludes 0 exactly when p ≤ α', () => {
    for (const c of cases) {
      const r = msprt(c)
      const [lo, hi] = r.ci!
      expect(lo > 0 || hi < 0).toBe(r.significant)
    }
  })
})

describe('τ² helpers', () => {
  it('defaultTau2 uses the MDE and never returns 0', () => {
    expect(defaultTau2({ mde: 0.05, controlMean: 10, variance: 4 })).toEqual({ status: 'ok', tau2: 0.25, basis: 'mde' })
    const z = defaultTau2({ mde: 0.05, controlMean: 0, variance: 4 })
    expect(z.basis).toBe('variance-floor')
    expect(z.tau2).toBeGreaterThan(0)
    expect(defaultTau2({ mde: 0, controlMean: 0, variance: 0 }).tau2).toBeGreaterThan(0)
    expect(defaultTau2({ mde: Number.NaN, controlMean: 1, variance: 1 }).status).toBe('INVALID_INPUT')
  })
  it('tau2FromPlannedSampleSize scales like 1/N', () => {
    const a = tau2FromPlannedSampleSize({ controlVariance: 4, plannedNPerArm: 1000, alpha: 0.05 })
    const b = tau2FromPlannedSampleSize({ controlVariance: 4, plannedNPerArm: 2000, alpha: 0.05 })
    expect(a.tau2! / b.tau2!).toBeCloseTo(2, 12)
  })
})
