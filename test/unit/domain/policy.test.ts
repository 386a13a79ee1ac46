import { describe, expect, it } from 'vitest'
import { DEFAULT_POLICY_CONTEXT, POLICY_RULES, type PolicyContext, checkEnqueuePolicy } from '../../../src/domain/policy.js'
import { specFixture } from '../../support/fixtures.js'

const capacity = (percent: number): PolicyContext => ({ layerCapacity: () => percent })
const rulesOf = (spec: ReturnType<typeof specFixture>, ctx?: PolicyContext) => checkEnqueuePolicy(spec, ctx).failures.map((f) => f.rule)

describe('enqueue policy', () => {
  it('the fixture spec passes every rule', () => {
    expect(checkEnqueuePolicy(specFixture())).toEqual({ allowed: true, failures: [] })
  })

  it('has exactly the documented rules, each in its phases', () => {
    const phases = Object.fromEntries(Object.entries(POLICY_RULES).map(([name, r]) => [name, r.phases.join(',')]))
    expect(phases).toEqual({
      'owner-required': 'enqueue',
      'on-call-required': 'enqueue',
      'hypothesis-required': 'enqueue',
      'guardrail-required': 'enqueue',
      'services-required': 'enqueue',
      'max-duration': 'enqueue',
      'weights-sum-100': 'enqueue',
      'layer-capacity': 'enqueue',
      'quota-team': 'start',
      'quota-namespace': 'start',
      'max-exposure': 'enqueue,start,ramp',
      'freeze-window': 'start,ramp',
      'error-budget': 'start,ramp',
      'interference-overlap': 'start',
    })
  })

  it('the default context lets a layer be used up to 100%', () => {
    expect(DEFAULT_POLICY_CONTEXT.layerCapacity('default', 'default')).toBe(100)
    expect(checkEnqueuePolicy(specFixture({ trafficShare: 100 })).allowed).toBe(true)
  })
})

describe('owner-required', () => {
  // Tabs and newlines are refused by the schema (control characters), before policy.
  it.each(['', '   ', '\u00a0 '])('fails for owner %j', (owner) => {
    const outcome = checkEnqueuePolicy(specFixture({ owner }))
    expect(outcome.allowed).toBe(false)
    expect(outcome.failures).toEqual([{ rule: 'owner-required', path: 'owner', message: expect.stringContaining('owner') }])
  })

  it('fails when the owner is left out (schema default is empty)', () => {
    const spec = specFixture({ owner: undefined })
    expect(spec.owner).toBe('')
    expect(rulesOf(spec)).toEqual(['owner-required'])
  })

  it('passes for a team or a person', () => {
    expect(rulesOf(specFixture({ owner: 'payments-team' }))).toEqual([])
    expect(rulesOf(specFixture({ owner: 'alice@example.com' }))).toEqual([])
  })
})

describe('hypothesis-required', () => {
  it('fails when blank', () => {
    expect(checkEnqueuePolicy(specFixture({ hypothesis: '  ' })).failures).toEqual([
      { rule: 'hypothesis-required', path: 'hypothesis', message: expect.stringContaining('hypothesis') },
    ])
  })

  it('passes when given', () => {
    expect(rulesOf(specFixture({ hypothesis: 'Faster pages convert better' }))).toEqual([])
  })
})

describe('guardrail-required', () => {
  it('fails without guardrails', () => {
    const spec = specFixture({ metrics: { primary: { name: 'conversion' } } })
    expect(checkEnqueuePolicy(spec).failures).toEqual([
      { rule: 'guardrail-required', path: 'metrics.guardrails', message: expect.stringContaining('guardrail') },
    ])
  })

  it('a secondary metric is not a guardrail', () => {
    const spec = specFixture({ metrics: { primary: { name: 'conversion' }, secondary: [{ name: 'latency_ms' }] } })
    expect(rulesOf(spec)).toEqual(['guardrail-required'])
  })

  it('passes with one guardrail', () => {
    expect(rulesOf(specFixture({ metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'latency_ms', direction: 'decrease' }] } }))).toEqual([])
  })
})

