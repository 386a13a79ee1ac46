import { describe, expect, it } from 'vitest'
import { specFixture } from '../../support/fixtures.js'
import { check, failedRules } from '../../support/policy.js'

const slos = { checkout: { metric: 'error_rate', objective: 0.99 }, search: { metric: 'failed', objective: 0.999 } }
const policy = { slos }
const counts = (bad: number, total: number) => ({ long: { bad, total }, short: { bad, total } })
const spec = (services: string[]) => specFixture({ services })

describe('error-budget rule', () => {
  it('passes at or under the threshold (1.5× by default): 1.5% errors on a 99% SLO is exactly 1.5×', () => {
    expect(failedRules(spec(['checkout']), { phase: 'start', policy, windows: { checkout: counts(15, 1000) } })).toEqual([])
    expect(failedRules(spec(['checkout']), { phase: 'start', policy, windows: { checkout: counts(5, 1000) } })).toEqual([])
  })

  it('blocks start and ramp above the threshold, with the rate and counts in the message', () => {
    for (const phase of ['start', 'ramp'] as const) {
      const f = check(spec(['checkout']), { phase, policy, windows: { checkout: counts(30, 1000) } }).failures
      expect(f).toEqual([{ rule: 'error-budget', path: 'services[0]', message: expect.stringContaining('service checkout burns its error budget at 3× over the last 15m') }])
      expect(f[0]!.message).toContain('30 of 1000 error_rate events bad')
    }
  })

  it('does not apply at enqueue', () => {
    expect(failedRules(spec(['checkout']), { phase: 'enqueue', policy, windows: { checkout: counts(1000, 1000) } })).toEqual([])
  })

  it('a service without an SLO, or without events, does not block', () => {
    expect(failedRules(spec(['billing']), { phase: 'start', policy, windows: { billing: counts(100, 100) } })).toEqual([])
    expect(failedRules(spec(['checkout']), { phase: 'start', policy, windows: {} })).toEqual([])
    expect(failedRules(spec(['checkout']), { phase: 'start', policy, windows: { checkout: counts(0, 0) } })).toEqual([])
  })

  it('lists each burning service with its index', () => {
    const f = check(spec(['billing', 'checkout', 'search']), { phase: 'ramp', policy, windows: { checkout: counts(50, 1000), search: counts(2, 1000) } }).failures
    expect(f.map((x) => x.path)).toEqual(['services[1]', 'services[2]'])
    expect(f[1]!.message).toContain('2×')
  })

  it('threshold and window come from the namespace', () => {
    const p = { slos, namespaces: { payments: { errorBudget: { threshold: 5, window: '1h' } } } }
    const windows = { checkout: counts(30, 1000) }
    expect(failedRules(specFixture({ namespace: 'payments', services: ['checkout'] }), { phase: 'start', policy: p, windows })).toEqual([])
    const f = check(specFixture({ namespace: 'payments', services: ['checkout'] }), { phase: 'start', policy: p, windows: { checkout: counts(60, 1000) } }).failures
    expect(f[0]!.message).toMatch(/6× over the last 1h \(threshold 5×/)
  })

  it('with a short window both windows must burn above the threshold', () => {
    const p = { slos, defaults: { errorBudget: { window: '1h', shortWindow: '5m' } } }
    const cooled = { checkout: { long: { bad: 30, total: 1000 }, short: { bad: 0, total: 100 } } }
    const burning = { checkout: { long: { bad: 30, total: 1000 }, short: { bad: 5, total: 100 } } }
    expect(failedRules(spec(['checkout']), { phase: 'start', policy: p, windows: cooled })).toEqual([])
    const f = check(spec(['checkout']), { phase: 'start', policy: p, windows: burning }).failures
    expect(f[0]!.message).toContain('3× over the last 1h and 5× over 5m')
  })
})
