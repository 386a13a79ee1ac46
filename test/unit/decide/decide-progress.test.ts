/**
 * Decision engine, progress paths: max duration, completing on the last step, ramping
 * (with and without approval), and continuing while duration or sample is short.
 */
import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/decide/decide.js'
import type { Moments } from '../../../src/stats/moments.js'
import { DAY, HOUR, MINUTE, T0, bernoulli, evaluationFixture, gaussian, runningRecord, specFixture, unitsFixture } from '../../support/fixtures.js'
import { bhByHand, chiSquareByHand, confseqTau2ByHand, firstLookBoundary, holmByHand, mixtureP1, mixtureP2, secondLookBoundary, sequentialSrmByHand } from './reference.js'

const N = 20_000
const codes = (o: ReturnType<typeof decide>) => o.reasons.map((r) => r.code)
const flatErrors = { control: bernoulli(N, 0.01), treatment: bernoulli(N, 0.01) }
const lift = { control: bernoulli(N, 0.1), treatment: bernoulli(N, 0.12) }
const flat = { control: bernoulli(N, 0.1), treatment: bernoulli(N, 0.1) }

/** The last step (100%, min 1d) entered two days after start. */
const LAST_STEP_AT = T0 + 2 * DAY
const lastStep = (spec = specFixture(), gstFractions: number[] = []) => runningRecord(spec, { step: 2, startedAt: T0, stepStartedAt: LAST_STEP_AT, gstFractions })
const threeArms = [{ name: 'control', weight: 34 }, { name: 'b', weight: 33 }, { name: 'c', weight: 33 }]
/** Sample variance from sufficient statistics (the definition). */
const s2 = (m: Moments) => (m.sumSquares - (m.sum * m.sum) / m.n) / (m.n - 1)
const vOf = (c: Moments, t: Moments) => s2(c) / c.n + s2(t) / t.n

describe('maximum duration', () => {
  it('completes once maxDuration (default 14d) has passed since start, at any step', () => {
    const now = T0 + 14 * DAY
    const out = decide(evaluationFixture({ record: runningRecord(specFixture(), { stepStartedAt: now - HOUR }), now }))
    expect(out).toMatchObject({ decision: 'complete', needsApproval: false })
    expect(out.reasons).toEqual([expect.objectContaining({ code: 'MAX_DURATION_REACHED', numbers: { runningSeconds: 14 * 86_400 } })])
  })

  it('not a millisecond before', () => {
    const now = T0 + 14 * DAY - 1
    expect(decide(evaluationFixture({ record: runningRecord(specFixture(), { stepStartedAt: now - HOUR }), now })).decision).not.toBe('complete')
  })

  it('uses the spec maxDuration', () => {
    const spec = specFixture({ maxDuration: '3d' })
    const now = T0 + 3 * DAY
    const out = decide(evaluationFixture({ record: runningRecord(spec, { stepStartedAt: now - 10 * MINUTE }), now }))
    expect(codes(out)).toEqual(['MAX_DURATION_REACHED'])
    expect(out.reasons[0]!.numbers.runningSeconds).toBe(3 * 86_400)
  })
})

