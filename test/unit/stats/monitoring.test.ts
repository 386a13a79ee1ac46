import { describe, expect, it } from 'vitest'
import {
  burnRateAlerts, compareArms, guardrail, interactionContrast, interferenceIndex, plan, proportionZTest, sequentialSrm, type Moments,
} from '../../../src/stats/index.js'

const mk = (n: number, m: number, s: number): Moments => ({ n, sum: n * m, sumSquares: (n - 1) * s * s + n * m * m })

describe('burn rate (multiwindow, multi-burn-rate)', () => {
  const slo = 0.999
  const win = (rate: number) => ({ bad: rate * 1e5, total: 1e5 })
  it('pages only when both windows burn fast', () => {
    const r = burnRateAlerts({ slo, windows: { '5m': win(0.02), '1h': win(0.015), '30m': win(0), '6h': win(0), '3d': win(0) } })
    expect(r.page).toBe(true)
    expect(r.alerts[0]!.longBurnRate).toBeCloseTo(15, 9)
    const reset = burnRateAlerts({ slo, windows: { '5m': win(0), '1h': win(0.015), '30m': win(0), '6h': win(0), '3d': win(0) } })
    expect(reset.page).toBe(false)
  })
  it('tickets at 1× over 3 d and 6 h; custom rules; missing window is a status', () => {
    const r = burnRateAlerts({ slo, windows: { '5m': win(0), '1h': win(0), '30m': win(0), '6h': win(0.0012), '3d': win(0.0011) } })
    expect([r.page, r.ticket]).toEqual([false, true])
    const custom = burnRateAlerts({ slo: 0.99, rules: [{ severity: 'page', longWindow: 'a', shortWindow: 'b', threshold: 2 }], windows: { a: win(0.03), b: win(0.03) } })
    expect(custom.page).toBe(true)
    const missing = burnRateAlerts({ slo, windows: {} })
    expect(missing.alerts.every((a) => a.status === 'INVALID_INPUT' && !a.firing)).toBe(true)
    expect(burnRateAlerts({ slo, windows: { '5m': { bad: 0, total: 0 }, '1h': win(0.5) } }).alerts[0]!.status).toBe('INSUFFICIENT_SAMPLE')
  })
})

describe('interference index', () => {
  const cells = (inter: number) => ({ tt: mk(1000, 10 + 0.5 + 0.3 + inter, 2), tc: mk(1000, 10.5, 2), ct: mk(1000, 10.3, 2), cc: mk(1000, 10, 2) })
  it('contrast, SE and flagging across pairs with BH', () => {
    const r = interactionContrast({ cells: cells(0.6) })
    expect(r.contrast).toBeCloseTo(0.6, 9)
    expect(r.se).toBeCloseTo(Math.sqrt((4 * 4) / 1000), 9)
    const idx = interferenceIndex({ pairs: [{ a: 'x', b: 'y', cells: cells(0.6) }, { a: 'x', b: 'z', cells: cells(0) }] })
    expect(idx.pairs.map((p) => p.flagged)).toEqual([true, false])
  })
  it('degenerate cells are statuses', () => {
    expect(interactionContrast({ cells: { ...cells(0), tt: { n: 1, sum: 1, sumSquares: 1 } } }).status).toBe('INSUFFICIENT_SAMPLE')
  })
})

describe('guardrails', () => {
  const control = mk(20000, 200, 50)
  it('rolls back on harm beyond the margin, not within it', () => {
    const bad = mk(20000, 210, 50) // latency +5%
    const cfg = { method: 'confseq' as const, alpha: 0.05, confseq: { tuningN: 20000 } }
    expect(guardrail({ control, treatment: bad, metric: 'mean', bad: 'increase', margin: 0.01, config: cfg }).rollback).toBe(true)
    expect(guardrail({ control, treatment: bad, metric: 'mean', bad: 'increase', margin: 0.1, config: cfg }).rollback).toBe(false)
    expect(guardrail({ control, treatment: bad, metric: 'mean', bad: 'increase', margin: 0.1, config: cfg }).nonInferior).toBe(true)
    expect(guardrail({ control, treatment: bad, metric: 'mean', bad: 'decrease', margin: 0, config: cfg }).rollback).toBe(false)
  })
  it('bad margin → INVALID_INPUT, no rollback', () => {
    const r = guardrail({ control, treatment: control, metric: 'mean', bad: 'increase', margin: -1, config: { method: 'welch', alpha: 0.05 } })
    expect(r.harm.status).toBe('INVALID_INPUT')
    expect(r.rollback).toBe(false)
  })
})

