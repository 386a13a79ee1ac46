import { beforeAll, describe, expect, it } from 'vitest'
import { compareArms, cupedTheta, welch, type ArmStats, type MetricType } from '../../../src/stats/index.js'
import { createRng } from '../../../src/stats/random.js'
import { relErr, runPython } from '../../support/python.js'

/** Arm sufficient statistics with ratio denominators and a correlated pre-period covariate. */
function arm(seed: number, n: number, lift: number): ArmStats {
  const rng = createRng({ seed })
  const s: Required<ArmStats> = {
    n, sum: 0, sumSquares: 0, denominatorSum: 0, denominatorSumSquares: 0, crossSum: 0,
    covariateSum: 0, covariateSumSquares: 0, covariateCrossSum: 0, denominatorCovariateCrossSum: 0,
  }
  for (let i = 0; i < n; i++) {
    const x = 10 + 3 * rng.normal()
    const d = 1 + Math.floor(4 * rng.uniform())
    const y = (1 + lift) * (0.6 * x + 2 * d + 2 * rng.normal())
    s.sum += y; s.sumSquares += y * y
    s.denominatorSum += d; s.denominatorSumSquares += d * d; s.crossSum += y * d
    s.covariateSum += x; s.covariateSumSquares += x * x; s.covariateCrossSum += y * x
    s.denominatorCovariateCrossSum += d * x
  }
  return s
}

const pairs = [
  { control: arm(1, 800, 0), treatment: arm(2, 900, 0.03) },
  { control: arm(3, 5000, 0), treatment: arm(4, 5000, 0.01) },
  { control: arm(5, 60, 0), treatment: arm(6, 45, 0.1) },
]
const propPair = { control: { n: 20000, sum: 2000, sumSquares: 2000 }, treatment: { n: 20000, sum: 2110, sumSquares: 2110 } }

type Kind = 'mean' | 'ratio' | 'cuped' | 'proportion'
const cases = [
  ...pairs.flatMap((p) => (['mean', 'ratio', 'cuped'] as Kind[]).flatMap((kind) => [false, true].map((relative) => ({ ...p, kind, relative })))),
  ...[false, true].map((relative) => ({ ...propPair, kind: 'proportion' as Kind, relative })),
]

describe('agreement with GrowthBook gbstats 0.8.0 (computed in this run)', () => {
  let seq: any[] = []
  let fixed: any[] = []
  const thetaOf = (c: (typeof cases)[number]) => (c.kind === 'cuped' ? cupedTheta({ arms: [c.control, c.treatment], metric: 'mean' }).theta! : 0)
  const job = (c: (typeof cases)[number], sequential: boolean) => ({
    kind: c.kind, control: c.control, treatment: c.treatment, relative: c.relative, alpha: 0.05, tuningN: 5000, sequential, theta: thetaOf(c),
  })
  beforeAll(() => {
    seq = runPython('gbstats-tests.py', cases.map((c) => job(c, true)))
    fixed = runPython('gbstats-tests.py', cases.filter((c) => c.kind === 'mean' && !c.relative).map((c) => job(c, false)))
  })

  it('confidence sequence (SequentialTwoSidedTTest): effect, se, CI and p for mean, proportion, ratio, CUPED × absolute/relative', () => {
    let worst = 0
    cases.forEach((c, i) => {
      const metric: MetricType = c.kind === 'cuped' ? 'mean' : c.kind
      const e = seq[i]
      // gbstats estimates θ from the joint sample, Runway from within-arm moments (so a
      // treatment effect cannot leak into θ): use gbstats' θ so the downstream formulas are compared
      const r = compareArms({
        control: c.control, treatment: c.treatment, metric, lift: c.relative ? 'relative' : 'absolute', cuped: c.kind === 'cuped',
        theta: c.kind === 'cuped' ? e.theta : undefined,
        config: { method: 'confseq', alpha: 0.05, sided: 'two', confseq: { tuningN: 5000 } },
      })
      // Only a sanity bound on the two θ definitions; θ itself is checked to 1e-9 against
      // unit-level OLS in cuped-ols.test.ts.
      if (c.kind === 'cuped') expect(Math.abs(thetaOf(c) - e.theta)).toBeLessThan(0.02 * Math.abs(e.theta))
      expect(r.status).toBe('ok')
      worst = Math.max(worst, relErr(r.effect, e.effect), relErr(r.se, e.se), relErr(r.pValue, e.p, 1e-12))
      worst = Math.max(worst, relErr(r.ci![0], e.ci[0], e.se), relErr(r.ci![1], e.ci[1], e.se))
    })
    console.log(`confseq/relative/ratio/CUPED vs gbstats SequentialTwoSidedTTest: max rel err ${worst.toExponential(2)}`)
    expect(worst).toBeLessThan(1e-6)
  })

  it('fixed-horizon Welch (TwoSidedTTest, absolute)', () => {
    const mine = cases.filter((c) => c.kind === 'mean' && !c.relative)
    mine.forEach((c, i) => {
      const r = welch({ control: c.control, treatment: c.treatment, alpha: 0.05 })
      expect(relErr(r.pValue, fixed[i].p)).toBeLessThan(1e-6)
      expect(relErr(r.ci![0], fixed[i].ci[0], r.se!)).toBeLessThan(1e-6)
    })
  })
})