describe('last step', () => {
  const metricsWith = (conversion: typeof lift) => ({ conversion, error_rate: flatErrors })

  it('completes when the primary is conclusive and the step duration is met', () => {
    const now = LAST_STEP_AT + DAY
    const out = decide(evaluationFixture({ record: lastStep(), now, metrics: metricsWith(lift) }))
    expect(out).toMatchObject({ decision: 'complete', needsApproval: false })
    expect(out.reasons).toHaveLength(1)
    const [r] = out.reasons
    expect(r).toMatchObject({ code: 'PRIMARY_CONCLUSIVE', metric: 'conversion', variant: 'treatment' })
    expect(r!.numbers).toMatchObject({ alpha: 0.05, controlUnits: N, treatmentUnits: N })
    expect(r!.numbers.effect).toBeCloseTo(0.02, 12)
    expect(r!.numbers.pValue!).toBeLessThan(0.05)
    expect(r!.numbers.ciLow!).toBeGreaterThan(0)
    expect(r!.message).toContain('lift 20%')
  })

  it('a conclusive loss also completes (the question is answered)', () => {
    const out = decide(evaluationFixture({ record: lastStep(), now: LAST_STEP_AT + DAY, metrics: metricsWith({ control: bernoulli(N, 0.12), treatment: bernoulli(N, 0.1) }) }))
    expect(out.decision).toBe('complete')
    expect(out.reasons[0]!.numbers.effect).toBeCloseTo(-0.02, 12)
  })

  it('continues while the primary is inconclusive, however long the step ran', () => {
    const now = LAST_STEP_AT + 5 * DAY
    const out = decide(evaluationFixture({ record: lastStep(), now, metrics: metricsWith(flat) }))
    expect(out.decision).toBe('continue')
    expect(codes(out)).toEqual(['PRIMARY_INCONCLUSIVE'])
    expect(out.reasons[0]!.numbers.p_treatment!).toBeGreaterThan(0.05)
  })

  it('waits for the step minimum duration even when the primary is already conclusive', () => {
    const out = decide(evaluationFixture({ record: lastStep(), now: LAST_STEP_AT + 6 * HOUR, metrics: metricsWith(lift) }))
    expect(out.decision).toBe('continue')
    expect(out.reasons[0]).toMatchObject({ code: 'STEP_DURATION_PENDING', numbers: { inStepSeconds: 6 * 3_600, minSeconds: 86_400 } })
  })

  it('does not call a conclusive primary inconclusive while it waits for the duration', () => {
    const out = decide(evaluationFixture({ record: lastStep(), now: LAST_STEP_AT + 6 * HOUR, metrics: metricsWith(lift) }))
    expect(codes(out)).not.toContain('PRIMARY_INCONCLUSIVE')
  })

  it('does not complete on a conclusive primary with fewer than minUnits per arm', () => {
    const spec = specFixture({ evaluation: { minUnits: 50_000 } })
    const out = decide(evaluationFixture({ record: lastStep(spec), now: LAST_STEP_AT + DAY, metrics: metricsWith(lift) }))
    const primary = out.comparisons.find((c) => c.role === 'primary')!
    expect(primary.sequentialP!).toBeLessThan(0.05) // conclusive on its own numbers…
    expect(primary.adjustedP).toBeNull() // …but not acted on below minUnits
    expect(primary.significant).toBe(false)
    expect(out.decision).toBe('continue')
  })

  it('never ramps past the last step', () => {
    const out = decide(evaluationFixture({ record: lastStep(), now: LAST_STEP_AT + 3 * DAY, metrics: metricsWith(flat) }))
    expect(out.decision).not.toBe('ramp')
  })

  it('with several treatments, completes on the conclusive ones after Holm across treatments', () => {
    const spec = specFixture({ variants: threeArms })
    const units = unitsFixture({ control: N, b: N, c: N }, LAST_STEP_AT + DAY - MINUTE)
    const metrics = { conversion: { control: bernoulli(N, 0.1), b: bernoulli(N, 0.1), c: bernoulli(N, 0.12) }, error_rate: { control: flatErrors.control, b: flatErrors.control, c: flatErrors.control } }
    const out = decide(evaluationFixture({ record: lastStep(spec), now: LAST_STEP_AT + DAY, units, metrics }))
    expect(out.decision).toBe('complete')
    expect(out.reasons.map((r) => r.variant)).toEqual(['c'])
    const [b, c] = out.comparisons.filter((x) => x.role === 'primary')
    expect(c!.adjustedP!).toBeCloseTo(Math.min(1, 2 * c!.sequentialP!), 15)
    expect(b!.adjustedP!).toBeCloseTo(Math.max(2 * c!.sequentialP!, b!.sequentialP!), 15)
    expect(out.reasons[0]!.numbers).toMatchObject({ alpha: 0.05, adjustedPValue: c!.adjustedP })
    expect(out.reasons[0]!.message).toContain('msprt p=')
  })

  it('two treatments each with raw p < α but above α/2: Holm concludes neither', () => {
    const spec = specFixture({ variants: threeArms })
    const units = unitsFixture({ control: N, b: N, c: N }, LAST_STEP_AT + DAY - MINUTE)
    const metrics = { conversion: { control: bernoulli(N, 0.1), b: bernoulli(N, 0.11), c: bernoulli(N, 0.1102) }, error_rate: { control: flatErrors.control, b: flatErrors.control, c: flatErrors.control } }
    const out = decide(evaluationFixture({ record: lastStep(spec), now: LAST_STEP_AT + DAY, units, metrics }))
    const primary = out.comparisons.filter((x) => x.role === 'primary')
    const raw = primary.map((x) => x.sequentialP!)
    for (const p of raw) {
      expect(p).toBeGreaterThan(0.025)
      expect(p).toBeLessThan(0.05)
    }
    // smallest × 2, then max(that, largest × 1) — both above α
    const byHand = holmByHand(raw)
    expect(byHand[1]).toBeCloseTo(2 * raw[1]!, 15)
    primary.forEach((x, i) => expect(x.adjustedP!).toBeCloseTo(byHand[i]!, 15))
    expect(primary.map((x) => x.significant)).toEqual([false, false])
    expect(out.decision).toBe('continue')
    expect(codes(out)).toEqual(['PRIMARY_INCONCLUSIVE'])
  })

  it('Holm steps down: after a strong winner, a second treatment with α/2 < p < α is conclusive too', () => {
    const spec = specFixture({ variants: threeArms })
    const units = unitsFixture({ control: N, b: N, c: N }, LAST_STEP_AT + DAY - MINUTE)
    const metrics = { conversion: { control: bernoulli(N, 0.1), b: bernoulli(N, 0.11), c: bernoulli(N, 0.12) }, error_rate: { control: flatErrors.control, b: flatErrors.control, c: flatErrors.control } }
    const out = decide(evaluationFixture({ record: lastStep(spec), now: LAST_STEP_AT + DAY, units, metrics }))
    const b = out.comparisons.find((x) => x.role === 'primary' && x.variant === 'b')!
    expect(b.sequentialP!).toBeGreaterThan(0.025) // Bonferroni at α/2 would not conclude b
    expect(b.adjustedP).toBe(b.sequentialP)
    expect(out.decision).toBe('complete')
    expect(out.reasons.map((r) => r.variant)).toEqual(['b', 'c'])
  })
})

