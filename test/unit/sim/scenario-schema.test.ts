import { describe, expect, it } from 'vitest'
import { parseWith } from '../../../src/domain/validation.js'
import { ScenarioSchema } from '../../../src/sim/scenario.js'
import { specInput } from '../../support/fixtures.js'

/** Scenario files: strict keys (the embedded spec included), a tick that advances, a bounded number of steps. */
const scenario = (overrides: Record<string, unknown> = {}, experiment: Record<string, unknown> = {}) => ({
  name: 'unit',
  duration: '2h',
  tick: '10m',
  experiments: [{ spec: specInput(), traffic: { unitsPerHour: 100 }, metrics: { conversion: { type: 'bernoulli', base: 0.1 } }, ...experiment }],
  ...overrides,
})
function problems(input: unknown) {
  const parsed = parseWith(ScenarioSchema, input)
  if (parsed.ok) throw new Error('expected a refusal')
  return parsed.problems
}

describe('scenario schema', () => {
  it('accepts a plain scenario and fills defaults', () => {
    const parsed = parseWith(ScenarioSchema, scenario())
    expect(parsed.ok).toBe(true)
    if (parsed.ok) expect(parsed.value).toMatchObject({ seed: 1, tick: 600_000, duration: 7_200_000 })
  })

  it.each([
    [{ tick: 0 }, 'tick', 'must be > 0 (a zero tick never advances the clock)'],
    [{ tick: '0s' }, 'tick', 'must be > 0 (a zero tick never advances the clock)'],
    [{ duration: '3651d', tick: '1d' }, 'duration', 'must be at most 10 years (3650d)'],
    [{ duration: '30d', tick: '1s' }, 'tick', 'duration ÷ tick is 2592000 steps; at most 100000 (use a longer tick)'],
    [{ seeed: 3 }, 'seeed', 'unknown key; did you mean `seed`?'],
    [{ name: 'two\nlines' }, 'name', 'must not contain control characters'],
  ])('%j', (overrides, path, message) => {
    expect(problems(scenario(overrides))).toEqual([{ path, message }])
  })

  it('100,000 steps is the most a scenario may take', () => {
    expect(parseWith(ScenarioSchema, scenario({ duration: '100000s', tick: '1s' })).ok).toBe(true)
    expect(parseWith(ScenarioSchema, scenario({ duration: '100001s', tick: '1s' })).ok).toBe(false)
  })

  it.each([
    [{ traffic: { unitsPerHuor: 10 } }, 'experiments[0].traffic.unitsPerHuor', 'unknown key; did you mean `unitsPerHour`?'],
    [{ metrics: { conversion: { type: 'bernoulli', bsae: 0.1 } } }, 'experiments[0].metrics.conversion.bsae', 'unknown key; did you mean `base`?'],
    [{ faults: [{ type: 'misroute', from: '1h', fracton: 0.2, to: 'treatment' }] }, 'experiments[0].faults[0].fracton', 'unknown key; did you mean `fraction`?'],
    [{ enqueAt: '1h' }, 'experiments[0].enqueAt', 'unknown key; did you mean `enqueueAt`?'],
  ])('experiment %j', (experiment, path, message) => {
    expect(problems(scenario({}, experiment))).toContainEqual({ path, message })
  })

  it('the embedded spec is checked by the spec schema, with its path inside the scenario', () => {
    const spec = { ...specInput(), rolout: { steps: [{ exposure: 5 }] }, maxDuration: '3651d' }
    expect(problems(scenario({}, { spec }))).toEqual([
      { path: 'experiments[0].spec.rolout', message: 'unknown key; did you mean `rollout`?' },
      { path: 'experiments[0].spec.maxDuration', message: 'must be at most 10 years (3650d)' },
    ])
    const long = { ...specInput(), maxDuration: '3651d' }
    expect(problems(scenario({}, { spec: long }))).toEqual([{ path: 'experiments[0].spec.maxDuration', message: 'must be at most 10 years (3650d)' }])
  })
})
