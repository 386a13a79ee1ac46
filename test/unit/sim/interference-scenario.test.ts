import { describe, expect, it } from 'vitest'
import { assign } from '../../../src/domain/assignment.js'
import { parseWith } from '../../../src/domain/validation.js'
import { interactionShifts, servedVariant } from '../../../src/sim/interactions.js'
import { perExperimentPopulation, sampleDistinct, sharedPopulation } from '../../../src/sim/population.js'
import { rng } from '../../../src/sim/random.js'
import { ScenarioSchema } from '../../../src/sim/scenario.js'
import { specInput } from '../../support/fixtures.js'

/** Scenario parts that make interference: a shared population, interactions, and the shared_salt fault. */
const metrics = { conversion: { type: 'bernoulli', base: 0.1 }, error_rate: { type: 'bernoulli', base: 0.05 } }
const experiment = (id: string, layer: string, extra: Record<string, unknown> = {}) => ({
  spec: specInput({ id, layer }), traffic: { unitsPerHour: 100 }, metrics, ...extra,
})
const scenario = (overrides: Record<string, unknown> = {}, b: Record<string, unknown> = {}) => ({
  name: 'pair',
  duration: '2h',
  units: { population: 'shared', size: 500 },
  experiments: [experiment('exp-a', 'la'), experiment('exp-b', 'lb', b)],
  interactions: [{ experiments: ['exp-a', 'exp-b'], variants: ['treatment', 'treatment'], metric: 'error_rate', effect: 0.1 }],
  ...overrides,
})
function problems(input: unknown) {
  const parsed = parseWith(ScenarioSchema, input)
  if (parsed.ok) throw new Error('expected a refusal')
  return parsed.problems
}

describe('scenario schema: units, interactions, shared_salt', () => {
  it('accepts them; units default to per-experiment and interactions to none', () => {
    const parsed = parseWith(ScenarioSchema, scenario({}, { faults: [{ type: 'shared_salt', with: 'exp-a' }] }))
    expect(parsed.ok).toBe(true)
    if (parsed.ok) {
      expect(parsed.value.units).toEqual({ population: 'shared', size: 500 })
      expect(parsed.value.experiments[1]!.faults).toEqual([{ type: 'shared_salt', with: 'exp-a', from: 0 }])
    }
    const plain = parseWith(ScenarioSchema, scenario({ units: undefined, interactions: undefined }))
    expect(plain.ok && plain.value.units).toEqual({ population: 'per-experiment' })
    expect(plain.ok && plain.value.interactions).toEqual([])
  })

  it.each([
    [{ units: { population: 'shared', sise: 10 } }, 'units.sise', 'unknown key; did you mean `size`?'],
    [{ units: { population: 'shared', size: 0 } }, 'units.size'],
    [{ interactions: [{ experiments: ['exp-a', 'nope'], variants: ['treatment', 'treatment'], metric: 'error_rate', effect: 1 }] }, 'interactions[0].experiments[1]', 'no experiment "nope" in this scenario (has exp-a, exp-b)'],
    [{ interactions: [{ experiments: ['exp-a', 'exp-b'], variants: ['treatment', 'blue'], metric: 'error_rate', effect: 1 }] }, 'interactions[0].variants[1]', 'experiment "exp-b" has no variant "blue" (has control, treatment)'],
    [{ interactions: [{ experiments: ['exp-a', 'exp-b'], variants: ['treatment', 'treatment'], metric: 'latency', effect: 1 }] }, 'interactions[0].metric', 'experiment "exp-a" has no model for metric "latency" (has conversion, error_rate)'],
    [{ interactions: [{ experiments: ['exp-a', 'exp-a'], variants: ['treatment', 'treatment'], metric: 'error_rate', effect: 1 }] }, 'interactions[0].experiments[1]', 'must be another experiment than experiments[0]'],
    [{ interactions: [{ experiments: ['exp-a', 'exp-b'], variants: ['treatment', 'treatment'], metric: 'error_rate', efect: 1 }] }, 'interactions[0].efect', 'unknown key; did you mean `effect`?'],
  ])('%j', (overrides, path, message?: string) => {
    const found = problems(scenario(overrides))
    expect(found.map((p) => p.path)).toContain(path)
    if (message) expect(found).toContainEqual({ path, message })
  })

  it('a shared_salt fault must name another experiment of the scenario', () => {
    expect(problems(scenario({}, { faults: [{ type: 'shared_salt', with: 'nope' }] }))).toContainEqual({ path: 'experiments[1].faults[0].with', message: 'no experiment "nope" in this scenario (has exp-a, exp-b)' })
    expect(problems(scenario({}, { faults: [{ type: 'shared_salt', with: 'exp-b' }] }))).toContainEqual({ path: 'experiments[1].faults[0].with', message: 'must name another experiment (its own salt is no fault)' })
    expect(problems(scenario({}, { faults: [{ type: 'shared_salt', with: 'exp-a', form: '1h' }] }))).toContainEqual({ path: 'experiments[1].faults[0].form', message: 'unknown key; did you mean `from`?' })
  })
})