describe('confseq', () => {
  const spec = specFixture({ statistics: { test: 'confseq', tuningN: 40_000 } })
  const metrics = { conversion: { control: gaussian(N, 0.1, 0.3), treatment: gaussian(N, 0.11, 0.3) }, error_rate: { control: bernoulli(N, 0.01), treatment: bernoulli(N, 0.013) } }

  it('tests the primary with the two-sided confidence sequence and completes when it excludes 0', () => {
    const out = decide(evaluationFixture({ record: lastStep(spec), now: LAST_STEP_AT + DAY, metrics: { ...metrics, error_rate: flatErrors } }))
    const c = out.comparisons.find((x) => x.role === 'primary')!
    const v = vOf(metrics.conversion.control, metrics.conversion.treatment)
    const expected = mixtureP2({ delta: 0.01, v, tau2: confseqTau2ByHand({ v, nTotal: 2 * N, tuningN: 40_000, alpha: 0.05 }) })
    expect(expected).toBeLessThan(0.05)
    expect(c.method).toBe('confseq')
    expect(c.sequentialP!).toBeCloseTo(expected, 10)
    expect(out.decision).toBe('complete')
    expect(out.reasons[0]!.message).toContain('confseq p=')
  })

  it('guardrails use the one-sided confidence sequence', () => {
    const out = decide(evaluationFixture({ record: runningRecord(spec), now: T0 + 2 * HOUR, metrics }))
    const g = out.comparisons.find((x) => x.role === 'guardrail')!
    const v = vOf(metrics.error_rate.control, metrics.error_rate.treatment)
    expect(g.method).toBe('confseq')
    expect(g.sequentialP!).toBeCloseTo(mixtureP1({ delta: 0.003, v, tau2: confseqTau2ByHand({ v, nTotal: 2 * N, tuningN: 40_000, alpha: 0.05 }) }), 6)
    expect(g.sequentialP!).toBeLessThan(0.05)
    expect(out.decision).toBe('rollback')
  })

  it('N* defaults to plannedUnits, else DEFAULT_TUNING_N (5,000, shared with the plan)', () => {
    const p = (statistics: Record<string, unknown>) =>
      decide(evaluationFixture({ record: lastStep(specFixture({ statistics: { test: 'confseq', ...statistics } })), now: LAST_STEP_AT + DAY, metrics: { ...metrics, error_rate: flatErrors } })).comparisons[0]!.sequentialP
    expect(p({ plannedUnits: 40_000 })).toBe(p({ tuningN: 40_000 }))
    expect(p({})).toBe(p({ tuningN: 5_000 }))
    expect(p({})).not.toBe(p({ tuningN: 10_000 }))
    expect(p({ plannedUnits: 40_000, tuningN: 10_000 })).toBe(p({ tuningN: 10_000 }))
    expect(p({})).not.toBe(p({ tuningN: 40_000 }))
  })
})

