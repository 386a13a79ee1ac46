/**
 * Decision engine, progress paths: max duration, completing on the last step, ramping
 * (with and without approval), and continuing while duration or sample is short.
 */
import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/decide/decide.js'
import { DAY, HOUR, MINUTE, T0, bernoulli, evaluationFixture, gaussian, runningRecord, specFixture, unitsFixture } from '../../support/fixtures.js'

const N = 20_000
const codes = (o: ReturnType<typeof decide>) => o.reasons.map((r) => r.code)
const flatErrors = { control: bernoulli(N, 0.01), treatment: bernoulli(N, 0.01) }
const lift = { control: bernoulli(N, 0.1), treatment: bernoulli(N, 0.12) }
const flat = { control: bernoulli(N, 0.1), treatment: bernoulli(N, 0.1) }

/** The last step (100%, min 1d) entered two days after start. */
const LAST_STEP_AT = T0 + 2 * DAY
const lastStep = (spec = specFixture()) => runningRecord(spec, { step: 2, startedAt: T0, stepStartedAt: LAST_STEP_AT })

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
    expect(out.comparisons.find((c) => c.role === 'primary')!.significant).toBe(true)
    expect(out.decision).toBe('continue')
  })

  it('never ramps past the last step', () => {
    const out = decide(evaluationFixture({ record: lastStep(), now: LAST_STEP_AT + 3 * DAY, metrics: metricsWith(flat) }))
    expect(out.decision).not.toBe('ramp')
  })

  it('with several treatments, completes on the conclusive ones at α / treatments', () => {
    const spec = specFixture({ variants: [{ name: 'control', weight: 34 }, { name: 'b', weight: 33 }, { name: 'c', weight: 33 }] })
    const units = unitsFixture({ control: N, b: N, c: N }, LAST_STEP_AT + DAY - MINUTE)
    const metrics = { conversion: { control: bernoulli(N, 0.1), b: bernoulli(N, 0.1), c: bernoulli(N, 0.12) }, error_rate: { control: flatErrors.control, b: flatErrors.control, c: flatErrors.control } }
    const out = decide(evaluationFixture({ record: lastStep(spec), now: LAST_STEP_AT + DAY, units, metrics }))
    expect(out.decision).toBe('complete')
    expect(out.reasons.map((r) => r.variant)).toEqual(['c'])
    expect(out.reasons[0]!.numbers.alpha).toBeCloseTo(0.025, 12)
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
    expect(out.reasons).toEqual([expect.objectContaining({ code: 'INSUFFICIENT_SAMPLE', numbers: { minUnits: 100 } })])
    expect(out.reasons[0]!.message).toContain('error_rate/treatment 60+70')
  })

  it('while a guardrail has no data at all', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: T0 + 2 * HOUR, metrics: { conversion: flat } }))
    expect(codes(out)).toEqual(['INSUFFICIENT_SAMPLE'])
  })
})

describe('multiple testing and outcome shape', () => {
  const spec = specFixture({
    variants: [{ name: 'control', weight: 34 }, { name: 'b', weight: 33 }, { name: 'c', weight: 33 }],
    metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }, { name: 'latency', direction: 'decrease' }], secondary: [{ name: 'clicks' }] },
  })
  const now = T0 + 2 * HOUR
  const units = unitsFixture({ control: N, b: N, c: N }, { control: now - 5 * MINUTE, b: now - MINUTE, c: null })
  const metrics = {
    conversion: { control: bernoulli(N, 0.1), b: bernoulli(N, 0.1), c: bernoulli(N, 0.1) },
    error_rate: { control: bernoulli(N, 0.01), b: bernoulli(N, 0.01), c: bernoulli(N, 0.05) },
    latency: { control: gaussian(N, 200, 50), b: gaussian(N, 200, 50), c: gaussian(N, 200, 50) },
    clicks: { control: gaussian(N, 3, 1), b: gaussian(N, 3, 1), c: gaussian(N, 3, 1) },
  }
  const out = decide(evaluationFixture({ record: runningRecord(spec), now, units, metrics }))

  it('compares every metric for every treatment against control', () => {
    expect(out.comparisons.map((c) => `${c.role}:${c.metric}/${c.variant}`)).toEqual([
      'primary:conversion/b', 'primary:conversion/c',
      'guardrail:error_rate/b', 'guardrail:error_rate/c',
      'guardrail:latency/b', 'guardrail:latency/c',
      'secondary:clicks/b', 'secondary:clicks/c',
    ])
  })

  it('tests guardrails at α / (guardrails × treatments) and the primary at α / treatments', () => {
    for (const c of out.comparisons.filter((x) => x.role === 'guardrail')) expect(c.alpha).toBeCloseTo(0.0125, 12)
    for (const c of out.comparisons.filter((x) => x.role === 'primary')) expect(c.alpha).toBeCloseTo(0.025, 12)
  })

  it('rolls back naming only the harmful variant, at the corrected α', () => {
    expect(out.decision).toBe('rollback')
    expect(out.reasons.map((r) => `${r.metric}/${r.variant}`)).toEqual(['error_rate/c'])
    expect(out.reasons[0]!.numbers.alpha).toBeCloseTo(0.0125, 12)
  })

  it('reports SRM counts in variant order and the newest event time', () => {
    expect(out.srm.counts).toEqual([N, N, N])
    // 34/33/33 weights vs equal counts: χ² = 400²/20,400 + 2 · 200²/19,800 ≈ 11.88, df 2, p ≈ 0.0026
    expect(out.srm.status).toBe('ok')
    expect(out.srm.pValue!).toBeCloseTo(Math.exp(-11.8835 / 2), 4)
    expect(out.lastEventMs).toBe(now - MINUTE)
  })
})
