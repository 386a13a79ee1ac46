/** Never act on missing data: a guardrail without enough data blocks ramps and completion, with the counts. */
import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/decide/decide.js'
import { DAY, HOUR, MINUTE, T0, bernoulli, evaluationFixture, runningRecord, specFixture, unitsFixture } from '../../support/fixtures.js'

const N = 20_000
const codes = (o: ReturnType<typeof decide>) => o.reasons.map((r) => r.code)
const winning = { control: bernoulli(N, 0.1), treatment: bernoulli(N, 0.13) }
/** Last step (2 of 3 → index 2) entered a day after start, its duration long met. */
const lastStep = () => runningRecord(specFixture(), { step: 2, stepStartedAt: T0 + DAY })

describe('GUARDRAIL_NO_DATA', () => {
  it('a conclusive primary with zero guardrail data does not complete (it used to, on the primary alone)', () => {
    const out = decide(evaluationFixture({ record: lastStep(), now: T0 + 3 * DAY, metrics: { conversion: winning } }))
    expect(out.decision).toBe('continue')
    expect(codes(out)).toEqual(['GUARDRAIL_NO_DATA', 'PRIMARY_CONCLUSIVE'])
    expect(out.reasons[0]!.numbers).toEqual({ minUnits: 100, controlUnits_error_rate_treatment: 0, treatmentUnits_error_rate_treatment: 0 })
    expect(out.reasons[0]!.message).toContain('error_rate/treatment no data')
    expect(out.result).toBeNull()
  })

  it('one arm without data is as good as none', () => {
    const out = decide(evaluationFixture({ record: lastStep(), now: T0 + 3 * DAY, metrics: { conversion: winning, error_rate: { control: bernoulli(N, 0.01) } } }))
    expect(out.decision).toBe('continue')
    expect(out.reasons[0]!.numbers).toMatchObject({ controlUnits_error_rate_treatment: N, treatmentUnits_error_rate_treatment: 0 })
  })

  it('the same evaluation with the guardrail measured completes', () => {
    const out = decide(evaluationFixture({ record: lastStep(), now: T0 + 3 * DAY, metrics: { conversion: winning, error_rate: { control: bernoulli(N, 0.01), treatment: bernoulli(N, 0.01) } } }))
    expect(out.decision).toBe('complete')
  })

  it('a ramp never happens on a guardrail without a p-value ("guardrails healthy: p=n/a" is gone)', () => {
    for (const error_rate of [undefined, { control: bernoulli(50, 0.01), treatment: bernoulli(50, 0.01) }]) {
      const metrics = { conversion: { control: bernoulli(N, 0.1), treatment: bernoulli(N, 0.1) }, ...(error_rate ? { error_rate } : {}) }
      const out = decide(evaluationFixture({ record: runningRecord(), now: T0 + 2 * HOUR, metrics }))
      expect(out.decision).toBe('continue')
      expect(codes(out)).toEqual(['GUARDRAIL_NO_DATA'])
      expect(out.reasons.map((r) => r.message).join(' ')).not.toContain('p=n/a')
    }
  })

  it('at max duration the run still ends, says which guardrail had no data, and is not called shipped', () => {
    const out = decide(evaluationFixture({ record: lastStep(), now: T0 + 14 * DAY, units: unitsFixture({ control: N, treatment: N }, T0 + 14 * DAY - MINUTE), metrics: { conversion: winning } }))
    expect(out.decision).toBe('complete')
    expect(codes(out)).toEqual(['MAX_DURATION_REACHED', 'GUARDRAIL_NO_DATA'])
    expect(out.result).toBe('no-effect-detected')
  })
})

describe('guardrail τ from a declared minimum harmful effect', () => {
  it('a rare-event guardrail tuned to +0.002 has a smaller p at this look than one tuned to a far-off planned N*', () => {
    const n = 6_000
    const errors = { control: bernoulli(n, 0.002), treatment: bernoulli(n, 0.0045) }
    const base = { primary: { name: 'conversion' } }
    const at = (g: Record<string, unknown>) =>
      decide(evaluationFixture({ record: runningRecord(specFixture({ metrics: { ...base, guardrails: [{ name: 'error_rate', direction: 'decrease', ...g }] }, statistics: { tuningN: 1_000_000 } })), now: T0 + 2 * HOUR, units: unitsFixture({ control: n, treatment: n }, T0 + 2 * HOUR - MINUTE), metrics: { conversion: { control: bernoulli(n, 0.1), treatment: bernoulli(n, 0.1) }, error_rate: errors } }))
    const tuned = at({ minHarmfulEffect: 0.002 }).comparisons.find((c) => c.metric === 'error_rate')!
    const planned = at({}).comparisons.find((c) => c.metric === 'error_rate')!
    expect(tuned.tauBasis).toBe('min-harmful-effect')
    expect(planned.tauBasis).toBe('planned-n')
    expect(tuned.sequentialP!).toBeLessThan(planned.sequentialP!)
  })
})
