import { describe, expect, it } from 'vitest'
import type { ExperimentSpecInput } from '../../src/domain/experiment.js'
import type { ExperimentRecord } from '../../src/domain/experiment-record.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { readEvaluationBatch, type EvaluationReads } from '../../src/services/evaluate-batch.js'
import { IncrementalEvaluationReader } from '../../src/services/evaluate-incremental.js'
import { DAY, HOUR, MINUTE, T0, runningRecord, specFixture } from '../support/fixtures.js'
import { migratedWarehouse } from '../support/migrated-warehouse.js'
import { prng } from '../support/random-scenario.js'

/**
 * The incremental reader (held sums moved by the units touched since the last cycle) against a
 * fresh full pass (readEvaluationBatch, today's batch SQL) after each of several insert rounds, on
 * seeded random data: several events per unit arriving over rounds, 2–4 variants, every metric kind,
 * units logged under a second variant in a later round, late events with an old ts, CUPED pre-period
 * events arriving late, an experiment that starts running mid-way, one that is not read for a round,
 * and in-flight events (received within the grace) that must wait for the next cycle.
 */
const wh = migratedWarehouse('runway-evaluate-incremental-')
const GRACE = 2_000
const v = (...names: string[]) => names.map((name) => ({ name, weight: 100 / names.length }))
const full = { steps: [{ exposure: 100, minDuration: '1h' }] }
const specs: Array<Partial<ExperimentSpecInput>> = [
  { id: 'i-mean', variants: v('control', 'treatment'), rollout: full,
    metrics: { primary: { name: 'revenue', direction: 'increase' }, guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease' }, { name: 'latency_ms', direction: 'decrease', slo: { max: 300, objective: 0.99 } }], secondary: [{ name: 'revenue_sum', source: 'revenue', aggregation: 'sum', direction: 'increase' }] } },
  { id: 'i-ratio', variants: v('control', 'b', 'c'), rollout: full,
    metrics: { primary: { name: 'rps', type: 'ratio', numerator: 'revenue', denominator: 'sessions', direction: 'increase' }, guardrails: [{ name: 'p95', type: 'quantile', quantile: 0.95, source: 'latency_ms', direction: 'decrease', slo: { max: 250, min: 60 } }], secondary: [{ name: 'sessions', type: 'count', direction: 'increase' }] } },
  { id: 'i-cuped', variants: v('control', 'b', 'c', 'd'), rollout: full,
    metrics: { primary: { name: 'revenue', direction: 'increase', covariate: { prePeriod: '3d' } }, guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease', covariate: { prePeriod: '2d', metric: 'sessions', exposure: 'sessions' } }], secondary: [{ name: 'sessions', type: 'count', direction: 'increase' }] } },
  { id: 'i-partial', variants: [{ name: 'control', weight: 10 }, { name: 'b', weight: 30 }, { name: 'c', weight: 60 }], rollout: { steps: [{ exposure: 50, minDuration: '1h' }] },
    metrics: { primary: { name: 'revenue', direction: 'increase' }, guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease' }] } },
  // Starts running at round 3 (its events are there from round 1): its base is read then.
  { id: 'i-late', variants: v('control', 'treatment'), rollout: full,
    metrics: { primary: { name: 'rps', type: 'ratio', numerator: 'revenue', denominator: 'sessions', direction: 'increase' }, guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease' }] } },
]
const records: ExperimentRecord[] = specs.map((s) => runningRecord(specFixture(s), { startedAt: T0 }))
const ROUNDS = 5
const roundEnd = (r: number) => T0 + 6 * HOUR + r * 10 * MINUTE
const rnd = prng(20_261_203)

/** One round's events, all received in (end of round r−1, end of round r]; `inflight` ones just after it. */
function roundEvents(r: number): { events: Array<Record<string, unknown>>; inflight: Array<Record<string, unknown>> } {
  const events: Array<Record<string, unknown>> = []
  const inflight: Array<Record<string, unknown>> = []
  const lo = roundEnd(r - 1)
  const hi = roundEnd(r)
  const push = (to: Array<Record<string, unknown>>, experiment: string, variant: string, unit: string, metric: string, ts: number, value: number, receivedAt = lo + 1 + Math.floor(rnd() * (hi - lo))) =>
    to.push({ event_id: `r${r}-${to === inflight ? 'f' : 'e'}${to.length}`, ts: toWarehouseTime(ts), experiment_id: experiment, variant, unit_id: unit, service: 'svc', metric, value, attributes: {}, received_at: toWarehouseTime(receivedAt) })
  for (const rec of records) {
    const s = rec.spec
    for (let u = 0; u < 120; u++) {
      if (rnd() < 0.45) continue // a unit is touched in some rounds only
      const unit = `u${u}`
      const k = (u * 7 + s.id.length) % s.variants.length
      // A unit logged under another variant from round 3 on: misrouted, and in two arms' sums.
      const variant = s.variants[u % 13 === 0 && r >= 3 ? (k + 1) % s.variants.length : k]!.name
      const at = hi - Math.floor(rnd() * 5 * HOUR)
      // A late event: an old ts, received now.
      const ts = u % 9 === 0 ? T0 + Math.floor(rnd() * HOUR) : at
      const skill = (u % 10) + rnd()
      push(events, s.id, variant, unit, 'sessions', ts, 1 + Math.floor(rnd() * 3))
      if (rnd() < 0.8) push(events, s.id, variant, unit, 'revenue', ts + 1, rnd() < 0.2 ? 0 : skill + rnd() * 3 - (u % 11 === 0 ? 20 : 0))
      push(events, s.id, variant, unit, 'latency_ms', ts + 2, Math.round(50 + 400 * rnd() ** 3))
      push(events, s.id, variant, unit, 'error_rate', ts + 3, rnd() < 0.05 ? 1 : 0)
      // CUPED pre-period events arriving late (days before exposure), under another experiment.
      if (u % 4 === 0) push(events, 'baseline', 'x', unit, rnd() < 0.6 ? 'revenue' : 'sessions', T0 - Math.floor(rnd() * 4 * DAY), skill)
      // In flight: received within the grace after the round; the cycle must leave it to the next one.
      if (u % 6 === 0) push(inflight, s.id, variant, unit, 'revenue', at, skill, hi + 1 + Math.floor(rnd() * (GRACE - 1)))
    }
  }
  return { events, inflight }
}

/** Differences between two read sets: numbers to 1e-9 relative, all else exactly (paths listed). */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) ? [] : [`${path}: ${a} != ${b}`]
  if (a instanceof Map && b instanceof Map) return differences(Object.fromEntries(a), Object.fromEntries(b), path)
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = (x: unknown) => JSON.stringify((x as { variant?: string; metric?: string }).variant ?? (x as { metric?: string }).metric ?? '')
    const sa = [...a].sort((x, y) => key(x).localeCompare(key(y)))
    const sb = [...b].sort((x, y) => key(x).localeCompare(key(y)))
    if (sa.length !== sb.length) return [`${path}: length ${sa.length} != ${sb.length}`]
    return sa.flatMap((x, i) => differences(x, sb[i], `${path}[${i}]`))
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`))
  }
  return Object.is(a, b) ? [] : [`${path}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`]
}

/**
 * What the reader must return once in-flight events are visible: the held passes (units, the
 * moments of every metric, CUPED's covariate sums and adjustment, misrouting's cumulative counts) as
 * the full pass without them (they are received after now − grace), the quantile arms and misrouting's
 * recent window too (held since the fourth pass), and the passes it still runs in full (SLO windows) as
 * the full pass with them.
 */
function heldFrom(before: Map<string, EvaluationReads>, after: Map<string, EvaluationReads>): Map<string, EvaluationReads> {
  return new Map([...after].map(([id, a]) => {
    const b = before.get(id)!
    const metrics = a.metrics.map((m, i) => ({ ...m, byVariant: b.metrics[i]!.byVariant, arms: b.metrics[i]!.arms, ...(m.cuped ? { cuped: b.metrics[i]!.cuped } : {}), ...(m.quantile ? { quantile: b.metrics[i]!.quantile } : {}) }))
    // Misrouting: the cumulative counts and the recent window are held (the window since the fourth pass).
    const misrouting = b.misrouting
    return [id, { ...a, units: b.units, metrics, misrouting }]
  }))
}

describe('incremental evaluation reads against a fresh full pass', () => {
  it('after every round, equal to 1e-9 relative; increments (not bases) after the first', { timeout: 240_000 }, async () => {
    const warehouse = wh()
    const reader = new IncrementalEvaluationReader(warehouse, { graceMs: GRACE, rebaseMs: DAY })
    let previous: unknown = null
    for (let r = 1; r <= ROUNDS; r++) {
      const { events, inflight } = roundEvents(r)
      // Two inserts per round: several parts, as after real ingest.
      const half = Math.floor(events.length / 2)
      await warehouse.insert('events', events.slice(0, half))
      await warehouse.insert('events', events.slice(half))
      const now = roundEnd(r) + GRACE
      const reading = records.filter((x) => (x.spec.id !== 'i-late' || r >= 3) && (x.spec.id !== 'i-partial' || r !== 4))
      const before = await readEvaluationBatch(warehouse, reading, { now })
      await warehouse.insert('events', inflight)
      const after = await readEvaluationBatch(warehouse, reading, { now })
      const expected = heldFrom(before, after)
      const queries: string[] = []
      const got = await reader.read(reading, { now, onQuery: (name) => queries.push(name) })
      expect(differences(got, expected)).toEqual([])
      expect(got.size).toBe(reading.length)
      // The three summed passes come from held sums: the batch text of those is not run.
      expect(queries.filter((q) => ['variant-stats-batch', 'ratio-stats-batch', 'cuped-stats-batch', 'variant-units-batch', 'misrouting-summary-batch', 'quantile-stats-batch', 'misrouting-recent-batch'].includes(q))).toEqual([])
      expect(queries).toContain(r === 1 ? 'variant-stats-base' : 'variant-stats-incremental')
      expect(queries).toContain(r === 1 ? 'cuped-stats-base' : 'cuped-stats-incremental')
      expect(queries).toContain(r === 1 ? 'misrouting-summary-base' : 'misrouting-summary-incremental')
      expect(queries).toContain(r === 1 ? 'quantile-stats-base' : 'quantile-stats-incremental')
      expect(queries).toContain(r === 1 ? 'misrouting-recent-base' : 'misrouting-recent-incremental')
      // One fill of the touched table per cycle with increments, shared by every held pass.
      expect(queries.filter((q) => q === 'eval-touched-fill').length).toBe(r === 1 ? 0 : 1)
      // The data moved, and the in-flight events changed what a full pass sees: otherwise nothing is proven.
      expect(differences(got, previous ?? new Map()).length).toBeGreaterThan(0)
      expect(differences(before, after).length).toBeGreaterThan(0)
      previous = got
    }
    // Every experiment has units in two arms or more, and some misrouted (a unit under a second variant).
    const reads = previous as Map<string, EvaluationReads>
    expect(reads.get('i-late')!.units.length).toBe(2)
    expect([...reads.values()].every((x) => x.units.length >= 2 && x.units.reduce((a, u) => a + u.units, 0) > 100 && x.misrouting.misrouted > 0)).toBe(true)
  })
})