describe('group sequential primary (test: gst)', () => {
  /** 40,000 planned units (both arms), four equally spaced looks, O'Brien–Fleming spending. */
  const spec = specFixture({ statistics: { test: 'gst', plannedUnits: 40_000, gst: { looks: 4 } } })
  const NOW = LAST_STEP_AT + DAY
  /** n units per arm; conversion with sd 1 and z = effect/se exactly `z`; healthy errors. */
  const at = (n: number, z: number, gstFractions: number[] = [], s = spec) => {
    const se = Math.sqrt(2 / n)
    return decide(
      evaluationFixture({
        record: lastStep(s, gstFractions),
        now: NOW,
        units: unitsFixture({ control: n, treatment: n }, NOW - MINUTE),
        metrics: { conversion: { control: gaussian(n, 3, 1), treatment: gaussian(n, 3 + z * se, 1) }, error_rate: { control: bernoulli(n, 0.01), treatment: bernoulli(n, 0.01) } },
      }),
    )
  }
  const primaryOf = (o: ReturnType<typeof decide>) => o.comparisons.find((c) => c.role === 'primary')!

  it('between looks the primary is reported but never concludes, and no look is spent', () => {
    const out = at(4_000, 10) // t = 8,000 / 40,000 = 0.2 < 1/4
    const c = primaryOf(out)
    expect(c).toMatchObject({ status: 'BETWEEN_LOOKS', significant: false, method: 'msprt' })
    expect(c.sequentialP!).toBeLessThan(1e-6) // the evidence is overwhelming, it just is not a look
    expect(out.decision).toBe('continue')
    expect(codes(out)).toEqual(['PRIMARY_INCONCLUSIVE'])
    expect(out.gstFraction).toBeNull()
  })

  it('at look 1 (t = 0.25) a crossing completes and the look\'s information fraction is reported', () => {
    const out = at(5_000, 4.5)
    const c = primaryOf(out)
    expect(c.method).toBe('gst')
    expect(c.boundary!).toBeCloseTo(firstLookBoundary('obf', 0.25, 0.05), 5)
    expect(c.boundary!).toBeLessThan(4.5)
    expect(out.decision).toBe('complete')
    expect(out.reasons[0]).toMatchObject({ code: 'PRIMARY_CONCLUSIVE', variant: 'treatment' })
    expect(out.reasons[0]!.numbers).toMatchObject({ alpha: 0.05, adjustedPValue: null })
    expect(out.reasons[0]!.message).toContain('gst p=')
    expect(out.gstFraction).toBe(0.25)
  })

  it('at a look without a crossing the look is still spent (reported) and the experiment continues', () => {
    const out = at(5_000, 4.1)
    expect(primaryOf(out)).toMatchObject({ status: 'ok', significant: false })
    expect(primaryOf(out).boundary!).toBeGreaterThan(4.1)
    expect(out.decision).toBe('continue')
    expect(out.gstFraction).toBe(0.25)
  })

  it('a look already in record.gstFractions is not spent again', () => {
    // t = 0.3: past look 1 (0.25) but short of look 2 (0.5)
    const fresh = at(6_000, 4.5)
    expect(fresh.gstFraction).toBe(0.3)
    expect(fresh.decision).toBe('complete')
    const spent = at(6_000, 4.5, [0.3])
    expect(primaryOf(spent)).toMatchObject({ status: 'BETWEEN_LOOKS', significant: false })
    expect(spent.gstFraction).toBeNull()
    expect(spent.decision).toBe('continue')
  })

  it('look 2 uses the recorded fraction of look 1 for its boundary', () => {
    // look 1 was spent late, at t = 0.3 (planned 0.25): look 2 is due at max(2/4, 0.3 + 1/4) = 0.55
    expect(primaryOf(at(10_000, 10, [0.3])).status).toBe('BETWEEN_LOOKS') // t = 0.5: not yet
    const c2 = secondLookBoundary({ spending: 'obf', t1: 0.3, t2: 0.55, alpha: 0.05 })
    const out = at(11_000, c2 + 0.1, [0.3])
    expect(primaryOf(out).boundary!).toBeCloseTo(c2, 4)
    expect(out.gstFraction).toBe(0.55)
    expect(out.decision).toBe('complete')
    expect(at(11_000, c2 - 0.1, [0.3]).decision).toBe('continue')
  })

  it('once every planned look is spent there is nothing more to test', () => {
    const out = at(22_000, 10, [0.25, 0.5, 0.75, 1])
    expect(primaryOf(out).status).toBe('BETWEEN_LOOKS')
    expect(out.gstFraction).toBeNull()
    expect(out.decision).toBe('continue')
  })

  it('with several treatments each is tested at α / treatments, without Holm', () => {
    const three = specFixture({ variants: threeArms, statistics: { test: 'gst', plannedUnits: 60_000, gst: { looks: 4 } } })
    const n = 5_000 // t = 15,000 / 60,000 = 0.25
    const se = Math.sqrt(2 / n)
    const out = decide(
      evaluationFixture({
        record: lastStep(three),
        now: NOW,
        units: unitsFixture({ control: n, b: n, c: n }, NOW - MINUTE),
        metrics: {
          conversion: { control: gaussian(n, 3, 1), b: gaussian(n, 3 + 4.5 * se, 1), c: gaussian(n, 3 + 4.5 * se, 1) },
          error_rate: { control: bernoulli(n, 0.01), b: bernoulli(n, 0.01), c: bernoulli(n, 0.01) },
        },
      }),
    )
    const cb = firstLookBoundary('obf', 0.25, 0.025)
    expect(cb).toBeGreaterThan(4.5) // at α = 0.05 it would be 4.33 and z = 4.5 would cross
    for (const c of out.comparisons.filter((x) => x.role === 'primary')) {
      expect(c.alpha).toBe(0.025)
      expect(c.boundary!).toBeCloseTo(cb, 5)
      expect(c.significant).toBe(false)
      expect(c.adjustedP).toBeUndefined()
    }
    expect(out.gstFraction).toBe(0.25)
    expect(out.decision).toBe('continue')
  })

  it('guardrail harm between looks still rolls back (always-valid, never GST)', () => {
    const n = 4_000
    const out = decide(
      evaluationFixture({
        record: runningRecord(spec),
        now: T0 + 2 * HOUR,
        units: unitsFixture({ control: n, treatment: n }, T0 + 2 * HOUR - MINUTE),
        metrics: { conversion: { control: bernoulli(n, 0.1), treatment: bernoulli(n, 0.1) }, error_rate: { control: bernoulli(n, 0.01), treatment: bernoulli(n, 0.05) } },
      }),
    )
    expect(out.comparisons.find((c) => c.role === 'guardrail')!.method).toBe('msprt')
    expect(out.decision).toBe('rollback')
  })
})