describe('edge cases on proportions, ratios, CUPED and SRM', () => {
  it('all-zero conversions', () => {
    const z = proportionZTest({ control: { n: 1000, successes: 0 }, treatment: { n: 1000, successes: 0 }, alpha: 0.05 })
    expect(z.status).toBe('ZERO_VARIANCE')
    expect(z.effect).toBe(0)
    const c = compareArms({ control: { n: 1000, sum: 0, sumSquares: 0 }, treatment: { n: 1000, sum: 0, sumSquares: 0 }, metric: 'proportion', lift: 'relative', config: { method: 'welch', alpha: 0.05, sided: 'two' } })
    expect(c.status).toBe('ZERO_CONTROL_MEAN')
  })
  it('n = 1e9 proportions', () => {
    const r = proportionZTest({ control: { n: 1e9, successes: 1e8 }, treatment: { n: 1e9, successes: 1.0001e8 }, alpha: 0.05 })
    expect(r.status).toBe('ok')
    expect(r.pValue).toBeGreaterThan(0)
  })
  it('invalid counts', () => {
    expect(proportionZTest({ control: { n: 10, successes: 11 }, treatment: { n: 10, successes: 1 }, alpha: 0.05 }).status).toBe('INVALID_INPUT')
    expect(proportionZTest({ control: { n: 1, successes: 1 }, treatment: { n: 10, successes: 1 }, alpha: 0.05 }).status).toBe('INSUFFICIENT_SAMPLE')
  })
  it('ratio with zero denominator and missing columns', () => {
    const cfg = { method: 'welch' as const, alpha: 0.05, sided: 'two' as const }
    const arm = { n: 10, sum: 5, sumSquares: 5, denominatorSum: 0, denominatorSumSquares: 0, crossSum: 0 }
    expect(compareArms({ control: arm, treatment: arm, metric: 'ratio', lift: 'absolute', config: cfg }).status).toBe('ZERO_DENOMINATOR')
    expect(compareArms({ control: { n: 10, sum: 5, sumSquares: 5 }, treatment: arm, metric: 'ratio', lift: 'absolute', config: cfg }).status).toBe('INVALID_INPUT')
    const cuped = compareArms({ control: { n: 10, sum: 5, sumSquares: 5 }, treatment: { n: 10, sum: 5, sumSquares: 5 }, metric: 'mean', lift: 'absolute', cuped: true, config: cfg })
    expect(cuped.status).toBe('INVALID_INPUT')
  })
  it('sequential SRM: balanced stays quiet, a 1% imbalance at 1e6 units is caught', () => {
    expect(sequentialSrm({ counts: [5000, 5010], weights: [1, 1] }).pValue).toBe(1)
    expect(sequentialSrm({ counts: [1e6, 1.02e6], weights: [1, 1] }).pValue).toBeLessThan(1e-6)
    expect(sequentialSrm({ counts: [0, 0], weights: [1, 1] }).status).toBe('INSUFFICIENT_SAMPLE')
    expect(sequentialSrm({ counts: [1, -1], weights: [1, 1] }).status).toBe('INVALID_INPUT')
  })
})

describe('plan()', () => {
  it('fixed < GST max < confidence sequence, durations from traffic', () => {
    const r = plan({ baseline: 0.1, metric: 'proportion', mde: 0.05, trafficPerDay: 20000, msprt: { tau2: 1e-4 } })
    expect(r.status).toBe('ok')
    const by = Object.fromEntries(r.rows.map((x) => [x.method, x]))
    expect(by.fixed!.nPerArm!).toBeLessThan(by.gst!.nPerArm!)
    expect(by.gst!.expectedTotalN!).toBeLessThan(by.fixed!.totalN!)
    expect(by.gst!.nPerArm!).toBeLessThan(by.confseq!.nPerArm!)
    expect(by.fixed!.days).toBeCloseTo(by.fixed!.totalN! / 20000, 12)
    expect(by.msprt!.nPerArm).toBeGreaterThan(0)
    expect(plan({ baseline: 0.1, mde: 0.05, trafficPerDay: 100 }).status).toBe('INVALID_INPUT')
  })
})
