/**
 * Decision engine, protective paths: guardrail harm, sample ratio mismatch, telemetry
 * health, and their precedence over each other and over progress.
 */
import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/decide/decide.js'
import { DAY, HOUR, MINUTE, T0, bernoulli, evaluationFixture, gaussian, runningRecord, specFixture, unitsFixture } from '../../support/fixtures.js'
import { chiSquareByHand, phiUpper, sequentialSrmByHand } from './reference.js'

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
    // one-sided harm test: a lower bound on the increase, no upper bound (∞ → null)
    expect(r!.numbers.ciLow!).toBeGreaterThan(0)
    expect(r!.numbers.ciHigh).toBeNull()
    expect(r!.numbers.pValue!).toBeLessThan(0.05)
    // a family of one guardrail × one treatment: Holm leaves p as it is
    expect(r!.numbers.adjustedPValue).toBe(r!.numbers.pValue)
    expect(r!.message).toContain('error_rate')
    expect(r!.message).toContain('treatment')
    expect(r!.message).toContain('harm test msprt')
    expect(r!.message).toContain('Holm-adjusted')
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

  it('a beneficial change (error rate DOWN on a decrease metric) is no evidence of harm', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: NOW, metrics: { conversion: healthyConversion, error_rate: { control: bernoulli(N, 0.05), treatment: bernoulli(N, 0.01) } } }))
    const c = out.comparisons.find((x) => x.metric === 'error_rate')!
    expect(c).toMatchObject({ sequentialP: 1, adjustedP: 1, significant: false, harmful: false })
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
    const c = out.comparisons.find((x) => x.metric === 'error_rate')!
    // the evidence is there, but the comparison is left out of the Holm family
    expect(c.sequentialP!).toBeLessThan(1e-6)
    expect(c).toMatchObject({ adjustedP: null, significant: false, harmful: false })
    expect(out.decision).toBe('continue')
    expect(out.reasons).toEqual([expect.objectContaining({ code: 'GUARDRAIL_NO_DATA', numbers: expect.objectContaining({ minUnits: 50_000 }) })])
  })

  it('a guardrail going from zero errors in control to 10% in treatment rolls back', () => {
    const out = decide(evaluationFixture({ record: runningRecord(), now: NOW, metrics: { conversion: healthyConversion, error_rate: { control: bernoulli(N, 0), treatment: bernoulli(N, 0.1) } } }))
    expect(out.decision).toBe('rollback')
  })
})

