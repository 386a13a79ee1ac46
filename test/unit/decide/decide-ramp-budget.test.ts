/** The error-budget gate on a ramp: the upper confidence bound of the treatment's burn rate, not its point estimate. */
import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/decide/decide.js'
import type { MetricMoments, SloEvidence } from '../../../src/decide/evidence.js'
import { rampBudgetReasons } from '../../../src/decide/ramp-budget.js'
import { HOUR, T0, evaluationFixture, runningRecord } from '../../support/fixtures.js'

const NOW = T0 + HOUR
type Counts = { bad: number; total: number }
const windows = (oneHour: Counts) => ({ '5m': oneHour, '30m': oneHour, '1h': oneHour, '6h': oneHour })
const latency = (treatment: Counts, control: Counts = { bad: 0, total: 10_000 }): MetricMoments => {
  const slo: SloEvidence = { max: 400, min: null, objective: 0.99, asOf: NOW, byVariant: { control: windows(control), treatment: windows(treatment) } }
  return { metric: 'latency', byVariant: {}, slo }
}
/** A first step whose minimum duration is met and whose guardrails are clean: the engine ramps unless the gate holds. */
const rampReady = (m: MetricMoments) => {
  const base = evaluationFixture({ record: runningRecord(), now: NOW })
  return { ...base, metrics: [...base.metrics, m] }
}
/** P(Bin(n, p) ≤ k) by direct summation (independent of the incomplete beta in stats/slo.ts). */
function binomCdf(k: number, n: number, p: number): number {
  let term = (1 - p) ** n
  let sum = term
  for (let i = 1; i <= k; i++) {
    term *= ((n - i + 1) / i) * (p / (1 - p))
    sum += term
  }
  return sum
}

describe('error-budget gate on a ramp', () => {
  it('the fixture ramps without an SLO metric (the gate is what changes it)', () => {
    expect(decide(evaluationFixture({ record: runningRecord(), now: NOW })).decision).toBe('ramp')
  })

  it('a lucky window (1 bad of 100: point burn 1× < 1.5×) holds the ramp: its upper bound is far above 1.5×', () => {
    const out = decide(rampReady(latency({ bad: 1, total: 100 })))
    expect(out.decision).toBe('continue')
    const [r] = out.reasons
    expect(r).toMatchObject({ code: 'ERROR_BUDGET_GATE', metric: 'latency', variant: 'treatment', numbers: { bad: 1, total: 100, maxBurn: 1.5, objective: 0.99 } })
    expect(r!.numbers.burnRate!).toBeCloseTo(1, 9)
    // The bound is the p with P(X ≤ 1 | n = 100, p) = 0.05, over the budget 1%.
    const p = r!.numbers.burnUpper! * 0.01
    expect(binomCdf(1, 100, p)).toBeCloseTo(0.05, 6)
    expect(r!.numbers.burnUpper!).toBeGreaterThan(4)
    expect(r!.message).toMatch(/^ramp held: latency error budget in treatment over 1h burns at 1× with upper bound [\d.]+× > 1\.5× \(1 of 100 events bad, objective 99%, 95% bound\)/)
  })

  it('0 bad events: 200 events bound the burn at 1.49× (passes), 190 at 1.56× (holds) — 1 − 0.05^(1/n) by hand', () => {
    const upper = (n: number) => (1 - 0.05 ** (1 / n)) / 0.01
    expect(upper(200)).toBeLessThan(1.5)
    expect(upper(190)).toBeGreaterThan(1.5)
    expect(decide(rampReady(latency({ bad: 0, total: 200 }))).decision).toBe('ramp')
    const held = decide(rampReady(latency({ bad: 0, total: 190 })))
    expect(held.decision).toBe('continue')
    expect(held.reasons[0]!.numbers.burnUpper!).toBeCloseTo(upper(190), 6)
  })

  it('a plentiful healthy window passes; a threshold from the input is used', () => {
    expect(decide(rampReady(latency({ bad: 20, total: 10_000 }))).decision).toBe('ramp')
    // 0.2× point, upper bound ≈ 0.29×: a 0.25× gate holds it.
    expect(decide({ ...rampReady(latency({ bad: 20, total: 10_000 })), rampMaxBurn: 0.25 }).decision).toBe('continue')
  })

  it('a window without events is no evidence: it does not hold (GUARDRAIL_NO_DATA and staleness cover missing data)', () => {
    expect(rampBudgetReasons({ metrics: [latency({ bad: 0, total: 0 })], treatments: ['treatment'] })).toEqual([])
    expect(rampBudgetReasons({ metrics: [{ metric: 'x', byVariant: {} }], treatments: ['treatment'] })).toEqual([])
  })

  it('only treatments are gated, each on its own arm', () => {
    const r = rampBudgetReasons({ metrics: [latency({ bad: 0, total: 5_000 }, { bad: 1, total: 50 })], treatments: ['treatment'] })
    expect(r).toEqual([])
  })
})
