/** SLO guardrails on windowed SLIs: multiwindow burn rates with a minimum sample per window. */
import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/decide/decide.js'
import type { MetricMoments, SloEvidence } from '../../../src/decide/evidence.js'
import { HOUR, T0, evaluationFixture, runningRecord, specFixture } from '../../support/fixtures.js'

const NOW = T0 + 2 * HOUR
type Arm = Record<'5m' | '30m' | '1h' | '6h', { bad: number; total: number }>
/** The same bad share in every window, totals as given. */
const arm = (badShare: number, totals = { '5m': 2_000, '30m': 12_000, '1h': 24_000, '6h': 40_000 }): Arm =>
  Object.fromEntries(Object.entries(totals).map(([w, total]) => [w, { bad: Math.round(total * badShare), total }])) as Arm
const withSlo = (control: Arm, treatment: Arm, policy?: { autoRollback: boolean }) => {
  const base = evaluationFixture({ record: runningRecord(specFixture(policy ? { policy } : {})), now: NOW })
  const slo: SloEvidence = { max: 500, min: null, objective: 0.99, asOf: NOW, byVariant: { control, treatment } }
  const latency: MetricMoments = { metric: 'latency', byVariant: {}, slo }
  return { ...base, metrics: [...base.metrics, latency] }
}

describe('SLO guardrail', () => {
  it('treatment burning 20× its budget in 5m and 1h (≥ 14.4×) rolls back, naming the SLO, the windows and the rates', () => {
    const out = decide(withSlo(arm(0.001), arm(0.2)))
    expect(out.decision).toBe('rollback')
    const [r] = out.reasons
    expect(r).toMatchObject({ code: 'SLO_BURN', metric: 'latency', variant: 'treatment' })
    // burn = bad share / (1 − objective) = 0.2 / 0.01, by hand
    expect(r!.numbers.burn_1h!).toBeCloseTo(20, 9)
    expect(r!.numbers.burn_5m!).toBeCloseTo(20, 9)
    expect(r!.numbers.threshold_1h_5m).toBe(14.4)
    expect(r!.numbers.burnLower_1h!).toBeGreaterThan(1)
    expect(r!.message).toContain('latency SLO ≤ 500 for 99% of events')
    expect(r!.message).toContain('1h burn 20×')
    expect(r!.message).toContain('5m burn 20×')
  })

  it('pauses for a person instead when autoRollback is off', () => {
    const out = decide(withSlo(arm(0.001), arm(0.2), { autoRollback: false }))
    expect(out).toMatchObject({ decision: 'pause', needsApproval: true })
  })

  it('control breaching too is a pause that does not blame the variant', () => {
    const out = decide(withSlo(arm(0.2), arm(0.2)))
    expect(out.decision).toBe('pause')
    expect(out.reasons.map((r) => r.code)).toEqual(['SLO_BURN_CONTROL'])
    expect(out.reasons[0]!.message).toContain('SLO breached in control too: not caused by the experiment')
    expect(out.reasons[0]!.numbers.control_burn_1h!).toBeCloseTo(20, 9)
  })

  it('6× in 30m and 6h fires the slow rule', () => {
    const out = decide(withSlo(arm(0.001), arm(0.07)))
    expect(out.decision).toBe('rollback')
    expect(out.reasons[0]!.numbers.burn_6h!).toBeCloseTo(7, 9)
    expect(out.reasons[0]!.numbers.threshold_6h_30m).toBe(6)
  })

  it('below the minimum sample per window (fewer than 1/(1 − SLO) = 100 events) nothing pages', () => {
    const few = arm(0.5, { '5m': 40, '30m': 60, '1h': 80, '6h': 90 })
    const out = decide(withSlo(arm(0.001), few))
    // It does not page, but neither does it ramp: the error-budget gate's upper bound (50× point) holds the ramp.
    expect(out.decision).toBe('continue')
    expect(out.reasons.map((r) => r.code)).toEqual(['ERROR_BUDGET_GATE'])
  })

  it('a burn under the thresholds does not page', () => {
    // 5× is under 6× and 14.4×: no page. It is above the ramp's 1.5× error-budget gate, so the ramp is held.
    const out = decide(withSlo(arm(0.001), arm(0.05)))
    expect(out.decision).toBe('continue')
    expect(out.reasons.map((r) => r.code)).toEqual(['ERROR_BUDGET_GATE'])
    expect(decide(withSlo(arm(0.001), arm(0.001))).decision).toBe('ramp')
  })
})
