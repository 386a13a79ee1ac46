/**
 * Decision engine, protective paths: guardrail harm, sample ratio mismatch, telemetry
 * health, and their precedence over each other and over progress.
 */
import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/decide/decide.js'
import { DAY, HOUR, MINUTE, T0, bernoulli, evaluationFixture, gaussian, runningRecord, specFixture, unitsFixture } from '../../support/fixtures.js'

const N = 20_000
/** Step 0 (5%, min 1h) entered at T0; two hours later the step duration is met. */
const NOW = T0 + 2 * HOUR
const healthyConversion = { control: bernoulli(N, 0.1), treatment: bernoulli(N, 0.1) }
const harmfulErrors = { control: bernoulli(N, 0.01), treatment: bernoulli(N, 0.05) }
const codes = (o: ReturnType<typeof decide>) => o.reasons.map((r) => r.code)

describe('baseline', () => {
  it('the healthy fixture at step 0 with its duration met ramps', () => {
    expect(decide(evaluationFixture({ record: runningRecord(), now: NOW })).decision).toBe('ramp')
  })
})

describe('guardrail harm', () => {
  it('rolls back, naming the metric, the variant and the numbers', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: NOW, metrics: { conversion: healthyConversion, error_rate: harmfulErrors } }))
    expect(out.decision).toBe('rollback')
    expect(out.needsApproval).toBe(false)
    expect(out.reasons).toHaveLength(1)
    const [r] = out.reasons
    expect(r).toMatchObject({ code: 'GUARDRAIL_HARM', metric: 'error_rate', variant: 'treatment' })
    expect(r!.numbers).toMatchObject({ controlUnits: N, treatmentUnits: N, alpha: 0.05 })
    expect(r!.numbers.controlMean).toBeCloseTo(0.01, 12)
    expect(r!.numbers.treatmentMean).toBeCloseTo(0.05, 12)
    expect(r!.numbers.effect).toBeCloseTo(0.04, 12)
    expect(r!.numbers.ciLow!).toBeGreaterThan(0)
    expect(r!.numbers.ciHigh!).toBeGreaterThan(r!.numbers.ciLow!)
    expect(r!.numbers.pValue!).toBeLessThan(0.05)
    expect(r!.message).toContain('error_rate')
    expect(r!.message).toContain('treatment')
  })

  it('pauses and asks for approval when policy.autoRollback is off', () => {
    const spec = specFixture({ policy: { autoRollback: false } })
    const out = decide(evaluationFixture({ record: runningRecord(spec), now: NOW, metrics: { conversion: healthyConversion, error_rate: harmfulErrors } }))
    expect(out).toMatchObject({ decision: 'pause', needsApproval: true })
    expect(codes(out)).toEqual(['GUARDRAIL_HARM'])
  })

  it('acts on harm before the step duration is met', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: T0 + 10 * MINUTE, metrics: { conversion: healthyConversion, error_rate: harmfulErrors } }))
    expect(out.decision).toBe('rollback')
  })

  it('rolls back on an increase-is-good guardrail that drops', () => {
    const spec = specFixture({ metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'revenue', direction: 'increase' }] } })
    const metrics = { conversion: healthyConversion, revenue: { control: gaussian(N, 10, 5), treatment: gaussian(N, 9.5, 5) } }
    const out = decide(evaluationFixture({ record: runningRecord(spec), now: NOW, metrics }))
    expect(out.decision).toBe('rollback')
    expect(out.reasons[0]).toMatchObject({ code: 'GUARDRAIL_HARM', metric: 'revenue' })
    expect(out.reasons[0]!.numbers.effect).toBeCloseTo(-0.5, 10)
  })

  it('a beneficial change (error rate DOWN on a decrease metric) does not roll back', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: NOW, metrics: { conversion: healthyConversion, error_rate: { control: bernoulli(N, 0.05), treatment: bernoulli(N, 0.01) } } }))
    expect(out.comparisons.find((c) => c.metric === 'error_rate')!.significant).toBe(true)
    expect(out.decision).toBe('ramp')
    expect(codes(out)).not.toContain('GUARDRAIL_HARM')
  })

  it('a beneficial change on an increase metric does not roll back', () => {
    const spec = specFixture({ metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'revenue', direction: 'increase' }] } })
    const metrics = { conversion: healthyConversion, revenue: { control: gaussian(N, 10, 5), treatment: gaussian(N, 11, 5) } }
    expect(decide(evaluationFixture({ record: runningRecord(spec), now: NOW, metrics })).decision).toBe('ramp')
  })

  it('harm within the guardrail margin is tolerated', () => {
    const n = 1_000_000
    const metrics = { conversion: { control: bernoulli(n, 0.1), treatment: bernoulli(n, 0.1) }, error_rate: { control: bernoulli(n, 0.02), treatment: bernoulli(n, 0.022) } }
    const units = unitsFixture({ control: n, treatment: n }, NOW - MINUTE)
    const withMargin = specFixture({ metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease', margin: 0.5 }] } })
    expect(decide(evaluationFixture({ record: runningRecord(withMargin), now: NOW, units, metrics })).decision).toBe('ramp')
    expect(decide(evaluationFixture({ record: runningRecord(), now: NOW, units, metrics })).decision).toBe('rollback')
  })

  it('a worse primary or secondary metric is not guardrail harm', () => {
    const spec = specFixture({ metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }], secondary: [{ name: 'clicks' }] } })
    const metrics = {
      conversion: { control: bernoulli(N, 0.2), treatment: bernoulli(N, 0.1) },
      clicks: { control: gaussian(N, 5, 1), treatment: gaussian(N, 3, 1) },
      error_rate: { control: bernoulli(N, 0.01), treatment: bernoulli(N, 0.01) },
    }
    expect(decide(evaluationFixture({ record: runningRecord(spec), now: NOW, metrics })).decision).toBe('ramp')
  })

  it('harm measured on fewer than minUnits per arm is not acted on', () => {
    const spec = specFixture({ evaluation: { minUnits: 50_000 } })
    const out = decide(evaluationFixture({ record: runningRecord(spec), now: NOW, metrics: { conversion: healthyConversion, error_rate: harmfulErrors } }))
    expect(out.comparisons.find((c) => c.metric === 'error_rate')!.harmful).toBe(true)
    expect(out.decision).toBe('continue')
    expect(out.reasons).toEqual([expect.objectContaining({ code: 'INSUFFICIENT_SAMPLE', numbers: { minUnits: 50_000 } })])
  })

  it('a guardrail going from zero errors in control to 10% in treatment rolls back', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: NOW, metrics: { conversion: healthyConversion, error_rate: { control: bernoulli(N, 0), treatment: bernoulli(N, 0.1) } } }))
    expect(out.decision).toBe('rollback')
  })
})

