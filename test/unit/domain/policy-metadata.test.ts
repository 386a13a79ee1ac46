import { describe, expect, it } from 'vitest'
import type { ExperimentSpecInput } from '../../../src/domain/experiment.js'
import { DAY, specFixture } from '../../support/fixtures.js'
import { check, failedRules } from '../../support/policy.js'

const requireAll = { defaults: { metadata: { required: ['owner', 'onCall', 'hypothesis', 'guardrails', 'services'] as const } } }
const complete = () => specFixture({ onCall: 'pager:checkout', services: ['checkout'] })

describe('metadata rules (enqueue)', () => {
  it('the built-in defaults require owner, hypothesis and a guardrail, not on-call or services', () => {
    expect(failedRules(specFixture())).toEqual([])
    expect(failedRules(specFixture({ owner: '', hypothesis: ' ', metrics: { primary: { name: 'conversion' } } }))).toEqual([
      'owner-required',
      'hypothesis-required',
      'guardrail-required',
    ])
  })

  it('a complete spec passes when everything is required', () => {
    expect(check(complete(), { policy: requireAll })).toEqual({ allowed: true, failures: [] })
  })

  it.each([
    ['owner-required', 'owner', { owner: '  ' }],
    ['on-call-required', 'onCall', { onCall: '' }],
    ['hypothesis-required', 'hypothesis', { hypothesis: '' }],
    ['guardrail-required', 'metrics.guardrails', { metrics: { primary: { name: 'conversion' } } }],
    ['services-required', 'services', { services: [] }],
  ] as Array<[string, string, Partial<ExperimentSpecInput>]>)('%s fails with path %s', (rule, path, override) => {
    const spec = specFixture({ onCall: 'pager:checkout', services: ['checkout'], ...override })
    const outcome = check(spec, { policy: requireAll })
    expect(outcome.allowed).toBe(false)
    expect(outcome.failures).toEqual([{ rule, path, message: expect.any(String) }])
  })

  it('lists every missing field at once', () => {
    const spec = specFixture({ owner: '', hypothesis: '', metrics: { primary: { name: 'conversion' } } })
    expect(failedRules(spec, { policy: requireAll })).toEqual(['owner-required', 'on-call-required', 'hypothesis-required', 'guardrail-required', 'services-required'])
  })

  it('a namespace can require more than the defaults', () => {
    const policy = { namespaces: { payments: { metadata: { required: ['owner', 'onCall'] as const } } } }
    expect(failedRules(specFixture({ namespace: 'payments' }), { policy })).toEqual(['on-call-required'])
    expect(failedRules(specFixture({ namespace: 'web' }), { policy })).toEqual([])
  })

  it('metadata is checked at enqueue only', () => {
    const spec = specFixture({ owner: '' })
    expect(failedRules(spec, { phase: 'start' })).toEqual([])
    expect(failedRules(spec, { phase: 'ramp' })).toEqual([])
  })
})

describe('max-duration', () => {
  const policy = { defaults: { metadata: { maxDuration: '30d' } } }

  it('passes at or under the cap', () => {
    expect(failedRules(specFixture({ maxDuration: '30d' }), { policy })).toEqual([])
    expect(failedRules(specFixture({ maxDuration: '1d' }), { policy })).toEqual([])
  })

  it('fails over the cap, naming both durations', () => {
    const [f] = check(specFixture({ maxDuration: '31d' }), { policy }).failures
    expect(f).toMatchObject({ rule: 'max-duration', path: 'maxDuration' })
    expect(f!.message).toContain('31d')
    expect(f!.message).toContain('30d')
  })

  it('no cap without a policy (the schema default of 14d is always set)', () => {
    expect(failedRules(specFixture({ maxDuration: 400 * DAY / 1000 }))).toEqual([])
  })
})

describe('weights-sum-100', () => {
  it('passes at 100 and fails otherwise, saying the sum', () => {
    expect(failedRules(specFixture())).toEqual([])
    const outcome = check(specFixture({ variants: [{ name: 'a', weight: 60 }, { name: 'b', weight: 50 }] }))
    expect(outcome.failures).toEqual([{ rule: 'weights-sum-100', path: 'variants', message: expect.stringContaining('sum to 110') }])
  })
})
