import { beforeAll, describe, expect, it } from 'vitest'
import { armEstimate, compareArms, cupedTheta, type ArmStats, type MetricType } from '../../../src/stats/index.js'
import { createRng } from '../../../src/stats/random.js'
import { relErr, runPython } from '../../support/python.js'

/**
 * CUPED θ, adjusted means and adjusted variances from Runway's sufficient statistics against an
 * independent computation on the unit-level data (test/support/py/cuped-ols.py: statsmodels OLS
 * with one intercept per arm, numpy two-pass variances). Agreement to 1e-9 relative.
 */
interface Units { y: number[]; x: number[]; d: number[] }

function units(seed: number, n: number, lift: number, slope: number): Units {
  const rng = createRng({ seed })
  const u: Units = { y: [], x: [], d: [] }
  for (let i = 0; i < n; i++) {
    const x = 20 + 5 * rng.normal()
    const d = 1 + Math.floor(5 * rng.uniform())
    u.x.push(x)
    u.d.push(d)
    u.y.push((1 + lift) * (slope * x + 1.5 * d + 3 * rng.normal()))
  }
  return u
}

function sums(u: Units): ArmStats {
  const s: Required<ArmStats> = {
    n: u.y.length, sum: 0, sumSquares: 0, denominatorSum: 0, denominatorSumSquares: 0, crossSum: 0,
    covariateSum: 0, covariateSumSquares: 0, covariateCrossSum: 0, denominatorCovariateCrossSum: 0,
  }
  u.y.forEach((y, i) => {
    const x = u.x[i]!
    const d = u.d[i]!
    s.sum += y; s.sumSquares += y * y
    s.denominatorSum += d; s.denominatorSumSquares += d * d; s.crossSum += y * d
    s.covariateSum += x; s.covariateSumSquares += x * x; s.covariateCrossSum += y * x; s.denominatorCovariateCrossSum += d * x
  })
  return s
}

const cases: { metric: MetricType; arms: Units[] }[] = [
  { metric: 'mean', arms: [units(11, 400, 0, 0.8), units(12, 450, 0.05, 0.8)] },
  { metric: 'mean', arms: [units(13, 3000, 0, 0.2), units(14, 2800, 0.01, 0.2), units(15, 3100, -0.02, 0.2)] },
  { metric: 'mean', arms: [units(16, 40, 0, 1.5), units(17, 35, 0.2, 1.5)] },
  { metric: 'ratio', arms: [units(18, 600, 0, 0.8), units(19, 650, 0.04, 0.8)] },
  { metric: 'ratio', arms: [units(20, 2000, 0, 0.3), units(21, 2100, 0, 0.3)] },
]

describe('CUPED vs unit-level OLS (statsmodels, computed in this run)', () => {
  let ref: { theta: number; covariateMean: number; arms: { estimate: number; variance: number }[] }[] = []
  beforeAll(() => {
    ref = runPython('cuped-ols.py', cases)
  })

  it('θ, adjusted means and adjusted variances agree to 1e-9 relative', () => {
    let worst = 0
    cases.forEach((c, i) => {
      const arms = c.arms.map(sums)
      const th = cupedTheta({ arms, metric: c.metric })
      expect(th.status).toBe('ok')
      worst = Math.max(worst, relErr(th.theta, ref[i]!.theta), relErr(th.covariateMean, ref[i]!.covariateMean))
      arms.forEach((arm, k) => {
        const est = armEstimate({ arm, metric: c.metric, cuped: { theta: th.theta!, covariateMean: th.covariateMean! } })
        expect(est.status).toBe('ok')
        worst = Math.max(worst, relErr(est.estimate, ref[i]!.arms[k]!.estimate), relErr(est.variance, ref[i]!.arms[k]!.variance))
      })
    })
    console.log(`CUPED vs unit-level OLS: max rel err ${worst.toExponential(2)}`)
    expect(worst).toBeLessThan(1e-9)
  })

  it('the comparison uses them: effect and se of compareArms(cuped) from the reference arms', () => {
    cases.forEach((c, i) => {
      const [control, treatment] = c.arms.map(sums)
      if (c.arms.length !== 2) return // θ pooled over three arms is compared above
      const r = compareArms({ control: control!, treatment: treatment!, metric: c.metric, lift: 'absolute', cuped: true, config: { method: 'welch', alpha: 0.05, sided: 'two' } })
      const [rc, rt] = ref[i]!.arms
      expect(relErr(r.effect, rt!.estimate - rc!.estimate, Math.sqrt(rt!.variance))).toBeLessThan(1e-9)
      expect(relErr(r.se, Math.sqrt(rt!.variance + rc!.variance))).toBeLessThan(1e-9)
    })
  })
})