describe('weights-sum-100', () => {
  it.each([
    [[50, 50]],
    [[10, 90]],
    [[20, 30, 50]],
    [[33.33, 33.33, 33.34]],
    [[0.1, 0.2, 99.7]],
  ])('passes for %j', (weights) => {
    const spec = specFixture({ variants: weights.map((weight, i) => ({ name: `v${i}`, weight })) })
    expect(rulesOf(spec)).toEqual([])
  })

  it.each([
    [[50, 49], 99],
    [[60, 50], 110],
    [[1, 1], 2],
    [[33, 33, 33], 99],
  ])('fails for %j and says what they sum to', (weights, total) => {
    const spec = specFixture({ variants: weights.map((weight, i) => ({ name: `v${i}`, weight })) })
    const failures = checkEnqueuePolicy(spec).failures
    expect(failures).toEqual([{ rule: 'weights-sum-100', path: 'variants', message: expect.stringContaining(`sum to ${total}`) }])
  })
})

describe('layer-capacity', () => {
  it('passes when the share fits the layer capacity exactly', () => {
    expect(rulesOf(specFixture({ trafficShare: 40 }), capacity(40))).toEqual([])
  })

  it('fails when the share exceeds the layer capacity, naming both numbers and the layer', () => {
    const spec = specFixture({ trafficShare: 60, namespace: 'web', layer: 'checkout' })
    const failures = checkEnqueuePolicy(spec, capacity(50)).failures
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ rule: 'layer-capacity', path: 'trafficShare' })
    expect(failures[0]!.message).toContain('60%')
    expect(failures[0]!.message).toContain('web/checkout')
    expect(failures[0]!.message).toContain('50%')
  })

  it('asks the context about the experiment own namespace and layer', () => {
    const asked: string[] = []
    const ctx: PolicyContext = {
      layerCapacity: (ns, layer) => {
        asked.push(`${ns}/${layer}`)
        return ns === 'web' && layer === 'search' ? 10 : 100
      },
    }
    expect(rulesOf(specFixture({ namespace: 'web', layer: 'search', trafficShare: 20 }), ctx)).toEqual(['layer-capacity'])
    expect(rulesOf(specFixture({ namespace: 'web', layer: 'checkout', trafficShare: 20 }), ctx)).toEqual([])
    expect(asked).toEqual(['web/search', 'web/checkout'])
  })
})

describe('a spec failing several rules', () => {
  it('lists every failure at once', () => {
    const spec = specFixture({
      owner: '',
      hypothesis: '',
      trafficShare: 80,
      variants: [
        { name: 'control', weight: 40 },
        { name: 'treatment', weight: 40 },
      ],
      metrics: { primary: { name: 'conversion' } },
    })
    const outcome = checkEnqueuePolicy(spec, capacity(50))
    expect(outcome.allowed).toBe(false)
    expect(outcome.failures.map((f) => f.rule).sort()).toEqual(['guardrail-required', 'hypothesis-required', 'layer-capacity', 'owner-required', 'weights-sum-100'])
    expect(outcome.failures.map((f) => f.path).sort()).toEqual(['hypothesis', 'metrics.guardrails', 'owner', 'trafficShare', 'variants'])
    for (const f of outcome.failures) expect(f.message.length).toBeGreaterThan(0)
  })

  it('lists exactly the two that fail when only two fail', () => {
    expect(rulesOf(specFixture({ owner: ' ', variants: [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }] })).sort()).toEqual(['owner-required', 'weights-sum-100'])
  })
})

describe('every phase at once', () => {
  it('a refusal at start lists freeze, quota, exposure and error-budget failures together', async () => {
    const { check } = await import('../../support/policy.js')
    const { recordFixture } = await import('../../support/fixtures.js')
    const spec = specFixture({ id: 'chaos-1', kind: 'chaos', services: ['checkout'], rollout: { steps: [{ exposure: 5 }] } })
    const outcome = check(spec, {
      phase: 'start',
      now: Date.parse('2026-03-07T12:00:00Z'),
      policy: {
        defaults: { quotas: { runningPerTeam: 1 }, maxExposure: { chaos: 1 }, freezes: [{ name: 'weekend', weekly: { days: ['sat'], from: '00:00', to: '24:00' } }] },
        slos: { checkout: { metric: 'error_rate', objective: 0.99 } },
      },
      records: [recordFixture({ spec: specFixture({ id: 'other' }), state: 'running' })],
      windows: { checkout: { long: { bad: 50, total: 1000 }, short: { bad: 50, total: 1000 } } },
    })
    expect(outcome.allowed).toBe(false)
    expect(outcome.failures.map((f) => f.rule)).toEqual(['quota-team', 'max-exposure', 'freeze-window', 'error-budget'])
  })
})
