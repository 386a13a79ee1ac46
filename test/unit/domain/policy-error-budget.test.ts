import { describe, expect, it } from 'vitest'
import { specFixture } from '../../support/fixtures.js'
import { check, failedRules } from '../../support/policy.js'

const slos = { checkout: { metric: 'error_rate', objective: 0.99 }, search: { metric: 'failed', objective: 0.999 } }
const policy = { slos }
const counts = (bad: number, total: number) => ({ long: { bad, total }, short: { bad, total } })
const spec = (services: string[]) => specFixture({ services })

// Upper bounds below are scipy's, computed independently of the code under test:
// beta.ppf(0.95, bad + 1, total - bad) / (1 - objective), the one-sided 95% Clopper–Pearson bound.
describe('error-budget rule: the 95% upper bound of the burn rate against the threshold (1.5× by default)', () => {
  it('passes when the bound is under the threshold: 5 of 1000 bad on a 99% SLO is 0.5×, bound 1.048×', () => {
    expect(failedRules(spec(['checkout']), { phase: 'start', policy, windows: { checkout: counts(5, 1000) } })).toEqual([])
    expect(failedRules(spec(['checkout']), { phase: 'start', policy, windows: { checkout: counts(0, 1000) } })).toEqual([])
  })

  it('refuses where the point estimate passes but the bound does not, at start and ramp, with the bound and counts', () => {
    // 15 of 1000: point 1.5× (at the threshold, which a point estimate lets through), bound 2.30×.
    // 1 of 100: point 1×, bound 4.66× (the lucky low-exposure window). 0 of 150: point 0×, bound 1.98×.
    const cases: Array<[number, number, string]> = [[15, 1000, '1.5× (upper bound 2.3×)'], [1, 100, '1× (upper bound 4.66×)'], [0, 150, '0× (upper bound 1.98×)']]
    for (const [bad, total, text] of cases) {
      for (const phase of ['start', 'ramp'] as const) {
        const f = check(spec(['checkout']), { phase, policy, windows: { checkout: counts(bad, total) } }).failures
        expect(f).toEqual([{ rule: 'error-budget', path: 'services[0]', message: expect.stringContaining(`service checkout burns its error budget at ${text} over the last 15m`) }])
        expect(f[0]!.message).toContain(`${bad} of ${total} error_rate events bad`)
        expect(f[0]!.message).toContain('threshold 1.5× on the 95% upper bound')
      }
    }
    // 0 of 250 clean events: bound 1.19×, enough to start.
    expect(failedRules(spec(['checkout']), { phase: 'start', policy, windows: { checkout: counts(0, 250) } })).toEqual([])
  })

  it('blocks a burning service, with the rate, the bound and the counts in the message', () => {
    const f = check(spec(['checkout']), { phase: 'start', policy, windows: { checkout: counts(30, 1000) } }).failures
    expect(f[0]!.message).toContain('burns its error budget at 3× (upper bound 4.05×) over the last 15m')
    expect(f[0]!.message).toContain('30 of 1000 error_rate events bad, objective 99%')
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
    expect(f[1]!.message).toContain('2× (upper bound 6.28×)')
  })

  it('threshold and window come from the namespace', () => {
    const p = { slos, namespaces: { payments: { errorBudget: { threshold: 5, window: '1h' } } } }
    // 30 of 1000: bound 4.05× ≤ 5×; 60 of 1000: bound 7.38× > 5×.
    expect(failedRules(specFixture({ namespace: 'payments', services: ['checkout'] }), { phase: 'start', policy: p, windows: { checkout: counts(30, 1000) } })).toEqual([])
    const f = check(specFixture({ namespace: 'payments', services: ['checkout'] }), { phase: 'start', policy: p, windows: { checkout: counts(60, 1000) } }).failures
    expect(f[0]!.message).toMatch(/6× \(upper bound 7\.38×\) over the last 1h \(threshold 5×/)
  })

  it('with a short window both bounds must be above the threshold; a short window cools only with enough clean events', () => {
    const p = { slos, defaults: { errorBudget: { window: '1h', shortWindow: '5m' } } }
    const cooled = { checkout: { long: { bad: 30, total: 1000 }, short: { bad: 0, total: 1000 } } }
    // 0 of 100 is no proof of cooling: its bound is 2.95×.
    const fewClean = { checkout: { long: { bad: 30, total: 1000 }, short: { bad: 0, total: 100 } } }
    const burning = { checkout: { long: { bad: 30, total: 1000 }, short: { bad: 5, total: 100 } } }
    expect(failedRules(spec(['checkout']), { phase: 'start', policy: p, windows: cooled })).toEqual([])
    expect(failedRules(spec(['checkout']), { phase: 'start', policy: p, windows: fewClean })).toEqual(['error-budget'])
    const f = check(spec(['checkout']), { phase: 'start', policy: p, windows: burning }).failures
    expect(f[0]!.message).toContain('3× (upper bound 4.05×) over the last 1h and 5× (upper bound 10.2×) over 5m (5 of 100 bad)')
  })
})
