import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ExperimentSpecSchema } from '../../../src/domain/experiment.js'
import { controlCharacterIssues, LIMITS } from '../../../src/domain/input-limits.js'
import { PolicyConfigSchema } from '../../../src/domain/policy-config.js'
import { parseStoredSpec } from '../../../src/domain/stored-spec.js'
import { editDistance, knownKeysAt, nearestKey, parseWith } from '../../../src/domain/validation.js'
import { specInput } from '../../support/fixtures.js'

/** Unknown keys and absurd sizes in specs and policy files: each refusal with its exact message. */
function problems(schema: z.ZodType, input: unknown) {
  const parsed = parseWith(schema, input)
  if (parsed.ok) throw new Error('expected a refusal')
  return parsed.problems
}
const spec = (overrides: Record<string, unknown> = {}) => ({ ...specInput(), ...overrides })

describe('edit distance and the nearest key', () => {
  it.each([
    ['rolout', 'rollout', 1],
    ['rollotu', 'rollout', 1], // a transposition is one edit
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['same', 'same', 0],
  ])('%s → %s is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d)
    expect(editDistance(b, a)).toBe(d)
  })

  it('suggests only a close key, case-insensitively', () => {
    const known = ['rollout', 'id', 'layer', 'minDuration']
    expect(nearestKey('rolout', known)).toBe('rollout')
    expect(nearestKey('MinDuration', known)).toBe('minDuration')
    expect(nearestKey('ab', known)).toBeNull() // 2 edits from `id`: too far for a 2-letter key
    expect(nearestKey('colour', known)).toBeNull()
  })

  it('reads the known keys from the schema shape at a path (through arrays, defaults, unions and enum records)', () => {
    expect(knownKeysAt(ExperimentSpecSchema, ['rollout', 'steps', 3])).toEqual(['exposure', 'minDuration', 'approval'])
    expect(knownKeysAt(ExperimentSpecSchema, ['metrics', 'guardrails', 0])).toEqual(['name', 'type', 'direction', 'aggregation', 'source', 'numerator', 'denominator', 'quantile', 'covariate', 'slo', 'margin', 'marginType', 'minHarmfulEffect'])
    expect(knownKeysAt(PolicyConfigSchema, ['defaults', 'freezes', 0])).toEqual(['name', 'start', 'end', 'weekly'])
    expect(knownKeysAt(PolicyConfigSchema, ['namespaces', 'payments', 'maxExposure'])).toEqual(['ab', 'canary', 'rollout', 'model', 'chaos'])
    expect(knownKeysAt(ExperimentSpecSchema, ['nowhere'])).toEqual([])
  })
})

describe('specs refuse unknown keys, naming the path and the nearest known key', () => {
  it('a mistyped rollout no longer means 100% exposure', () => {
    expect(problems(ExperimentSpecSchema, spec({ rolout: { steps: [{ exposure: 5 }] } }))).toEqual([{ path: 'rolout', message: 'unknown key; did you mean `rollout`?' }])
  })

  it.each([
    [{ rollout: { steps: [{ exposure: 5, minDuraton: '1h' }] } }, 'rollout.steps[0].minDuraton', 'unknown key; did you mean `minDuration`?'],
    [{ variants: [{ name: 'control', weight: 50 }, { name: 'treatment', wieght: 50 }] }, 'variants[1].wieght', 'unknown key; did you mean `weight`?'],
    [{ statistics: { alhpa: 0.01 } }, 'statistics.alhpa', 'unknown key; did you mean `alpha`?'],
    [{ statistics: { gst: { looks: 3, spendng: 'obf' } } }, 'statistics.gst.spendng', 'unknown key; did you mean `spending`?'],
    // A union (obf | pocock | { power }): the object branch speaks for an object.
    [{ statistics: { gst: { looks: 3, spending: { powr: 2 } } } }, 'statistics.gst.spending.powr', 'unknown key; did you mean `power`?'],
    [{ policy: { autoRollbak: false } }, 'policy.autoRollbak', 'unknown key; did you mean `autoRollback`?'],
    [{ evaluation: { intervall: '5m' } }, 'evaluation.intervall', 'unknown key; did you mean `interval`?'],
    [{ targeting: [{ attribute: 'country', op: 'in', value: ['DE'] }] }, 'targeting[0].value', 'unknown key; did you mean `values`?'],
    [{ metrics: { primary: { name: 'conversion', directoin: 'increase' }, guardrails: [] } }, 'metrics.primary.directoin', 'unknown key; did you mean `direction`?'],
    [{ metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'latency', slo: { maximum: 200 } }] } }, 'metrics.guardrails[0].slo.maximum', 'unknown key (known: max, min, objective, window)'],
    [{ colour: 'blue' }, 'colour', expect.stringMatching(/^unknown key \(known: id, namespace, layer, .*evaluation\)$/)],
  ])('%j', (overrides, path, message) => {
    expect(problems(ExperimentSpecSchema, spec(overrides))).toContainEqual({ path, message })
  })
})