describe('sample ratio mismatch', () => {
  it('pauses when p < srmAlpha and reports χ², p and the unit counts', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: NOW, units: unitsFixture({ control: 10_000, treatment: 10_800 }, NOW - MINUTE) }))
    expect(out).toMatchObject({ decision: 'pause', needsApproval: false })
    expect(out.reasons).toHaveLength(1)
    const [r] = out.reasons
    expect(r!.code).toBe('SRM')
    // total 20,800, expected 10,400 each: χ² = 2 · 400² / 10,400
    expect(r!.numbers.chiSquare).toBeCloseTo(30.769_230_769, 6)
    expect(r!.numbers.pValue!).toBeLessThan(1e-6)
    expect(r!.numbers.pValue!).toBeGreaterThan(0)
    expect(r!.numbers).toMatchObject({ units_control: 10_000, units_treatment: 10_800 })
    expect(out.srm.counts).toEqual([10_000, 10_800])
  })

  it('does not pause on a split consistent with the weights', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: NOW, units: unitsFixture({ control: 10_000, treatment: 10_100 }, NOW - MINUTE) }))
    expect(out.srm.pValue!).toBeGreaterThan(0.4)
    expect(out.decision).toBe('ramp')
  })

  it('tests against the configured weights, not an even split', () => {
    const spec = specFixture({ variants: [{ name: 'control', weight: 10 }, { name: 'treatment', weight: 90 }] })
    const at = (c: number, t: number) => decide(evaluationFixture({ record: runningRecord(spec), now: NOW, units: unitsFixture({ control: c, treatment: t }, NOW - MINUTE) }))
    expect(at(2_000, 18_000).decision).toBe('ramp')
    expect(at(10_000, 10_000).decision).toBe('pause')
  })

  it('honours a custom srmAlpha', () => {
    // χ² = 2 · 150² / 10,150 ≈ 4.43, p ≈ 0.035
    const units = unitsFixture({ control: 10_000, treatment: 10_300 }, NOW - MINUTE)
    expect(decide(evaluationFixture({ record: runningRecord(), now: NOW, units })).decision).toBe('ramp')
    const loose = specFixture({ statistics: { srmAlpha: 0.05 } })
    expect(codes(decide(evaluationFixture({ record: runningRecord(loose), now: NOW, units })))).toEqual(['SRM'])
  })

  it('a variant with no units at all is a mismatch', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: NOW, units: unitsFixture({ control: 5_000 }, NOW - MINUTE) }))
    expect(out.decision).toBe('pause')
    expect(out.reasons[0]!.numbers).toMatchObject({ units_control: 5_000, units_treatment: 0 })
  })

  it('too few units to test (expected < 5) is not a mismatch', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: NOW, units: unitsFixture({ control: 7, treatment: 0 }, NOW - MINUTE) }))
    expect(out.srm.status).toBe('INSUFFICIENT_SAMPLE')
    expect(codes(out)).not.toContain('SRM')
  })
})

