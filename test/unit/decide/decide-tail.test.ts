/** Tail-latency guardrails: a p99 that moves the harmful way rolls back, with the numbers; a thin tail decides nothing. */
import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/decide/decide.js'
import type { MetricMoments } from '../../../src/decide/evidence.js'
import { quantileArmStatsOf } from '../../../src/stats/quantile-sample.js'
import { HOUR, MINUTE, T0, bernoulli, gaussian, momentsFixture, runningRecord, specFixture, unitsFixture } from '../../support/fixtures.js'

const NOW = T0 + 2 * HOUR
/** n exponential latencies with the given scale, deterministic (inverse CDF at (i + ½)/n), one event per unit. */
const latencies = (n: number, scale: number) => Float64Array.from({ length: n }, (_, i) => -scale * Math.log(1 - (i + 0.5) / n))
const spec = (policy?: { autoRollback: boolean }) =>
  specFixture({
    metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'latency_p99', type: 'quantile', quantile: 0.99, source: 'latency', direction: 'decrease' }] },
    ...(policy ? { policy } : {}),
  })
function input(n: number, treatmentScale: number, s = spec()) {
  const units = Int32Array.from({ length: n }, (_, i) => i)
  const arm = (scale: number) => quantileArmStatsOf({ values: latencies(n, scale), units, level: 0.99, sorted: true })
  const tail: MetricMoments = {
    metric: 'latency_p99',
    type: 'quantile',
    byVariant: { control: gaussian(n, 100, 100), treatment: gaussian(n, treatmentScale, treatmentScale) },
    quantile: { level: 0.99, byVariant: { control: arm(100), treatment: arm(treatmentScale) } },
  }
  return {
    record: runningRecord(s),
    now: NOW,
    units: unitsFixture({ control: n, treatment: n }, NOW - MINUTE),
    metrics: [...momentsFixture({ conversion: { control: bernoulli(n, 0.1), treatment: bernoulli(n, 0.1) } }), tail],
  }
}

describe('tail-latency guardrail', () => {
  it('a p99 30% higher rolls back, with both quantiles, their difference and the interval', () => {
    const out = decide(input(20_000, 130))
    expect(out.decision).toBe('rollback')
    const [r] = out.reasons
    expect(r).toMatchObject({ code: 'TAIL_HARM', metric: 'latency_p99', variant: 'treatment' })
    // exponential p99 = scale · ln 100
    expect(r!.numbers.controlQuantile!).toBeCloseTo(100 * Math.log(100), -1)
    expect(r!.numbers.treatmentQuantile!).toBeCloseTo(130 * Math.log(100), -1)
    expect(r!.numbers.effect!).toBeCloseTo(r!.numbers.treatmentQuantile! - r!.numbers.controlQuantile!, 9)
    expect(r!.numbers.ciLow!).toBeGreaterThan(0)
    expect(r!.numbers.level).toBe(0.99)
    expect(r!.message).toMatch(/latency_p99 p99 \d+(\.\d+)? → \d+(\.\d+)? in treatment \(difference [\d.]+, interval \[[\d.]+, n\/a\]/)
  })

  it('pauses for a person when policy.autoRollback is off', () => {
    const out = decide(input(20_000, 130, spec({ autoRollback: false })))
    expect(out).toMatchObject({ decision: 'pause', needsApproval: true })
    expect(out.reasons.map((r) => r.code)).toEqual(['TAIL_HARM'])
  })

  it('the same distribution in both arms ramps (the tail is measured and healthy)', () => {
    const out = decide(input(20_000, 100))
    expect(out.decision).toBe('ramp')
    expect(out.comparisons.find((c) => c.metric === 'latency_p99')).toMatchObject({ status: 'ok', harmful: false, method: 'confseq-quantile' })
  })

  it('below the minimum sample for p99 it says so and decides nothing, even on a large shift', () => {
    // 500 events: 5 beyond p99, fewer than the 20 the quantile needs
    const out = decide(input(500, 300))
    expect(out.decision).toBe('continue')
    expect(out.reasons.map((r) => r.code)).toEqual(['GUARDRAIL_NO_DATA'])
    expect(out.reasons[0]!.message).toContain('below the minimum sample for the quantile')
  })
})
