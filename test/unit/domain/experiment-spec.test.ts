import { describe, expect, it } from 'vitest'
import { ExperimentSpecSchema, controlOf, metricsOf } from '../../../src/domain/experiment.js'
import { formatPath, parseWith } from '../../../src/domain/validation.js'
import { DAY, HOUR, MINUTE, SECOND, specFixture, specInput } from '../../support/fixtures.js'

const minimal = {
  id: 'exp-1',
  variants: [
    { name: 'control', weight: 50 },
    { name: 'treatment', weight: 50 },
  ],
  metrics: { primary: { name: 'conversion' } },
}

function problems(input: unknown) {
  const parsed = parseWith(ExperimentSpecSchema, input)
  if (parsed.ok) throw new Error('expected the spec to be refused')
  return parsed.problems
}

describe('defaults', () => {
  it('fills every optional field of a minimal spec', () => {
    const parsed = parseWith(ExperimentSpecSchema, minimal)
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.value).toEqual({
      id: 'exp-1',
      namespace: 'default',
      layer: 'default',
      trafficShare: 100,
      owner: '',
      hypothesis: '',
      onCall: '',
      team: '',
      services: [],
      kind: 'ab',
      variants: minimal.variants,
      targeting: [],
      priority: 100,
      rollout: { steps: [{ exposure: 100, minDuration: 0, approval: false }] },
      metrics: { primary: { name: 'conversion', direction: 'increase', aggregation: 'mean' }, secondary: [], guardrails: [] },
      statistics: { alpha: 0.05, test: 'msprt', mde: 0.05, gst: { looks: 5, spending: 'obf' }, srmAlpha: 0.001, srmTest: 'sequential' },
      policy: { autoRollback: true, approvalToRamp: false },
      maxDuration: 14 * DAY,
      evaluation: { interval: 5 * MINUTE, staleAfter: 30 * MINUTE, minUnits: 100 },
    })
  })

  it('fills guardrail and step defaults inside lists', () => {
    const spec = specFixture({
      rollout: { steps: [{ exposure: 10 }, { exposure: 50, minDuration: '2h', approval: true }] },
      metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'latency_p95' }] },
    })
    expect(spec.rollout.steps).toEqual([
      { exposure: 10, minDuration: 0, approval: false },
      { exposure: 50, minDuration: 2 * HOUR, approval: true },
    ])
    expect(spec.metrics.guardrails).toEqual([{ name: 'latency_p95', direction: 'increase', aggregation: 'mean', margin: 0 }])
  })

  it('converts every duration field to milliseconds', () => {
    const spec = specFixture({ maxDuration: '3d', evaluation: { interval: 90, staleAfter: '1h30m' } })
    expect(spec.maxDuration).toBe(3 * DAY)
    expect(spec.evaluation).toEqual({ interval: 90 * SECOND, staleAfter: 90 * MINUTE, minUnits: 100 })
  })

  it('controlOf is the first variant', () => {
    expect(controlOf(specFixture({ variants: [{ name: 'baseline', weight: 30 }, { name: 'new', weight: 70 }] }))).toBe('baseline')
  })
})

