import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { decide } from '../../src/decide/decide.js'
import type { MetricMoments, VariantUnits } from '../../src/decide/evidence.js'
import { DEFAULT_MISROUTING_WINDOW_MS, type MisroutingEvidence } from '../../src/decide/misrouting.js'
import { assign } from '../../src/domain/assignment.js'
import { assignmentSqlParams } from '../../src/domain/assignment-sql.js'
import { controlOf, metricsOf, type ExperimentSpecInput } from '../../src/domain/experiment.js'
import type { ExperimentRecord } from '../../src/domain/experiment-record.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { readEvaluationBatch, type EvaluationReads } from '../../src/services/evaluate-batch.js'
import { readMetricEvidence } from '../../src/services/metric-evidence.js'
import { migrate } from '../../src/services/migrate.js'
import { sqlQuery } from '../../src/sql-files.js'
import { HOUR, T0, runningRecord, specFixture } from '../support/fixtures.js'

/**
 * The per-cycle batch reader for all experiments against reads of one experiment at a time
 * (variant-units.sql and misrouting-summary.sql, which the UI still shows; readMetricEvidence per
 * metric, which runs the batch queries with a single spec; the dead letters with the experiment
 * alone), on experiments of different shapes in one warehouse: the inputs must be equal, and so
 * must decide(). The metric queries are checked against raw events in slis-stats.test.ts, the
 * unknown-variant counts against the inserted dead letters below.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-evaluate-batch-'))
const warehouse = embeddedWarehouse(dir)
const NOW = T0 + 8 * HOUR
let seed = 11
const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648)

const v = (...names: string[]) => names.map((name) => ({ name, weight: 100 / names.length }))
const full = { steps: [{ exposure: 100, minDuration: '1h' }] }
const specs: Array<Partial<ExperimentSpecInput>> = [
  { id: 'two-mean', variants: v('control', 'treatment'), rollout: full,
    metrics: { primary: { name: 'revenue', direction: 'increase' }, guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease' }, { name: 'latency_ms', direction: 'decrease', slo: { max: 300, objective: 0.99 } }] } },
  { id: 'three-ratio', variants: v('control', 'b', 'c'), rollout: full,
    metrics: { primary: { name: 'rps', type: 'ratio', numerator: 'revenue', denominator: 'sessions', direction: 'increase' }, guardrails: [{ name: 'p95', type: 'quantile', quantile: 0.95, source: 'latency_ms', direction: 'decrease', slo: { max: 250 } }], secondary: [{ name: 'sessions', type: 'count', direction: 'increase' }] } },
  { id: 'four-cuped', variants: v('control', 'b', 'c', 'd'), rollout: full,
    metrics: { primary: { name: 'revenue', direction: 'increase', covariate: { prePeriod: '3d' } }, guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease' }], secondary: [{ name: 'revenue_sum', source: 'revenue', aggregation: 'sum', direction: 'increase' }] } },
  { id: 'unknown-variant', variants: v('control', 'treatment'), rollout: full,
    metrics: { primary: { name: 'conversion', type: 'proportion', direction: 'increase' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }] } },
  { id: 'no-data', variants: v('control', 'treatment', 'c'), rollout: full, metrics: { primary: { name: 'conversion', direction: 'increase' }, guardrails: [] } },
]
const records: ExperimentRecord[] = specs.map((s) => runningRecord(specFixture(s), { startedAt: T0 }))

beforeAll(async () => {
  await migrate(warehouse)
  const events: Array<Record<string, unknown>> = []
  const push = (experiment: string, variant: string, unit: string, metric: string, ts: number, value: number) =>
    events.push({ event_id: `e${events.length}`, ts: toWarehouseTime(ts), experiment_id: experiment, variant, unit_id: unit, service: 'svc', metric, value, attributes: {}, received_at: toWarehouseTime(NOW) })
  for (const r of records.slice(0, 4)) {
    const s = r.spec
    for (let u = 0; u < 300; u++) {
      const unit = `u${u}`
      const a = assign({ experimentId: s.id, namespace: s.namespace, layer: s.layer, allocation: r.allocation, exposurePercent: 100, variants: s.variants, unitId: unit })
      if (!a.exposed) continue
      // four-cuped: 4% of units logged under another variant than the gate's (misrouted, recently for half).
      const variant = s.id === 'four-cuped' && u % 25 === 0 ? s.variants[(s.variants.findIndex((x) => x.name === a.variant) + 1) % 4]!.name : a.variant
      const at = T0 + Math.floor(rnd() * 7.5 * HOUR)
      const skill = rnd() * 10
      push('baseline', 'x', unit, 'revenue', at - Math.floor(rnd() * 4 * 86_400_000) - 1, skill)
      push(s.id, variant, unit, 'sessions', at, 1 + Math.floor(rnd() * 3))
      for (let k = 0, n = 1 + Math.floor(rnd() * 3); k < n; k++) {
        const ts = Math.min(NOW, at + 1 + Math.floor(rnd() * HOUR))
        push(s.id, variant, unit, 'revenue', ts, skill + rnd() * 3 + (variant === 'control' ? 0 : 0.4))
        push(s.id, variant, unit, 'latency_ms', ts, Math.round(50 + 400 * rnd() ** 3))
        push(s.id, variant, unit, 'error_rate', ts, rnd() < 0.03 ? 1 : 0)
        if (u % 3 === 0) push(s.id, variant, unit, 'conversion', ts, rnd() < 0.3 ? 1 : 0)
      }
    }
  }
  // Two batches so unit_metrics holds unmerged parts, as after real ingest.
  const half = Math.floor(events.length / 2)
  await warehouse.insert('events', events.slice(0, half))
  await warehouse.insert('events', events.slice(half))
  await warehouse.insert('dead_letters', [0, 1, 2, 3].map((i) => ({
    received_at: toWarehouseTime(NOW), source: 'http', batch_id: 'b1', line: i, experiment_id: 'unknown-variant',
    raw: JSON.stringify({ unitId: `z${i % 3}`, variant: i % 2 ? 'ghost' : 'phantom' }), reason: `line ${i}: experiment "unknown-variant" has no variant "ghost" (has control, treatment)`,
  })))
})

afterAll(async () => {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
})

/** One experiment's reads, query by query, with no other experiment in any query. */
async function perExperiment(record: ExperimentRecord): Promise<EvaluationReads> {
  const experiment = record.spec.id
  type UnitsRow = { variant: string; units: number | string; events: number | string; last_event_ms: number | string | null }
  const units: VariantUnits[] = (await warehouse.select<UnitsRow>(sqlQuery('variant-units'), { experiment })).map((r) => ({
    variant: r.variant, units: Number(r.units), events: Number(r.events), lastEventMs: r.last_event_ms === null ? null : Number(r.last_event_ms),
  }))
  const metrics: MetricMoments[] = []
  for (const { metric } of metricsOf(record.spec)) metrics.push(await readMetricEvidence(warehouse, { experiment, metric, control: controlOf(record.spec), now: NOW }))
  const params = assignmentSqlParams({ ...record.spec, allocation: record.allocation, exposure: record.spec.rollout.steps[record.step]?.exposure ?? 0 })
  type Row = { units: number | string; misrouted: number | string; recent_units: number | string; recent_misrouted: number | string }
  const rows = await warehouse.select<Row>(sqlQuery('misrouting-summary'), { experiment, since: toWarehouseTime(NOW - DEFAULT_MISROUTING_WINDOW_MS), ...params } as never)
  const unknown = await warehouse.select<{ units: number | string; recent_units: number | string; events: number | string; variants: string[] }>(sqlQuery('unknown-variant-dead-letters-batch'), { experiments: [experiment], since: toWarehouseTime(NOW - DEFAULT_MISROUTING_WINDOW_MS) } as never)
  const misrouting: MisroutingEvidence = {
    units: Number(rows[0]?.units ?? 0), misrouted: Number(rows[0]?.misrouted ?? 0),
    unknownVariant: { units: Number(unknown[0]?.units ?? 0), recentUnits: Number(unknown[0]?.recent_units ?? 0), events: Number(unknown[0]?.events ?? 0), variants: unknown[0]?.variants ?? [] },
    recent: { units: Number(rows[0]?.recent_units ?? 0), misrouted: Number(rows[0]?.recent_misrouted ?? 0), windowMs: DEFAULT_MISROUTING_WINDOW_MS },
  }
  return { units, metrics, misrouting }
}