describe('populations', () => {
  it('sampleDistinct gives k distinct integers in [0, n), all of them when k = n, and is uniform', () => {
    const random = rng(3)
    for (const [n, k] of [[10, 10], [1000, 3], [50, 49]] as const) {
      const xs = sampleDistinct(n, k, random)
      expect(new Set(xs).size).toBe(k)
      expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x < n)).toBe(true)
    }
    // 20,000 draws of 2 from 10: each value is picked with probability 1/5 (4,000 expected, sd ≈ 57).
    const counts = new Array(10).fill(0)
    for (let i = 0; i < 20_000; i++) for (const x of sampleDistinct(10, 2, random)) counts[x]++
    for (const c of counts) expect(Math.abs(c - 4000)).toBeLessThan(4 * 57)
  })

  it('a shared population gives experiments the same ids (carrying the seed), at most size per tick; event prefixes stay unique', () => {
    const p = sharedPopulation(7, 100, rng(1))
    const a = p.arrivals('exp-a', 0, 80)
    const b = p.arrivals('exp-b', 0, 80)
    expect(a.every((id) => /^u-s7-\d+$/.test(id))).toBe(true)
    // Two draws of 80 from 100 share at least 60.
    expect(a.filter((id) => b.includes(id)).length).toBeGreaterThanOrEqual(60)
    expect(p.arrivals('exp-a', 1, 500)).toHaveLength(100)
    expect(new Set([p.eventPrefix('exp-a', 0, a[0]!), p.eventPrefix('exp-b', 0, a[0]!), p.eventPrefix('exp-a', 1, a[0]!)]).size).toBe(3)
    const own = perExperimentPopulation(7)
    expect(own.arrivals('exp-a', 0, 3).filter((id) => own.arrivals('exp-b', 0, 3).includes(id))).toEqual([])
  })
})

describe('shared_salt and interaction shifts', () => {
  const variants = [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }]
  const gateOf = (experimentId: string, unitId: string) => {
    const g = assign({ namespace: 'default', layer: `l-${experimentId}`, experimentId, allocation: { start: 0, size: 10_000 }, exposurePercent: 100, variants, unitId })
    return g.exposed ? g.variant : null
  }

  it("under shared_salt a unit is served the variant the gate gives it in the other experiment; without it, the gate's own", () => {
    const units = Array.from({ length: 2000 }, (_, i) => `u${i}`)
    const fault = { type: 'shared_salt' as const, with: 'exp-a', from: 0 }
    const served = units.map((u) => servedVariant(fault, gateOf('exp-b', u)!, u, variants))
    expect(served).toEqual(units.map((u) => gateOf('exp-a', u)))
    const own = units.map((u) => servedVariant(undefined, gateOf('exp-b', u)!, u, variants))
    // Independent hashes agree on about half the units.
    const agree = own.filter((v, i) => v === gateOf('exp-a', units[i]!)).length
    expect(agree).toBeGreaterThan(900)
    expect(agree).toBeLessThan(1100)
  })

  it('adds each interaction to the units served its variants in both experiments, and only those', async () => {
    const units = ['u1', 'u2', 'u3', 'u4', 'u5']
    const inB: Record<string, string | null> = { u1: 'treatment', u2: 'control', u3: 'treatment', u4: null, u5: 'treatment' }
    const asked: string[][] = []
    const interactions = [
      { experiments: ['exp-a', 'exp-b'] as [string, string], variants: ['treatment', 'treatment'] as [string, string], metric: 'error_rate', effect: 0.1 },
      { experiments: ['exp-b', 'exp-a'] as [string, string], variants: ['treatment', 'treatment'] as [string, string], metric: 'error_rate', effect: 0.05 },
      { experiments: ['exp-a', 'exp-b'] as [string, string], variants: ['control', 'control'] as [string, string], metric: 'conversion', effect: -0.02 },
    ]
    const shifts = await interactionShifts({
      interactions, id: 'exp-a', unitIds: units,
      served: ['treatment', 'treatment', 'control', 'treatment', null],
      partner: async (id, ids) => {
        expect(id).toBe('exp-b')
        asked.push(ids)
        return ids.map((u) => inB[u]!)
      },
    })
    expect(shifts[0]!.error_rate).toBeCloseTo(0.15, 12)
    expect(shifts.slice(1)).toEqual([undefined, undefined, undefined, undefined])
    // One lookup per partner, only for the units exposed here.
    expect(asked).toEqual([['u1', 'u2', 'u3', 'u4']])
    const none = await interactionShifts({ interactions, id: 'exp-c', unitIds: units, served: units.map(() => 'control'), partner: async () => { throw new Error('not asked') } })
    expect(none.every((x) => x === undefined)).toBe(true)
  })
})

describe('unitEvents with an interaction shift', () => {
  it('adds the shift to the probability of the named metric only, with event ids from the prefix', async () => {
    const { unitEvents } = await import('../../../src/sim/traffic.js')
    const parsed = parseWith(ScenarioSchema, { name: 'x', duration: '1h', experiments: [{ spec: specInput(), traffic: { unitsPerHour: 1 }, metrics: { conversion: { type: 'bernoulli', base: 0 }, error_rate: { type: 'bernoulli', base: 0 } } }] })
    if (!parsed.ok) throw new Error('fixture')
    const exp = parsed.value.experiments[0]!
    const out: Array<{ metric: string; outcome?: boolean; eventId: string }> = []
    const random = rng(5)
    for (let u = 0; u < 4000; u++) {
      unitEvents({ exp, experimentId: 'e', trueVariant: 'control', loggedVariant: 'control', unitId: `u${u}`, from: 0, span: 1000, scenarioStart: 0, step: 1, random, out: out as never, eventPrefix: `e-0-u${u}`, interaction: { error_rate: 0.3 } })
    }
    const rate = (m: string) => out.filter((e) => e.metric === m && e.outcome).length / 4000
    // 0.3 ± 4 sd (sd = sqrt(0.21 / 4000) ≈ 0.0072); conversion stays at its base 0.
    expect(Math.abs(rate('error_rate') - 0.3)).toBeLessThan(0.03)
    expect(rate('conversion')).toBe(0)
    expect(out[0]!.eventId).toBe('e-0-u0-0')
  })
})
