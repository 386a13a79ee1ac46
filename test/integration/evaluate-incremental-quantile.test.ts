import { describe, expect, it } from 'vitest'
import type { ExperimentSpecInput } from '../../src/domain/experiment.js'
import type { ExperimentRecord } from '../../src/domain/experiment-record.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { readEvaluationBatch } from '../../src/services/evaluate-batch.js'
import { IncrementalEvaluationReader } from '../../src/services/evaluate-incremental.js'
import { HOUR, MINUTE, T0, runningRecord, specFixture } from '../support/fixtures.js'
import { migratedWarehouse } from '../support/migrated-warehouse.js'
import { prng } from '../support/random-scenario.js'

/**
 * The held quantile arms (evaluate-incremental-quantile.ts) against a full read of
 * quantile-stats-batch.sql (readEvaluationBatch, no held state) after each round: units gaining
 * values (the order statistic and every unit's below-q count move), new units, units switching
 * variant (values in two arms), integer latencies (ties within and across units), two levels of one
 * source, a second experiment, and in-flight values (received within the grace) that wait a cycle.
 */
const wh = migratedWarehouse('runway-evaluate-incremental-quantile-')
const GRACE = 2_000
const v = (...names: string[]) => names.map((name) => ({ name, weight: 100 / names.length }))
const full = { steps: [{ exposure: 100, minDuration: '1h' }] }
const quantiles = [{ name: 'p50', type: 'quantile' as const, quantile: 0.5, source: 'latency_ms', direction: 'decrease' as const }, { name: 'p95', type: 'quantile' as const, quantile: 0.95, source: 'latency_ms', direction: 'decrease' as const }]
const specs: Array<Partial<ExperimentSpecInput>> = [
  { id: 'q-three', variants: v('control', 'b', 'c'), rollout: full, metrics: { primary: { name: 'revenue', direction: 'increase' }, guardrails: quantiles } },
  { id: 'q-two', variants: v('control', 'treatment'), rollout: full, metrics: { primary: { name: 'revenue', direction: 'increase' }, guardrails: [quantiles[1]!] } },
]
const records: ExperimentRecord[] = specs.map((s) => runningRecord(specFixture(s), { startedAt: T0 }))
const ROUNDS = 5
const roundEnd = (r: number) => T0 + 6 * HOUR + r * 10 * MINUTE
const rnd = prng(20_261_205)

function roundEvents(r: number): { events: Array<Record<string, unknown>>; inflight: Array<Record<string, unknown>> } {
  const events: Array<Record<string, unknown>> = []
  const inflight: Array<Record<string, unknown>> = []
  const lo = roundEnd(r - 1)
  const hi = roundEnd(r)
  const push = (to: typeof events, experiment: string, variant: string, unit: string, metric: string, value: number, receivedAt: number) =>
    to.push({ event_id: `q${r}-${to === inflight ? 'f' : 'e'}${to.length}`, ts: toWarehouseTime(hi - Math.floor(rnd() * 5 * HOUR)), experiment_id: experiment, variant, unit_id: unit, service: 'svc', metric, value, attributes: {}, received_at: toWarehouseTime(receivedAt) })
  for (const rec of records) {
    const s = rec.spec
    // Round 1: units u0…u39; later rounds: some of them gain values, and u40+ are new units.
    for (let u = 0; u < 40 + 6 * (r - 1); u++) {
      if (r > 1 && u < 40 && rnd() < 0.6) continue
      const k = u % s.variants.length
      // From round 3, every 7th unit's new values are logged under the next variant: it is in two arms.
      const variant = s.variants[u % 7 === 0 && r >= 3 ? (k + 1) % s.variants.length : k]!.name
      const latency = () => 50 + 10 * Math.floor(rnd() * 20) + (u % 3 === 0 ? 200 : 0)
      for (let i = 0; i < 1 + Math.floor(rnd() * 3); i++) push(events, s.id, variant, `u${u}`, 'latency_ms', latency(), lo + 1 + Math.floor(rnd() * (hi - lo)))
      push(events, s.id, variant, `u${u}`, 'revenue', rnd() * 10, lo + 1 + Math.floor(rnd() * (hi - lo)))
      if (u % 5 === 0) push(inflight, s.id, variant, `u${u}`, 'latency_ms', 900 + latency(), hi + 1 + Math.floor(rnd() * (GRACE - 1)))
    }
  }
  return { events, inflight }
}

describe('incremental quantile arms against a full read', () => {
  it('after every round: the same order statistics and below-q sums; increments (not the batch text) after the first', { timeout: 120_000 }, async () => {
    const warehouse = wh()
    const reader = new IncrementalEvaluationReader(warehouse, { graceMs: GRACE, rebaseMs: 30 * 24 * HOUR })
    let previous = ''
    for (let r = 1; r <= ROUNDS; r++) {
      const { events, inflight } = roundEvents(r)
      await warehouse.insert('events', events.slice(0, events.length >> 1))
      await warehouse.insert('events', events.slice(events.length >> 1))
      const now = roundEnd(r) + GRACE
      // The oracle reads before the in-flight values are visible: the held arms are as of now − grace.
      const expected = await readEvaluationBatch(warehouse, records, { now })
      await warehouse.insert('events', inflight)
      const queries: string[] = []
      const got = await reader.read(records, { now, onQuery: (name) => queries.push(name) })
      const quantileOf = (reads: typeof got) => records.map((x) => reads.get(x.spec.id)!.metrics.filter((m) => m.quantile).map((m) => m.quantile))
      expect(quantileOf(got)).toEqual(quantileOf(expected))
      // Three quantile specs, each with all its arms: the comparison above is not of empty evidence.
      expect(quantileOf(expected).flat().map((q) => Object.keys(q!.byVariant).length)).toEqual([3, 3, 2])
      expect(queries).not.toContain('quantile-stats-batch')
      expect(queries).toContain(r === 1 ? 'quantile-stats-base' : 'quantile-stats-incremental')
      // Something moved each round (the order statistics or the below-q sums): otherwise nothing is proven.
      const now_ = JSON.stringify(quantileOf(got))
      expect(now_).not.toBe(previous)
      previous = now_
    }
    // The units that switched variant are in two arms: each arm counts them (3 arms of q-three hold 40+ units together).
    const final = await readEvaluationBatch(warehouse, records, { now: roundEnd(ROUNDS) + GRACE })
    const arms = final.get('q-three')!.metrics.find((m) => m.quantile)!.quantile!.byVariant
    expect(Object.values(arms).reduce((n, a) => n + a.units, 0)).toBeGreaterThan(40 + 6 * (ROUNDS - 1))
  })
})