describe('ramp', () => {
  it('ramps once the step minimum is met and guardrails are measured and healthy', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: T0 + 2 * HOUR }))
    expect(out).toMatchObject({ decision: 'ramp', needsApproval: false })
    expect(codes(out)).toEqual(['STEP_DURATION_MET', 'HEALTHY'])
    expect(out.reasons[0]!.numbers).toEqual({ inStepSeconds: 7_200, fromExposure: 5, toExposure: 25 })
    expect(out.reasons[1]!.numbers.p_error_rate_treatment!).toBeGreaterThan(0.05)
  })

  it('exactly at the minimum duration counts as met', () => {
    expect(decide(evaluationFixture({ record: runningRecord(), now: T0 + HOUR })).decision).toBe('ramp')
  })

  it('from step 1 uses step 1 minimum (2h) and ramps to 100%', () => {
    const record = runningRecord(specFixture(), { step: 1, stepStartedAt: T0 + 3 * HOUR })
    expect(decide(evaluationFixture({ record, now: T0 + 5 * HOUR - MINUTE })).decision).toBe('continue')
    const out = decide(evaluationFixture({ record, now: T0 + 5 * HOUR }))
    expect(out.decision).toBe('ramp')
    expect(out.reasons[0]!.numbers).toMatchObject({ fromExposure: 25, toExposure: 100 })
  })

  it('a step without a minimum duration ramps at the first healthy evaluation', () => {
    const spec = specFixture({ rollout: { steps: [{ exposure: 10 }, { exposure: 100 }] } })
    expect(decide(evaluationFixture({ record: runningRecord(spec), now: T0 + MINUTE })).decision).toBe('ramp')
  })

  it('needs approval when policy.approvalToRamp is set', () => {
    const out = decide(evaluationFixture({ record: runningRecord(specFixture({ policy: { approvalToRamp: true } })), now: T0 + 2 * HOUR }))
    expect(out).toMatchObject({ decision: 'ramp', needsApproval: true })
    expect(codes(out)).toEqual(['STEP_DURATION_MET', 'HEALTHY', 'APPROVAL_REQUIRED'])
  })

  it('needs approval when the current step asks for it', () => {
    const spec = specFixture({ rollout: { steps: [{ exposure: 5, minDuration: '1h', approval: true }, { exposure: 100 }] } })
    const out = decide(evaluationFixture({ record: runningRecord(spec), now: T0 + 2 * HOUR }))
    expect(out).toMatchObject({ decision: 'ramp', needsApproval: true })
    expect(codes(out)).toContain('APPROVAL_REQUIRED')
  })

  it('a primary that is already significantly worse does not block a ramp (guardrails govern ramps)', () => {
    const metrics = { conversion: { control: bernoulli(N, 0.12), treatment: bernoulli(N, 0.1) }, error_rate: flatErrors }
    expect(decide(evaluationFixture({ record: runningRecord(), now: T0 + 2 * HOUR, metrics })).decision).toBe('ramp')
  })
})