describe('guardrail multiplicity: Holm across guardrails × treatments', () => {
  const three = specFixture({
    metrics: {
      primary: { name: 'conversion' },
      guardrails: [
        { name: 'error_rate', direction: 'decrease' },
        { name: 'latency', direction: 'decrease' },
        { name: 'crashes', direction: 'decrease' },
      ],
    },
  })
  const flatCrashes = { control: bernoulli(N, 0.002), treatment: bernoulli(N, 0.002) }
  /** Latency +1.5 ms (p ≈ 0.045) and +1.6 ms (p ≈ 0.024) on 200 ± 50 ms, τ tuned to N* (msprt-tau.ts): weak, one-sided evidence of harm. */
  const slower = (ms: number) => ({ control: gaussian(N, 200, 50), treatment: gaussian(N, 200 + ms, 50) })
  const evaluate = (spec: typeof three, metrics: Parameters<typeof evaluationFixture>[0]['metrics']) =>
    decide(evaluationFixture({ record: runningRecord(spec), now: NOW, metrics }))
  const find = (o: ReturnType<typeof decide>, metric: string, variant = 'treatment') => o.comparisons.find((c) => c.metric === metric && c.variant === variant)!

  it('weak harm (raw p < α) is not acted on when its Holm-adjusted p exceeds α', () => {
    const out = evaluate(three, { conversion: healthyConversion, error_rate: harmfulErrors, latency: slower(1.5), crashes: flatCrashes })
    const strong = find(out, 'error_rate')
    const weak = find(out, 'latency')
    const healthy = find(out, 'crashes')
    expect(weak.sequentialP!).toBeGreaterThan(0.025)
    expect(weak.sequentialP!).toBeLessThan(0.05)
    expect(healthy.sequentialP).toBe(1)
    // by hand: ranks strong < weak < healthy, multipliers 3, 2, 1, running maximum
    const adjStrong = Math.min(1, 3 * strong.sequentialP!)
    const adjWeak = Math.max(adjStrong, 2 * weak.sequentialP!)
    expect(strong.adjustedP!).toBeCloseTo(adjStrong, 15)
    expect(weak.adjustedP!).toBeCloseTo(adjWeak, 12)
    expect(healthy.adjustedP).toBe(1)
    expect(weak.adjustedP!).toBeGreaterThan(0.05)
    expect(weak).toMatchObject({ alpha: 0.05, significant: false, harmful: false })
    expect(out.decision).toBe('rollback')
    expect(out.reasons.map((r) => r.metric)).toEqual(['error_rate'])
    expect(out.reasons[0]!.numbers.adjustedPValue).toBe(strong.adjustedP)
  })

  it('the same weak harm on a lone guardrail rolls back (the family is what changed)', () => {
    const alone = specFixture({ metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'latency', direction: 'decrease' }] } })
    const out = evaluate(alone, { conversion: healthyConversion, latency: slower(1.5) })
    const c = find(out, 'latency')
    expect(c.adjustedP).toBe(c.sequentialP)
    expect(out.decision).toBe('rollback')
    expect(out.reasons[0]).toMatchObject({ code: 'GUARDRAIL_HARM', metric: 'latency' })
  })

  it('is Holm, not Bonferroni: a second harm with α/3 < p ≤ α/2 is acted on after the first', () => {
    const out = evaluate(three, { conversion: healthyConversion, error_rate: harmfulErrors, latency: slower(1.6), crashes: flatCrashes })
    const weak = find(out, 'latency')
    expect(weak.sequentialP!).toBeGreaterThan(0.05 / 3) // Bonferroni (α/3) would not reject
    expect(weak.sequentialP!).toBeLessThanOrEqual(0.025)
    expect(weak.adjustedP!).toBeCloseTo(Math.max(3 * find(out, 'error_rate').sequentialP!, 2 * weak.sequentialP!), 12)
    expect(weak.harmful).toBe(true)
    expect(out.reasons.map((r) => r.metric)).toEqual(['error_rate', 'latency'])
  })

  it('with only weak harm and two healthy guardrails, nothing rolls back', () => {
    const out = evaluate(three, { conversion: healthyConversion, error_rate: { control: bernoulli(N, 0.01), treatment: bernoulli(N, 0.01) }, latency: slower(1.5), crashes: flatCrashes })
    const weak = find(out, 'latency')
    expect(weak.sequentialP!).toBeLessThan(0.05)
    // the weak one is now the smallest p: multiplier 3
    expect(weak.adjustedP!).toBeCloseTo(3 * weak.sequentialP!, 12)
    expect(out.decision).toBe('ramp')
  })

  it('comparisons below minUnits or without a test count as p = 1: the family does not grow over time', () => {
    const spec = specFixture({
      variants: [{ name: 'control', weight: 34 }, { name: 'b', weight: 33 }, { name: 'c', weight: 33 }],
      metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'latency', direction: 'decrease' }] },
    })
    const units = unitsFixture({ control: N, b: N, c: N }, NOW - MINUTE)
    const conversion = { control: bernoulli(N, 0.1), b: bernoulli(N, 0.1), c: bernoulli(N, 0.1) }
    const weak = slower(1.5)
    const at = (b: ReturnType<typeof gaussian>) =>
      decide(evaluationFixture({ record: runningRecord(spec), now: NOW, units, metrics: { conversion, latency: { control: weak.control, b, c: weak.treatment } } }))
    // b measured on 50 units only: not acted on (adjustedP null) but still a member at p = 1,
    // so c is corrected for a family of two already — as it will be once b has data
    const thin = at(gaussian(50, 200, 50))
    const cThin = find(thin, 'latency', 'c')
    expect(find(thin, 'latency', 'b').adjustedP).toBeNull()
    expect(cThin.sequentialP!).toBeLessThan(0.05)
    expect(cThin.adjustedP!).toBeCloseTo(Math.min(1, 2 * cThin.sequentialP!), 12)
    expect(cThin.harmful).toBe(false)
    expect(thin.decision).not.toBe('rollback')
    // b with no latency data at all: INSUFFICIENT_SAMPLE, likewise p = 1
    const missing = at({ n: 0, sum: 0, sumSquares: 0 })
    expect(find(missing, 'latency', 'b')).toMatchObject({ status: 'INSUFFICIENT_SAMPLE', adjustedP: null })
    expect(find(missing, 'latency', 'c').adjustedP!).toBeCloseTo(Math.min(1, 2 * find(missing, 'latency', 'c').sequentialP!), 12)
    expect(missing.decision).not.toBe('rollback')
    // b fully measured and healthy: the family has two members and c's p doubles past α
    const full = at(gaussian(N, 200, 50))
    const c = find(full, 'latency', 'c')
    expect(c.adjustedP!).toBeCloseTo(2 * c.sequentialP!, 12)
    expect(c.harmful).toBe(false)
    expect(full.decision).toBe('ramp')
  })
})

