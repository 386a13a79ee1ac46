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

  it('accepts the measurement features: lognormal model, effect objects, windowed faults, actions', () => {
    const parsed = parseWith(
      ScenarioSchema,
      scenario(
        { actions: [{ at: '1h', experiment: 'checkout-button', action: 'pause', reason: 'looks odd' }] },
        {
          metrics: { conversion: { type: 'bernoulli', base: 0.1 }, latency_ms: { type: 'lognormal', median: 200, sigma: 0.4 } },
          effects: {
            treatment: { conversion: 0.01, latency_ms: { shift: -15, tail: { fraction: 0.05, add: 300 }, fromStep: 2, from: '30m', until: '90m' } },
          },
          faults: [
            { type: 'telemetry_stop', at: '1h', until: '90m' },
            { type: 'telemetry_drop', from: '10m', until: '20m', fraction: 0.5, metrics: ['latency_ms'] },
            { type: 'misroute', from: '1h', fraction: 0.05, to: 'ghost' },
          ],
        },
      ),
    )
    expect(parsed.ok, JSON.stringify(parsed)).toBe(true)
    if (!parsed.ok) return
    expect(parsed.value.actions).toEqual([{ at: 3_600_000, experiment: 'checkout-button', action: 'pause', reason: 'looks odd' }])
    // Defaults of the object form: no shift, scale 1.
    expect(parsed.value.experiments[0]!.effects.treatment!.latency_ms).toEqual({ shift: -15, scale: 1, tail: { fraction: 0.05, add: 300 }, fromStep: 2, from: 1_800_000, until: 5_400_000 })
  })

  it.each([
    [{ metrics: { latency_ms: { type: 'lognormal', median: 0, sigma: 1 } } }, 'experiments[0].metrics.latency_ms.median', 'Too small: expected number to be >0'],
    [{ metrics: { latency_ms: { type: 'lognormal', median: 200, sigam: 1 } } }, 'experiments[0].metrics.latency_ms.sigam', 'unknown key; did you mean `sigma`?'],
    [{ effects: { treatment: { conversion: { shfit: 0.1 } } } }, 'experiments[0].effects.treatment.conversion.shfit', 'unknown key; did you mean `shift`?'],
    [{ effects: { treatment: { conversion: { tail: { fraction: 0.1, add: 1 } } } } }, 'experiments[0].effects.treatment.conversion.tail', 'a tail adds to event values; a bernoulli metric has outcomes (use shift or scale)'],
    [{ effects: { treatment: { conversion: { fromStep: 4 } } } }, 'experiments[0].effects.treatment.conversion.fromStep', 'the rollout has 3 steps'],
    [{ effects: { treatment: { conversion: { from: '2h', until: '1h' } } } }, 'experiments[0].effects.treatment.conversion.until', 'must be after from'],
    [{ effects: { treatmnet: { conversion: 0.1 } } }, 'experiments[0].effects.treatmnet', 'the spec has no variant "treatmnet" (has control, treatment)'],
    [{ effects: { treatment: { latency: 0.1 } } }, 'experiments[0].effects.treatment.latency', 'no model for metric "latency" in metrics (has conversion)'],
    [{ faults: [{ type: 'telemetry_stop', at: '2h', until: '1h' }] }, 'experiments[0].faults[0].until', 'must be after at'],
    [{ faults: [{ type: 'telemetry_drop', from: '1h', fraction: 0.5, metrics: ['latency'] }] }, 'experiments[0].faults[0].metrics[0]', 'no model for metric "latency" in metrics (has conversion)'],
    [{ faults: [{ type: 'telemetry_drop', from: '1h', fraction: 0.5, metric: ['conversion'] }] }, 'experiments[0].faults[0].metric', 'unknown key; did you mean `metrics`?'],
    [{ faults: [{ type: 'misroute', from: '1h', fraction: 0.6, to: 'treatment' }] }, 'experiments[0].faults[0].fraction', 'at most 0.5: only units outside "treatment" (weight share 0.5) can be misrouted to it'],
  ])('measurement features %j', (experiment, path, message) => {
    expect(problems(scenario({}, experiment))).toContainEqual({ path, message })
  })

  it.each([
    [{ at: '1h', experiment: 'other', action: 'pause', reason: 'x' }, 'actions[0].experiment', 'no experiment "other" in this scenario (has checkout-button)'],
    [{ at: '2h', experiment: 'checkout-button', action: 'pause', reason: 'x' }, 'actions[0].at', 'must be before the scenario ends (duration)'],
    [{ at: '1h', experiment: 'checkout-button', action: 'pause', reason: '' }, 'actions[0].reason', 'is required'],
    [{ at: '1h', experiment: 'checkout-button', action: 'pause', reasn: 'x', reason: 'x' }, 'actions[0].reasn', 'unknown key; did you mean `reason`?'],
  ])('action %j', (action, path, message) => {
    expect(problems(scenario({ actions: [action] }))).toContainEqual({ path, message })
  })

  it('an action other than approve, resume, pause, rollback or cancel is refused', () => {
    const [p] = problems(scenario({ actions: [{ at: '1h', experiment: 'checkout-button', action: 'archive', reason: 'x' }] }))
    expect(p!.path).toBe('actions[0].action')
    expect(p!.message).toMatch(/approve.*resume.*pause.*rollback.*cancel/)
  })

  it("an SLO in the embedded spec is checked by the spec's metric schema", () => {
    const spec = specInput({ metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease', slo: { mx: 0.02 } }] } } as never)
    expect(problems(scenario({}, { spec }))).toContainEqual({ path: 'experiments[0].spec.metrics.guardrails[0].slo.mx', message: 'unknown key; did you mean `max`?' })
    const good = specInput({ metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease', slo: { max: 0.02, window: '30d' } }] } } as never)
    expect(parseWith(ScenarioSchema, scenario({}, { spec: good })).ok).toBe(true)
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