describe('continue', () => {
  it('while the step minimum duration is pending, with the numbers', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: T0 + 30 * MINUTE }))
    expect(out).toMatchObject({ decision: 'continue', needsApproval: false })
    expect(out.reasons).toEqual([expect.objectContaining({ code: 'STEP_DURATION_PENDING', numbers: { inStepSeconds: 1_800, minSeconds: 3_600 } })])
  })

  it('while guardrails have fewer than minUnits per arm', () => {
    const metrics = { conversion: { control: bernoulli(60, 0.1), treatment: bernoulli(70, 0.1) }, error_rate: { control: bernoulli(60, 0.05), treatment: bernoulli(70, 0.05) } }
    const now = T0 + 2 * HOUR
    const out = decide(evaluationFixture({ record: runningRecord(), now, units: unitsFixture({ control: 60, treatment: 70 }, now - MINUTE), metrics }))
    expect(out.decision).toBe('continue')
    expect(out.reasons).toEqual([expect.objectContaining({ code: 'GUARDRAIL_NO_DATA', numbers: { minUnits: 100, controlUnits_error_rate_treatment: 60, treatmentUnits_error_rate_treatment: 70 } })])
    expect(out.reasons[0]!.message).toContain('error_rate/treatment 60+70')
  })

  it('while a guardrail has no data at all', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: T0 + 2 * HOUR, metrics: { conversion: flat } }))
    expect(codes(out)).toEqual(['GUARDRAIL_NO_DATA'])
    expect(out.reasons[0]!.message).toContain('error_rate/treatment no data')
  })
})

