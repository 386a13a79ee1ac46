import { beforeAll, describe, expect, it } from 'vitest'
import { gstBoundaries, plan, type PlanInput } from '../../../src/stats/index.js'
import { runPython } from '../../support/python.js'

/**
 * `plan()` sample sizes against independent references (test/support/py/plan-reference.py):
 * statsmodels NormalIndPower for the fixed horizon, the multivariate normal CDF for the GST
 * maximum and expected size, and the mixture boundary solved from its likelihood ratio for the
 * mSPRT and the confidence sequence. plan() rounds n up per arm, so a row must be the reference
 * rounded up (the GST reference carries the MVN integration error, about 1e-5 relative).
 */
const inputs: (PlanInput & { metric: 'mean' | 'proportion' })[] = [
  { metric: 'proportion', baseline: 0.1, mde: 0.05, trafficPerDay: 20_000, msprt: { tau2: 1e-4 } },
  { metric: 'proportion', baseline: 0.03, mde: 0.1, trafficPerDay: 5_000, alpha: 0.01, power: 0.9, sided: 'greater', gst: { looks: 3, spending: 'pocock' }, confseq: { tuningN: 100_000 } },
  { metric: 'mean', baseline: 200, sd: 80, mde: 0.02, trafficPerDay: 1_000, ratio: 2, gst: { looks: 4 }, msprt: { tau2: 10 } },
  { metric: 'mean', baseline: 1, sd: 2, mde: 0.25, trafficPerDay: 50, sided: 'greater', power: 0.85, msprt: { tau2: 0.05 } },
]

type Ref = { fixed: number; gst: number; gstExpected: number; confseq: number; msprt?: number }

describe('plan() vs statsmodels / MVN / mixture-boundary references (computed in this run)', () => {
  let ref: Ref[] = []
  beforeAll(() => {
    ref = runPython<Ref[]>('plan-reference.py', inputs.map((p) => {
      const alpha = p.alpha ?? 0.05
      const sided = p.sided ?? 'two'
      const looks = p.gst?.looks ?? 5
      const t = Array.from({ length: looks }, (_, k) => (k + 1) / looks)
      const { boundaries } = gstBoundaries({ informationFractions: t, alpha, sided, spending: p.gst?.spending ?? 'obf' })
      return {
        metric: p.metric, baseline: p.baseline, sd: p.sd, mde: p.mde, alpha, power: p.power ?? 0.8, sided, ratio: p.ratio ?? 1,
        t, boundaries, tuningN: p.confseq?.tuningN ?? 5000, tau2: p.msprt?.tau2 ?? null,
      }
    }))
  }, 120_000)

  /** n is the reference rounded up (within `rel` of the reference's own accuracy). */
  const roundedUp = (n: number | null, reference: number, rel: number, what: string) => {
    expect(n, what).not.toBeNull()
    expect(n!, `${what}: ${n} vs reference ${reference}`).toBeGreaterThanOrEqual(Math.floor(reference * (1 - rel)))
    expect(n!, `${what}: ${n} vs reference ${reference}`).toBeLessThanOrEqual(Math.ceil(reference * (1 + rel)))
  }

  it.each(inputs.map((p, i) => [i, p] as const))('case %i: every method, total and days', (i, p) => {
    const r = plan(p)
    expect(r.status).toBe('ok')
    const by = Object.fromEntries(r.rows.map((x) => [x.method, x]))
    const e = ref[i]!
    console.log(`plan case ${i}: fixed ${by.fixed!.nPerArm} (ref ${e.fixed.toFixed(3)}), gst ${by.gst!.nPerArm} (ref ${e.gst.toFixed(3)}), confseq ${by.confseq!.nPerArm} (ref ${e.confseq.toFixed(3)})${e.msprt ? `, msprt ${by.msprt!.nPerArm} (ref ${e.msprt.toFixed(3)})` : ''}`)
    roundedUp(by.fixed!.nPerArm, e.fixed, 1e-9, 'fixed')
    roundedUp(by.gst!.nPerArm, e.gst, 1e-4, 'gst')
    roundedUp(by.confseq!.nPerArm, e.confseq, 1e-9, 'confseq')
    if (e.msprt !== undefined) roundedUp(by.msprt!.nPerArm, e.msprt, 1e-9, 'msprt')
    else expect(by.msprt).toBeUndefined()
    const ratio = p.ratio ?? 1
    // expected total size under the alternative (both arms)
    roundedUp(by.gst!.expectedTotalN!, e.gstExpected * (1 + ratio), 1e-4, 'gst expected')
    for (const row of r.rows) {
      const refN = row.method === 'fixed' ? e.fixed : row.method === 'gst' ? e.gst : row.method === 'confseq' ? e.confseq : e.msprt!
      roundedUp(row.totalN! - row.nPerArm!, ratio * refN, row.method === 'gst' ? 1e-4 : 1e-9, `${row.method} treatment arm`)
      expect(row.days).toBeCloseTo(row.totalN! / p.trafficPerDay, 12)
    }
  })

  it('the textbook value: δ/σ = 0.5, α = 0.05 two-sided, 80% power → 2(z₀.₉₇₅ + z₀.₈)²/0.25 = 62.79 → 63 per arm', () => {
    const r = plan({ metric: 'mean', baseline: 1, sd: 1, mde: 0.5, trafficPerDay: 126 })
    const fixed = r.rows.find((x) => x.method === 'fixed')!
    expect(fixed.nPerArm).toBe(63)
    expect(fixed.totalN).toBe(126)
    expect(fixed.days).toBe(1)
  })
})