describe('error paths', () => {
  it('renders a nested array path like variants[1].weight', () => {
    expect(problems({ ...minimal, variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 0 }] })).toEqual([
      { path: 'variants[1].weight', message: 'must be > 0' },
    ])
  })

  it.each([
    [{ id: 'Bad ID' }, 'id'],
    [{ id: '' }, 'id'],
    [{ namespace: '-web' }, 'namespace'],
    [{ trafficShare: 0 }, 'trafficShare'],
    [{ trafficShare: 101 }, 'trafficShare'],
    [{ kind: 'multivariate' }, 'kind'],
    [{ priority: 1001 }, 'priority'],
    [{ priority: 1.5 }, 'priority'],
    [{ variants: [{ name: 'only', weight: 100 }] }, 'variants'],
    [{ variants: [{ name: 'Control', weight: 50 }, { name: 'b', weight: 50 }] }, 'variants[0].name'],
    [{ rollout: { steps: [] } }, 'rollout.steps'],
    [{ rollout: { steps: [{ exposure: 0 }] } }, 'rollout.steps[0].exposure'],
    [{ rollout: { steps: [{ exposure: 10 }, { exposure: 120 }] } }, 'rollout.steps[1].exposure'],
    [{ rollout: { steps: [{ exposure: 10, minDuration: '15 minutes' }] } }, 'rollout.steps[0].minDuration'],
    [{ metrics: { primary: { name: '1st' } } }, 'metrics.primary.name'],
    [{ metrics: { primary: { name: 'conversion', direction: 'up' } } }, 'metrics.primary.direction'],
    [{ metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'errors', margin: -0.1 }] } }, 'metrics.guardrails[0].margin'],
    [{ targeting: [{ attribute: 'country', op: 'in', values: [] }] }, 'targeting[0].values'],
    [{ targeting: [{ attribute: 'country', op: 'eq', values: ['DE'] }] }, 'targeting[0].op'],
    [{ statistics: { alpha: 0.5 } }, 'statistics.alpha'],
    [{ statistics: { srmAlpha: 0 } }, 'statistics.srmAlpha'],
    [{ evaluation: { minUnits: 1 } }, 'evaluation.minUnits'],
    [{ evaluation: { staleAfter: 'soon' } }, 'evaluation.staleAfter'],
    [{ maxDuration: -5 }, 'maxDuration'],
  ])('%j is refused at %s', (override, path) => {
    const found = problems({ ...minimal, ...override })
    expect(found.map((p) => p.path)).toContain(path)
    for (const p of found) expect(p.message).toMatch(/\S/)
  })

  it('a missing required field is named', () => {
    const { metrics: _m, ...withoutMetrics } = minimal
    expect(problems(withoutMetrics).map((p) => p.path)).toEqual(['metrics'])
    expect(problems({ ...minimal, id: undefined }).map((p) => p.path)).toEqual(['id'])
  })

  it('reports every shape problem at once', () => {
    const found = problems({ ...minimal, id: 'BAD', variants: [{ name: 'a', weight: -1 }, { name: 'b', weight: 50 }], priority: -1 })
    expect(found.map((p) => p.path).sort()).toEqual(['id', 'priority', 'variants[0].weight'])
  })

  it('formatPath renders roots, keys and indexes', () => {
    expect(formatPath([])).toBe('(root)')
    expect(formatPath(['variants', 1, 'weight'])).toBe('variants[1].weight')
    expect(formatPath(['rollout', 'steps', 0])).toBe('rollout.steps[0]')
    expect(formatPath([0, 'a'])).toBe('[0].a')
  })
})

describe('cross-field rules', () => {
  it('a duplicate variant name is refused at the second occurrence', () => {
    expect(problems({ ...minimal, variants: [{ name: 'a', weight: 30 }, { name: 'b', weight: 30 }, { name: 'a', weight: 40 }] })).toEqual([
      { path: 'variants[2].name', message: 'duplicate variant "a"' },
    ])
  })

  it('rollout exposure must not decrease', () => {
    expect(problems({ ...minimal, rollout: { steps: [{ exposure: 10 }, { exposure: 50 }, { exposure: 20 }] } })).toEqual([
      { path: 'rollout.steps[2].exposure', message: expect.stringContaining('50%') },
    ])
  })

  it('equal consecutive exposures are allowed (a hold step)', () => {
    expect(specFixture({ rollout: { steps: [{ exposure: 10 }, { exposure: 10 }, { exposure: 100 }] } }).rollout.steps).toHaveLength(3)
  })

  it('lists duplicates and a decreasing step together', () => {
    const found = problems({ ...minimal, variants: [{ name: 'a', weight: 50 }, { name: 'a', weight: 50 }], rollout: { steps: [{ exposure: 50 }, { exposure: 10 }] } })
    expect(found.map((p) => p.path)).toEqual(['variants[1].name', 'rollout.steps[1].exposure'])
  })

  it('a guardrail may not repeat the primary metric or another guardrail', () => {
    const found = problems({ ...minimal, metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'conversion' }, { name: 'errors' }, { name: 'errors' }] } })
    expect(found.map((p) => p.path)).toEqual(['metrics.guardrails[0].name', 'metrics.guardrails[2].name'])
  })

  it('a secondary metric may not repeat a metric already measured', () => {
    const found = problems({ ...minimal, metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'errors' }], secondary: [{ name: 'conversion' }, { name: 'errors' }] } })
    expect(found.map((p) => p.path)).toEqual(['metrics.secondary[0].name', 'metrics.secondary[1].name'])
  })
})

describe('metricsOf', () => {
  it('lists primary, then guardrails, then secondary metrics with their roles', () => {
    const spec = specFixture({
      metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'errors', direction: 'decrease' }, { name: 'latency' }], secondary: [{ name: 'revenue' }] },
    })
    expect(metricsOf(spec).map((m) => `${m.role}:${m.metric.name}`)).toEqual(['primary:conversion', 'guardrail:errors', 'guardrail:latency', 'secondary:revenue'])
  })

  it('the fixture itself is a valid spec input', () => {
    expect(parseWith(ExperimentSpecSchema, specInput()).ok).toBe(true)
  })
})