describe('multiple testing and outcome shape', () => {
  const shape = {
    variants: threeArms,
    metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease' as const }, { name: 'latency', direction: 'decrease' as const }], secondary: [{ name: 'clicks' }] },
  }
  const spec = specFixture(shape)
  const now = T0 + 2 * HOUR
  const units = unitsFixture({ control: N, b: N, c: N }, { control: now - 5 * MINUTE, b: now - MINUTE, c: null })
  const metrics = {
    conversion: { control: bernoulli(N, 0.1), b: bernoulli(N, 0.1), c: bernoulli(N, 0.1) },
    error_rate: { control: bernoulli(N, 0.01), b: bernoulli(N, 0.01), c: bernoulli(N, 0.05) },
    latency: { control: gaussian(N, 200, 50), b: gaussian(N, 200, 50), c: gaussian(N, 200, 50) },
    clicks: { control: gaussian(N, 3, 1), b: gaussian(N, 3, 1), c: gaussian(N, 3, 1) },
  }
  const out = decide(evaluationFixture({ record: runningRecord(spec), now, units, metrics }))
  const byRole = (role: string) => out.comparisons.filter((c) => c.role === role)

  it('compares every metric for every treatment against control', () => {
    expect(out.comparisons.map((c) => `${c.role}:${c.metric}/${c.variant}`)).toEqual([
      'primary:conversion/b', 'primary:conversion/c',
      'guardrail:error_rate/b', 'guardrail:error_rate/c',
      'guardrail:latency/b', 'guardrail:latency/c',
      'secondary:clicks/b', 'secondary:clicks/c',
    ])
  })

  it('tests every comparison at the unadjusted α and carries the adjusted p of its family', () => {
    for (const c of out.comparisons) expect(c.alpha).toBe(0.05)
    const guardrails = byRole('guardrail')
    const holm = holmByHand(guardrails.map((c) => c.sequentialP!))
    guardrails.forEach((c, i) => expect(c.adjustedP!).toBeCloseTo(holm[i]!, 15))
    // error_rate/c is the smallest of four: adjusted = 4p
    expect(guardrails[1]!.adjustedP!).toBeCloseTo(4 * guardrails[1]!.sequentialP!, 15)
    const primary = byRole('primary')
    const holmPrimary = holmByHand(primary.map((c) => c.sequentialP!))
    primary.forEach((c, i) => expect(c.adjustedP!).toBeCloseTo(holmPrimary[i]!, 15))
  })

  it('rolls back naming only the harmful variant, with the Holm-adjusted p', () => {
    expect(out.decision).toBe('rollback')
    expect(out.reasons.map((r) => `${r.metric}/${r.variant}`)).toEqual(['error_rate/c'])
    const c = out.comparisons.find((x) => x.metric === 'error_rate' && x.variant === 'c')!
    expect(out.reasons[0]!.numbers).toMatchObject({ alpha: 0.05, pValue: c.sequentialP, adjustedPValue: c.adjustedP })
  })

  it('reports SRM counts in variant order, the test and the newest event time', () => {
    expect(out.srm.counts).toEqual([N, N, N])
    expect(out.srm).toMatchObject({ status: 'ok', test: 'sequential' })
    // 34/33/33 weights vs equal counts: the Bayes factor is below 1 (log BF ≈ −0.45), p = 1
    const byHand = sequentialSrmByHand([N, N, N], [34, 33, 33])
    expect(byHand.logBf).toBeLessThan(0)
    expect(out.srm.pValue).toBe(1)
    expect(out.lastEventMs).toBe(now - MINUTE)
  })

  it('with srmTest chisquare the same counts give Pearson\'s p (df 2: e^{−χ²/2})', () => {
    const chi = decide(evaluationFixture({ record: runningRecord(specFixture({ ...shape, statistics: { srmTest: 'chisquare' } })), now, units, metrics }))
    const x2 = chiSquareByHand([N, N, N], [34, 33, 33])
    expect(x2).toBeCloseTo(400 ** 2 / 20_400 + (2 * 200 ** 2) / 19_800, 9)
    expect(chi.srm.test).toBe('chisquare')
    expect(chi.srm.pValue!).toBeCloseTo(Math.exp(-x2 / 2), 12)
  })
})

