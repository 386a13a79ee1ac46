import { describe, expect, it } from 'vitest'
import { parseWith } from '../../../src/domain/validation.js'
import { normalSf } from '../../../src/stats/normal.js'
import { activeEffect } from '../../../src/sim/effects.js'
import { misrouteProbability } from '../../../src/sim/faults.js'
import { perExperimentPopulation } from '../../../src/sim/population.js'
import { rng } from '../../../src/sim/random.js'
import { type ScenarioExperiment, ScenarioSchema } from '../../../src/sim/scenario.js'
import { type SyntheticEvent, unitEvents } from '../../../src/sim/traffic.js'
import { specInput } from '../../support/fixtures.js'

const HOUR = 3_600_000
const START = Date.UTC(2026, 0, 5)

/** One scenario experiment parsed from its file form (so defaults are as a file gets them). */
function experiment(x: Record<string, unknown>): ScenarioExperiment {
  const parsed = parseWith(ScenarioSchema, { name: 't', duration: '4h', experiments: [{ spec: specInput(), traffic: { unitsPerHour: 100 }, ...x }] })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems))
  return parsed.value.experiments[0]!
}

/** `units` units' events of `variant`, all in the hour from `from` (ms since START), at `step`. */
function events(exp: ScenarioExperiment, variant: string, units: number, opts: { from?: number; step?: number; seed?: number } = {}) {
  const random = rng(opts.seed ?? 1)
  const out: SyntheticEvent[] = []
  const tally = { sent: 0, stopped: 0, dropped: 0 }
  for (let u = 0; u < units; u++) {
    const t = unitEvents({ exp, experimentId: 'x', trueVariant: variant, loggedVariant: variant, unitId: `u${u}`, from: START + (opts.from ?? 0), span: HOUR, scenarioStart: START, step: opts.step ?? 1, random, out })
    tally.sent += t.sent
    tally.stopped += t.stopped
    tally.dropped += t.dropped
  }
  return { out, tally, values: out.map((e) => e.value!).sort((a, b) => a - b) }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const quantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!
/** Standard normal quantiles (published tables): the oracle for the lognormal model. */
const Z = { p50: 0, p95: 1.6448536, p99: 2.3263479 }

describe('synthetic traffic', () => {
  it('lognormal events have the median and quantiles of exp(N(ln median, σ²)) and its mean median·e^{σ²/2}', () => {
    const exp = experiment({ metrics: { latency_ms: { type: 'lognormal', median: 200, sigma: 0.5 } } })
    const { values } = events(exp, 'control', 200_000)
    expect(quantile(values, 0.5)).toBeCloseTo(200, -0.3) // within ±1 ms of 200 at n = 200k (se ≈ 0.3)
    expect(quantile(values, 0.95) / (200 * Math.exp(0.5 * Z.p95))).toBeCloseTo(1, 2)
    expect(quantile(values, 0.99) / (200 * Math.exp(0.5 * Z.p99))).toBeCloseTo(1, 2)
    expect(mean(values) / (200 * Math.exp(0.125))).toBeCloseTo(1, 2)
  })

  it('a tail effect moves p95 while a compensating shift keeps the mean; scale multiplies', () => {
    const exp = experiment({
      metrics: { latency_ms: { type: 'lognormal', median: 200, sigma: 0.3 } },
      effects: { treatment: { latency_ms: { shift: -15, tail: { fraction: 0.05, add: 300 } } } },
    })
    const control = events(exp, 'control', 100_000).values
    const treatment = events(exp, 'treatment', 100_000, { seed: 2 }).values
    // Mean: +0.05·300 − 15 = 0 (each mean's standard error ≈ 0.2 ms).
    expect(Math.abs(mean(treatment) - mean(control))).toBeLessThan(1.5)
    // p95 of the mixture 0.95·(X − 15) + 0.05·(X + 285), X lognormal(ln 200, 0.3²): solved from the normal CDF.
    const sf = (q: number) => 0.95 * normalSf(Math.log((q + 15) / 200) / 0.3) + 0.05 * normalSf(Math.log((q - 285) / 200) / 0.3)
    let [lo, hi] = [300, 1000]
    for (let i = 0; i < 60; i++) [lo, hi] = sf((lo + hi) / 2) > 0.05 ? [(lo + hi) / 2, hi] : [lo, (lo + hi) / 2]
    expect(lo).toBeGreaterThan(415) // ≈ 420 ms against the control's 200·e^{0.3·1.645} ≈ 328 ms
    expect(quantile(treatment, 0.95) / lo).toBeCloseTo(1, 2)
    expect(quantile(control, 0.95) / (200 * Math.exp(0.3 * Z.p95))).toBeCloseTo(1, 2)
    // Share above 450 ms: the mixture's survival function there (≈ 3.9%; se of the share ≈ 0.06%).
    expect(treatment.filter((v) => v > 450).length / treatment.length).toBeCloseTo(sf(450), 2)
    const scaled = experiment({ metrics: { m: { type: 'normal', mean: 100, sd: 1 } }, effects: { treatment: { m: { scale: 1.2 } } } })
    expect(mean(events(scaled, 'treatment', 20_000).values)).toBeCloseTo(120, 0)
  })

  it('bernoulli: a number shifts the probability, scale multiplies it', () => {
    const exp = experiment({ metrics: { conversion: { type: 'bernoulli', base: 0.1 } }, effects: { treatment: { conversion: 0.05 }, control: { conversion: { scale: 0.5 } } } })
    const rate = (v: string) => {
      const { out } = events(exp, v, 100_000)
      return out.filter((e) => e.outcome).length / out.length
    }
    expect(rate('treatment')).toBeCloseTo(0.15, 2)
    expect(rate('control')).toBeCloseTo(0.05, 2)
  })

  it('an effect from a rollout step or in a time window is absent outside it', () => {
    expect(activeEffect({ shift: 5, scale: 1, fromStep: 3 }, { elapsed: 0, step: 2 })).toEqual({ shift: 0, scale: 1, tail: null })
    expect(activeEffect({ shift: 5, scale: 1, fromStep: 3 }, { elapsed: 0, step: 3 })).toEqual({ shift: 5, scale: 1, tail: null })
    const windowed = { shift: 5, scale: 1, from: HOUR, until: 2 * HOUR }
    expect([HOUR - 1, HOUR, 2 * HOUR - 1, 2 * HOUR].map((elapsed) => activeEffect(windowed, { elapsed, step: 1 }).shift)).toEqual([0, 5, 5, 0])
    // Through the traffic model: the step is the one the simulator passes.
    const exp = experiment({ metrics: { m: { type: 'normal', mean: 10, sd: 0 } }, effects: { treatment: { m: { shift: 7, fromStep: 2 } } } })
    expect(new Set(events(exp, 'treatment', 10, { step: 1 }).values)).toEqual(new Set([10]))
    expect(new Set(events(exp, 'treatment', 10, { step: 2 }).values)).toEqual(new Set([17]))
  })

  it('telemetry_stop loses every event in its window; telemetry_drop a fraction of the named metrics', () => {
    const exp = experiment({
      metrics: { a: { type: 'normal', mean: 0, sd: 1 }, b: { type: 'normal', mean: 0, sd: 1 } },
      traffic: { unitsPerHour: 100, eventsPerUnit: 10 },
      faults: [
        { type: 'telemetry_stop', at: '1h', until: '2h' },
        { type: 'telemetry_drop', from: '2h', until: '3h', fraction: 0.3, metrics: ['a'] },
      ],
    })
    const before = events(exp, 'control', 1000, { from: 0 })
    expect(before.tally).toEqual({ sent: 20_000, stopped: 0, dropped: 0 })
    const stopped = events(exp, 'control', 1000, { from: HOUR })
    expect(stopped.tally).toEqual({ sent: 0, stopped: 20_000, dropped: 0 })
    const dropping = events(exp, 'control', 1000, { from: 2 * HOUR })
    expect(dropping.out.filter((e) => e.metric === 'b')).toHaveLength(10_000)
    const keptA = dropping.out.filter((e) => e.metric === 'a').length
    expect(keptA + dropping.tally.dropped).toBe(10_000)
    expect(dropping.tally.dropped / 10_000).toBeCloseTo(0.3, 1)
    expect(events(exp, 'control', 1000, { from: 3 * HOUR }).tally).toEqual({ sent: 20_000, stopped: 0, dropped: 0 })
  })

  it('a fault loses events without changing the values of those sent', () => {
    const metrics = { a: { type: 'normal', mean: 0, sd: 1 } }
    const clean = events(experiment({ metrics }), 'control', 200, { from: 0 }).out
    const cut = events(experiment({ metrics, faults: [{ type: 'telemetry_stop', at: '30m', until: '40m' }] }), 'control', 200, { from: 0 }).out
    const byId = new Map(clean.map((e) => [e.eventId, e]))
    expect(cut.length).toBeLessThan(clean.length)
    for (const e of cut) expect(e).toEqual(byId.get(e.eventId))
  })

  it('misroute: `fraction` of all exposed units end up under `to`, whatever its weight (units of `to` never move)', () => {
    const weights = [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 30 }, { name: 'b', weight: 20 }]
    for (const to of ['treatment', 'ghost']) {
      const fault = { type: 'misroute' as const, from: 0, fraction: 0.01, to }
      // Expected misrouted share over the arms: Σ_v w_v · p_v.
      const share = weights.reduce((a, v) => a + (v.weight / 100) * misrouteProbability(fault, v.name, weights), 0)
      expect(share).toBeCloseTo(0.01, 12)
      expect(misrouteProbability(fault, to, weights)).toBe(0)
    }
    expect(misrouteProbability({ type: 'misroute', from: 0, fraction: 0.7, to: 'treatment' }, 'control', weights)).toBe(1)
  })

  it('unit ids differ by seed and never repeat across ticks or experiments', () => {
    const a = perExperimentPopulation(1)
    const b = perExperimentPopulation(2)
    expect(a.arrivals('x', 0, 3)).toEqual(a.arrivals('x', 0, 3))
    expect(a.arrivals('x', 0, 3).some((id) => b.arrivals('x', 0, 3).includes(id))).toBe(false)
    const all = [...a.arrivals('x', 0, 100), ...a.arrivals('x', 1, 100), ...a.arrivals('y', 0, 100)]
    expect(new Set(all).size).toBe(300)
  })
})