describe('telemetry health', () => {
  it('pauses with NO_TELEMETRY when nothing arrived staleAfter after the step started', () => {
    const out = decide({ record: runningRecord(), now: T0 + 31 * MINUTE, units: [], metrics: [] })
    expect(out).toMatchObject({ decision: 'pause', lastEventMs: null })
    expect(out.reasons).toEqual([expect.objectContaining({ code: 'NO_TELEMETRY', numbers: { secondsSinceStart: 1_860, staleAfterSeconds: 1_800 } })])
  })

  it('waits (no pause) while still inside staleAfter', () => {
    const out = decide({ record: runningRecord(), now: T0 + 29 * MINUTE, units: [], metrics: [] })
    expect(out.decision).toBe('continue')
  })

  it('counts from the current step start after a ramp', () => {
    const record = runningRecord(specFixture(), { step: 1, startedAt: T0, stepStartedAt: T0 + 5 * HOUR })
    expect(decide({ record, now: T0 + 5 * HOUR + 20 * MINUTE, units: [], metrics: [] }).decision).toBe('continue')
    expect(codes(decide({ record, now: T0 + 5 * HOUR + 40 * MINUTE, units: [], metrics: [] }))).toEqual(['NO_TELEMETRY'])
  })

  it('units without any event time count as no telemetry', () => {
    const out = decide({ record: runningRecord(), now: NOW, units: unitsFixture({ control: 100, treatment: 100 }, null), metrics: [] })
    expect(codes(out)).toEqual(['NO_TELEMETRY'])
  })

  it('pauses with TELEMETRY_STALE when the newest event is older than staleAfter', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: NOW, units: unitsFixture({ control: N, treatment: N }, NOW - 45 * MINUTE) }))
    expect(out).toMatchObject({ decision: 'pause', lastEventMs: NOW - 45 * MINUTE })
    expect(out.reasons).toEqual([expect.objectContaining({ code: 'TELEMETRY_STALE', numbers: { freshnessSeconds: 2_700, staleAfterSeconds: 1_800 } })])
  })

  it('freshness is the newest event across variants', () => {
    const units = unitsFixture({ control: N, treatment: N }, { control: NOW - 3 * HOUR, treatment: NOW - 5 * MINUTE })
    const out = decide(evaluationFixture({ record: runningRecord(), now: NOW, units }))
    expect(out.lastEventMs).toBe(NOW - 5 * MINUTE)
    expect(out.decision).toBe('ramp')
  })

  it('honours a custom staleAfter', () => {
    const spec = specFixture({ evaluation: { staleAfter: '2h' } })
    const units = unitsFixture({ control: N, treatment: N }, NOW - 45 * MINUTE)
    expect(decide(evaluationFixture({ record: runningRecord(spec), now: NOW, units })).decision).toBe('ramp')
  })
})

describe('precedence', () => {
  const END = T0 + 15 * DAY
  const srmUnits = (last: number) => unitsFixture({ control: 10_000, treatment: 10_800 }, last)

  it('harm beats SRM, stale telemetry and max duration', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: END, units: srmUnits(END - 2 * HOUR), metrics: { conversion: healthyConversion, error_rate: harmfulErrors } }))
    expect(out.decision).toBe('rollback')
    expect(codes(out)).toEqual(['GUARDRAIL_HARM'])
  })

  it('SRM beats stale telemetry and max duration', () => {
    expect(codes(decide(evaluationFixture({ record: runningRecord(), now: END, units: srmUnits(END - 2 * HOUR) })))).toEqual(['SRM'])
  })

  it('stale telemetry beats max duration', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: END, units: unitsFixture({ control: N, treatment: N }, END - 2 * HOUR) }))
    expect(out.decision).toBe('pause')
    expect(codes(out)).toEqual(['TELEMETRY_STALE'])
  })

  it('no telemetry beats max duration', () => {
    expect(codes(decide({ record: runningRecord(), now: END, units: [], metrics: [] }))).toEqual(['NO_TELEMETRY'])
  })

  it('max duration beats a conclusive primary on the last step', () => {
    const record = runningRecord(specFixture(), { step: 2, stepStartedAt: T0 + 2 * DAY })
    const metrics = { conversion: { control: bernoulli(N, 0.1), treatment: bernoulli(N, 0.13) }, error_rate: { control: bernoulli(N, 0.01), treatment: bernoulli(N, 0.01) } }
    const out = decide(evaluationFixture({ record, now: END, metrics }))
    expect(out.decision).toBe('complete')
    expect(codes(out)).toEqual(['MAX_DURATION_REACHED'])
  })
})