describe('sample ratio mismatch', () => {
  const at = (counts: Record<string, number>, spec = specFixture()) => decide(evaluationFixture({ record: runningRecord(spec), now: NOW, units: unitsFixture(counts, NOW - MINUTE) }))
  const chisquare = (extra: Record<string, unknown> = {}) => specFixture({ statistics: { srmTest: 'chisquare', ...extra } })

  it('by default pauses when the sequential p = 1/BF < srmAlpha, reporting the test, p, χ² and the counts', () => {
    const out = at({ control: 10_000, treatment: 10_800 })
    expect(out).toMatchObject({ decision: 'pause', needsApproval: false })
    expect(out.reasons).toHaveLength(1)
    const [r] = out.reasons
    expect(r!.code).toBe('SRM')
    // Lindon & Malek Bayes factor, Dirichlet(50, 50) prior, from exact rising factorials
    const byHand = sequentialSrmByHand([10_000, 10_800], [50, 50])
    expect(byHand.p).toBeGreaterThan(1e-6)
    expect(byHand.p).toBeLessThan(1e-5)
    expect(r!.numbers.pValue! / byHand.p).toBeCloseTo(1, 8)
    // χ² is reported alongside: total 20,800, expected 10,400 each, χ² = 2 · 400² / 10,400
    expect(r!.numbers.chiSquare).toBeCloseTo(30.769_230_769, 6)
    expect(r!.numbers).toMatchObject({ units_control: 10_000, units_treatment: 10_800 })
    expect(r!.message).toContain('sequential p=')
    expect(out.srm).toMatchObject({ test: 'sequential', status: 'ok', counts: [10_000, 10_800] })
  })

  it('srmTest chisquare uses Pearson\'s p instead', () => {
    const out = at({ control: 10_000, treatment: 10_800 }, chisquare())
    const [r] = out.reasons
    expect(r!.code).toBe('SRM')
    const x2 = chiSquareByHand([10_000, 10_800], [50, 50])
    // df 1: P(χ²₁ > x) = 2·(1 − Φ(√x))
    expect(r!.numbers.pValue! / (2 * phiUpper(Math.sqrt(x2)))).toBeCloseTo(1, 5)
    expect(r!.numbers.pValue!).toBeLessThan(1e-6)
    expect(r!.message).toContain('chisquare p=')
    expect(out.srm.test).toBe('chisquare')
  })

  it('the sequential test stays quiet where a single-look χ² would already pause (10,000 / 10,600)', () => {
    const counts = { control: 10_000, treatment: 10_600 }
    const seq = sequentialSrmByHand([10_000, 10_600], [50, 50]).p
    expect(seq).toBeGreaterThan(0.001)
    expect(2 * phiUpper(Math.sqrt(chiSquareByHand([10_000, 10_600], [50, 50])))).toBeLessThan(0.001)
    const sequential = at(counts)
    expect(sequential.srm.pValue! / seq).toBeCloseTo(1, 8)
    expect(sequential.decision).toBe('ramp')
    expect(codes(at(counts, chisquare()))).toEqual(['SRM'])
  })

  it('does not pause on a split consistent with the weights', () => {
    const out = at({ control: 10_000, treatment: 10_100 })
    // the Bayes factor favours the configured split: p = min(1, 1/BF) = 1
    expect(sequentialSrmByHand([10_000, 10_100], [50, 50]).logBf).toBeLessThan(0)
    expect(out.srm.pValue).toBe(1)
    expect(out.decision).toBe('ramp')
  })

  it('tests against the configured weights, not an even split', () => {
    const spec = specFixture({ variants: [{ name: 'control', weight: 10 }, { name: 'treatment', weight: 90 }] })
    expect(at({ control: 2_000, treatment: 18_000 }, spec).decision).toBe('ramp')
    expect(at({ control: 10_000, treatment: 10_000 }, spec).decision).toBe('pause')
  })

  it('honours a custom srmAlpha', () => {
    const counts = { control: 10_000, treatment: 10_500 }
    const p = sequentialSrmByHand([10_000, 10_500], [50, 50]).p
    expect(p).toBeGreaterThan(0.001)
    expect(p).toBeLessThan(0.05)
    expect(at(counts).decision).toBe('ramp')
    expect(codes(at(counts, specFixture({ statistics: { srmAlpha: 0.05 } })))).toEqual(['SRM'])
  })

  it('a variant with no units at all is a mismatch', () => {
    for (const spec of [specFixture(), chisquare()]) {
      const out = at({ control: 5_000 }, spec)
      expect(out.decision).toBe('pause')
      expect(out.reasons[0]!.numbers).toMatchObject({ units_control: 5_000, units_treatment: 0 })
    }
  })

  it('a handful of units: the sequential test is valid but quiet; chisquare reports INSUFFICIENT_SAMPLE (expected < 5)', () => {
    const sequential = at({ control: 7, treatment: 0 })
    // BF = Π_{k<7} (50 + k)/(100 + k) · 2⁷ ≈ 1.22
    expect(sequential.srm).toMatchObject({ status: 'ok', test: 'sequential' })
    expect(sequential.srm.pValue!).toBeCloseTo(sequentialSrmByHand([7, 0], [50, 50]).p, 10)
    expect(sequential.srm.pValue!).toBeGreaterThan(0.5)
    expect(codes(sequential)).not.toContain('SRM')
    const pearson = at({ control: 7, treatment: 0 }, chisquare())
    expect(pearson.srm.status).toBe('INSUFFICIENT_SAMPLE')
    expect(codes(pearson)).not.toContain('SRM')
  })

  it('no units at all: INSUFFICIENT_SAMPLE with p = 1', () => {
    const out = decide({ record: runningRecord(), now: T0 + 10 * MINUTE, units: [], metrics: [] })
    expect(out.srm).toMatchObject({ status: 'INSUFFICIENT_SAMPLE', pValue: 1, counts: [0, 0], test: 'sequential' })
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