describe('secondary metrics', () => {
  const spec = specFixture({ variants: threeArms, metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }], secondary: [{ name: 'signup' }] } })
  const units = unitsFixture({ control: N, b: N, c: N }, LAST_STEP_AT + DAY - MINUTE)
  const metrics = {
    conversion: { control: bernoulli(N, 0.1), b: bernoulli(N, 0.1), c: bernoulli(N, 0.1) },
    error_rate: { control: bernoulli(N, 0.01), b: bernoulli(N, 0.01), c: bernoulli(N, 0.01) },
    signup: { control: bernoulli(N, 0.1), b: bernoulli(N, 0.11), c: bernoulli(N, 0.1102) },
  }

  it('are Benjamini–Hochberg adjusted (two raw p in (α/2, α) both survive, where Holm would keep neither)', () => {
    const out = decide(evaluationFixture({ record: lastStep(spec), now: LAST_STEP_AT + DAY, units, metrics }))
    const secondary = out.comparisons.filter((c) => c.role === 'secondary')
    const raw = secondary.map((c) => c.sequentialP!)
    for (const p of raw) {
      expect(p).toBeGreaterThan(0.025)
      expect(p).toBeLessThan(0.05)
    }
    const bh = bhByHand(raw)
    secondary.forEach((c, i) => expect(c.adjustedP!).toBeCloseTo(bh[i]!, 15))
    expect(Math.max(...bh)).toBeCloseTo(Math.max(...raw), 15) // the largest keeps its p (m·p/m)
    expect(Math.min(...holmByHand(raw))).toBeGreaterThan(0.05)
    expect(secondary.map((c) => c.significant)).toEqual([true, true])
  })

  it('are reported only: significant secondaries never complete an experiment', () => {
    const out = decide(evaluationFixture({ record: lastStep(spec), now: LAST_STEP_AT + DAY, units, metrics }))
    expect(out.decision).toBe('continue')
    expect(codes(out)).toEqual(['PRIMARY_INCONCLUSIVE'])
  })
})