/**
 * Where two values differ: keys, strings, booleans, integers and the structure exactly; other
 * numbers to 1e-12 relative. Float sums differ in the last bits only because the batch queries
 * add the same per-unit values in another order (after a join), not because they read other rows.
 */
function differences(a: unknown, b: unknown, path = '$'): string[] {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isInteger(a) && Number.isInteger(b) && Math.abs(a) < 2 ** 40) return a === b ? [] : [`${path}: ${a} ≠ ${b}`]
    return a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)) ? [] : [`${path}: ${a} ≠ ${b}`]
  }
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b) ? [] : [`${path}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`]
  if (Array.isArray(a) !== Array.isArray(b)) return [`${path}: array vs object`]
  const ka = Object.keys(a).sort(), kb = Object.keys(b).sort()
  if (ka.join() !== kb.join()) return [`${path}: keys ${ka.join()} ≠ ${kb.join()}`]
  return ka.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`))
}

it('the comparison fails on a real difference', () => {
  expect(differences({ n: 3, s: 1.5 }, { n: 3, s: 1.5 + 1e-15 })).toEqual([])
  expect(differences({ n: 3 }, { n: 4 })).toHaveLength(1)
  expect(differences({ s: 1.5 }, { s: 1.5001 })).toHaveLength(1)
  expect(differences({ a: { x: 1 } }, { a: { y: 1 } })).toHaveLength(1)
})

describe('per-cycle batch reads equal the per-experiment reads', () => {
  let batch: Map<string, EvaluationReads>
  beforeAll(async () => { batch = await readEvaluationBatch(warehouse, records, { now: NOW }) })

  it('the data covers every shape: variants 2–4, each metric kind, misrouting, unknown variants, an empty experiment', () => {
    expect(batch.size).toBe(records.length)
    const four = batch.get('four-cuped')!
    expect(four.units.map((u) => u.variant)).toEqual(['b', 'c', 'control', 'd'])
    expect(four.misrouting.misrouted).toBeGreaterThan(0)
    expect(four.metrics[0]!.cuped).toBeDefined()
    const three = batch.get('three-ratio')!
    expect(three.metrics.map((m) => m.type)).toEqual(['ratio', 'quantile', 'count'])
    expect(Object.keys(three.metrics[1]!.quantile!.byVariant)).toHaveLength(3)
    expect(three.metrics[1]!.slo!.byVariant.b!['6h'].total).toBeGreaterThan(0)
    // dead-lettered at NOW: inside the recent window as well
    expect(batch.get('unknown-variant')!.misrouting.unknownVariant).toEqual({ units: 3, recentUnits: 3, events: 4, variants: ['ghost', 'phantom'] })
    expect(batch.get('no-data')!.units).toEqual([])
  })

  for (const r of records) {
    it(`${r.spec.id}: units, metric evidence and misrouting deep-equal, and decide() gives the same outcome`, async () => {
      const oracle = await perExperiment(r)
      const got = batch.get(r.spec.id)!
      expect(differences(got, oracle)).toEqual([])
      const [a, b] = [decide({ record: r, now: NOW, ...got }), decide({ record: r, now: NOW, ...oracle })]
      expect({ decision: a.decision, codes: a.reasons.map((x) => x.code), needsApproval: a.needsApproval })
        .toEqual({ decision: b.decision, codes: b.reasons.map((x) => x.code), needsApproval: b.needsApproval })
      expect(differences(a, b)).toEqual([])
    })
  }
})