describe('specs refuse absurd sizes with a clear message', () => {
  it('more than 100 rollout steps', () => {
    const steps = Array.from({ length: LIMITS.rolloutSteps + 1 }, () => ({ exposure: 100 }))
    expect(problems(ExperimentSpecSchema, spec({ rollout: { steps } }))).toEqual([{ path: 'rollout.steps', message: 'at most 100 rollout steps (got 101)' }])
    expect(parseWith(ExperimentSpecSchema, spec({ rollout: { steps: steps.slice(1) } })).ok).toBe(true)
  })

  it('more than 20 variants', () => {
    const variants = Array.from({ length: 21 }, (_, i) => ({ name: `v${i}`, weight: 1 }))
    expect(problems(ExperimentSpecSchema, spec({ variants }))).toEqual([{ path: 'variants', message: 'at most 20 variants (got 21)' }])
  })

  it.each([
    [{ maxDuration: '3651d' }, 'maxDuration'],
    [{ evaluation: { interval: '522w' } }, 'evaluation.interval'],
    [{ evaluation: { staleAfter: 400_000_000 } }, 'evaluation.staleAfter'], // seconds
    [{ rollout: { steps: [{ exposure: 5, minDuration: '87601h' }, { exposure: 100 }] } }, 'rollout.steps[0].minDuration'],
  ])('a duration past 10 years: %j', (overrides, path) => {
    expect(problems(ExperimentSpecSchema, spec(overrides))).toEqual([{ path, message: 'must be at most 10 years (3650d)' }])
  })

  it('exactly 10 years is allowed', () => {
    expect(parseWith(ExperimentSpecSchema, spec({ maxDuration: '3650d' })).ok).toBe(true)
  })

  it.each([
    ['owner', { owner: 'team\u0000a' }, 'must not contain control characters'],
    ['onCall', { onCall: 'pager\nsecond line' }, 'must not contain control characters'],
    ['services[0]', { services: ['check\u001bout'] }, 'must not contain control characters'],
    ['targeting[0].values[0]', { targeting: [{ attribute: 'country', op: 'in', values: ['D\u007fE'] }] }, 'must not contain control characters'],
    ['hypothesis', { hypothesis: 'bell\u0007' }, 'must not contain control characters (other than tab and newline)'],
  ])('control characters in %s', (path, overrides, message) => {
    expect(problems(ExperimentSpecSchema, spec(overrides))).toEqual([{ path, message }])
  })

  it('free text may span lines; ids never hold control characters (their pattern refuses them)', () => {
    expect(parseWith(ExperimentSpecSchema, spec({ hypothesis: 'line one\n\tline two\r\n' })).ok).toBe(true)
    expect(problems(ExperimentSpecSchema, spec({ id: 'exp\n1' }))[0]!.path).toBe('id')
  })

  it('a stored spec (milliseconds, accepted before a limit) still loads', () => {
    const stored = ExperimentSpecSchema.parse(spec({ maxDuration: '30d' }))
    // 30 days in ms read again as seconds would be 82 years: the stored path skips the limits.
    expect(parseStoredSpec(JSON.stringify(stored)).maxDuration).toBe(30 * 86_400_000)
  })
})

describe('policy files refuse unknown keys and absurd durations', () => {
  it.each([
    [{ defualts: {} }, 'defualts', 'unknown key; did you mean `defaults`?'],
    [{ namespaces: { payments: { quotaz: {} } } }, 'namespaces.payments.quotaz', 'unknown key; did you mean `quotas`?'],
    [{ defaults: { maxExposure: { teleport: 1 } } }, 'defaults.maxExposure.teleport', 'unknown key (known: ab, canary, rollout, model, chaos)'],
    [{ defaults: { freezes: [{ name: 'w', weakly: { days: ['sat'], from: '00:00', to: '24:00' } }] } }, 'defaults.freezes[0].weakly', 'unknown key; did you mean `weekly`?'],
    [{ slos: { checkout: { metric: 'error_rate', objectve: 0.99 } } }, 'slos.checkout.objectve', 'unknown key; did you mean `objective`?'],
    [{ defaults: { metadata: { maxDuration: '11y' } } }, 'defaults.metadata.maxDuration', 'invalid duration "11y" (use e.g. "30s", "15m", "2h", "1d")'],
    [{ defaults: { errorBudget: { window: '3651d' } } }, 'defaults.errorBudget.window', 'must be at most 10 years (3650d)'],
    [{ defaults: { freezes: [{ name: 'black\nfriday', start: '2026-11-27T00:00:00Z', end: '2026-12-01T00:00:00Z' }] } }, 'defaults.freezes[0].name', 'must not contain control characters'],
  ])('%j', (input, path, message) => {
    expect(problems(PolicyConfigSchema, input)).toContainEqual({ path, message })
  })
})

describe('the control-character walk', () => {
  it('covers keys and nested values, and fields added later', () => {
    expect(controlCharacterIssues({ a: [{ b: 'x\u0001' }], ['k\u0002']: 1, description: 'ok\nok' })).toEqual([
      { path: ['a', 0, 'b'], message: 'must not contain control characters' },
      { path: ['k\u0002'], message: 'key must not contain control characters' },
    ])
  })
})
