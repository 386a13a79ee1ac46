import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { candidatePairs, sharedMetrics, type CandidatePair } from '../../src/domain/interference.js'
import type { ExperimentSpecInput } from '../../src/domain/experiment.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { arrayParam, cellParams } from '../../src/services/interference-read.js'
import { sqlQuery } from '../../src/sql-files.js'
import { T0, runningRecord, specFixture } from '../support/fixtures.js'
import { migratedWarehouse } from '../support/migrated-warehouse.js'
import { prng } from '../support/random-scenario.js'

/**
 * interference-cells.sql (one pass per unit, pairs expanded from group signatures) against the
 * text it replaced, kept verbatim in test/fixtures/sql-oracle/ as an independent oracle (a hash
 * join of A's unit rows to B's on (experiment, unit), through the unit_metrics view). Seeded
 * random data shaped to reach every branch: 7 experiments in 7 layers of one namespace (21
 * pairs) with 2–4 variants, units in only some experiments, several events per unit and metric,
 * units misrouted on a shared metric, on an unshared metric only, or in one metric's rows only,
 * a variant outside the spec, a summed and a mean metric (summed in A for some pairs only), a
 * metric only some experiments measure, and events of an experiment in no pair. Two runs: all
 * pairs (6 variant names with the ghost: signature groups of 2 experiments, the last one partial),
 * and the pairs of the five 2-variant experiments only (2 names: one group of 5). Rows must be the same set;
 * float sums may differ in the last bits only (summation order is the engine's).
 */
const warehouse = migratedWarehouse('runway-interference-cells-oracle-')
const ORACLE = readFileSync(join(import.meta.dirname, '../fixtures/sql-oracle/interference-cells.sql'), 'utf8')

const v = (...names: string[]) => names.map((name, i) => ({ name, weight: i === 0 ? 100 - Math.floor(100 / names.length) * (names.length - 1) : Math.floor(100 / names.length) }))
const m = (name: string, aggregation: 'mean' | 'sum' = 'mean') => ({ name, direction: 'increase' as const, aggregation })
const exp = (id: string, variants: string[], secondary: ReturnType<typeof m>[]): Partial<ExperimentSpecInput> => ({
  id, layer: `layer-${id}`, variants: v(...variants),
  metrics: { primary: m('latency'), guardrails: [{ name: 'error_rate', direction: 'decrease' }], secondary },
})
const specs = [
  exp('ic-a', ['control', 'treatment'], [m('revenue', 'sum')]),
  exp('ic-b', ['control', 'treatment'], [m('revenue')]),
  exp('ic-c', ['control', 'b', 'c'], [m('revenue', 'sum'), m('clicks')]),
  exp('ic-d', ['control', 'b', 'c', 'd'], [m('clicks')]),
  exp('ic-e', ['control', 'treatment'], []),
  exp('ic-f', ['control', 'treatment'], [m('revenue', 'sum')]),
  exp('ic-g', ['control', 'treatment'], [m('revenue')]),
]
const records = specs.map((s) => runningRecord(specFixture(s), { startedAt: T0 }))
const allPairs = candidatePairs(records)
const twoVariantPairs = allPairs.filter((p) => p.a.spec.variants.length === 2 && p.b.spec.variants.length === 2)

/** The previous query's parameters, built as interference-read.ts built them before. */
function oracleParams(pairs: readonly CandidatePair[]): Record<string, string> {
  const experiments = new Set<string>()
  const measures = new Map<string, [string, string]>()
  const sums = new Map<string, [string, string]>()
  const cells: Array<[string, string, string]> = []
  for (const p of pairs) {
    const [a, b] = [p.a.spec.id, p.b.spec.id]
    experiments.add(a).add(b)
    cells.push([a, b, ''])
    for (const x of sharedMetrics(p.a.spec, p.b.spec)) {
      measures.set(`${a}/${x.name}`, [a, x.name])
      if (x.aggregation === 'sum') sums.set(`${a}/${x.name}`, [a, x.name])
      cells.push([a, b, x.name])
    }
  }
  return { experiments: arrayParam([...experiments]), measures: arrayParam([...measures.values()]), sums: arrayParam([...sums.values()]), cells: arrayParam(cells) }
}

beforeAll(async () => {
  const rnd = prng(20_261_211)
  const events: Array<Record<string, unknown>> = []
  const push = (experiment: string, variant: string, unit: string, metric: string, value: number) =>
    events.push({ event_id: `e${events.length}`, ts: toWarehouseTime(T0 + Math.floor(rnd() * 3_600_000)), experiment_id: experiment, variant, unit_id: unit, service: 'svc', metric, value, attributes: {}, received_at: toWarehouseTime(T0) })
  for (let u = 0; u < 900; u++) {
    const unit = `u${u}`
    for (const s of [...specs, exp('ic-off', ['control', 'treatment'], [])]) {
      if (rnd() < 0.25) continue // units each experiment never saw
      const names = s.variants!.map((x) => x.name)
      const multi = names.length > 2 // the ghost variant only there, so the 2-variant run has 3 names
      const variant = multi && rnd() < 0.04 ? 'ghost' : names[Math.floor(rnd() * names.length)]!
      const other = names[(names.indexOf(variant) + 1) % names.length]! // (ghost → the first variant)
      const metrics = ['latency', 'error_rate', ...(s.metrics!.secondary ?? []).map((x) => x.name)]
      for (const metric of metrics) {
        for (let k = 0, n = 1 + Math.floor(rnd() * 3); k < n; k++) push(s.id!, variant, unit, metric, metric === 'error_rate' ? Number(rnd() < 0.1) : Math.round(rnd() * 5000) / 10)
      }
      const r = rnd()
      if (r < 0.03) push(s.id!, other, unit, 'latency', 100) // misrouted on a shared metric
      else if (r < 0.06) push(s.id!, other, unit, 'error_rate', 1) // misrouted on another metric only: still in latency's rows on A's side
      else if (r < 0.08) push(s.id!, other, unit, 'unshared', 1) // misrouted on a metric no pair shares
      else if (r < 0.1 && multi) push(s.id!, 'ghost', unit, 'latency', 50) // misrouted into a variant outside the spec
    }
  }
  const third = Math.floor(events.length / 3)
  for (const part of [events.slice(0, third), events.slice(third, 2 * third), events.slice(2 * third)]) await warehouse().insert('events', part)
}, 120_000)

type Row = Record<string, unknown>
const KEY = ['experiment_a', 'experiment_b', 'metric', 'variant_a', 'variant_b'] as const
const keyOf = (r: Row) => JSON.stringify(KEY.map((k) => r[k]))
/** Same keys, the same n; sums within 1e-9 relative (the order of float additions is the engine's). */
function expectSameRows(fresh: Row[], oracle: Row[]) {
  const want = new Map(oracle.map((r) => [keyOf(r), r]))
  expect(fresh.map(keyOf).sort()).toEqual([...want.keys()].sort())
  for (const r of fresh) {
    const o = want.get(keyOf(r))!
    expect(Number(r.n), keyOf(r)).toBe(Number(o.n))
    for (const k of ['sum', 'sum_squares']) {
      expect(Math.abs(Number(r[k]) - Number(o[k])), `${keyOf(r)} ${k}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(Number(o[k]))))
    }
  }
}

describe('interference-cells.sql against the previous SQL text (oracle)', () => {
  for (const [name, pairs] of [['all 21 pairs (2–4 variants, a ghost variant)', allPairs], ['the 2-variant experiments\' 10 pairs', twoVariantPairs]] as const) {
    it(`${name}: the same rows`, async () => {
      const fresh = await warehouse().select<Row>(sqlQuery('interference-cells'), cellParams(pairs))
      const oracle = await warehouse().select<Row>(ORACLE, oracleParams(pairs))
      expect(oracle.length).toBeGreaterThan(0)
      expectSameRows(fresh, oracle)
    })
  }

  it('the data reaches the branches it is meant to', async () => {
    expect(allPairs).toHaveLength(21)
    expect(twoVariantPairs).toHaveLength(10)
    const rows = await warehouse().select<Row>(ORACLE, oracleParams(allPairs))
    // Every metric kind has cells: summed revenue (A = ic-a), mean revenue (A = ic-b), clicks (c × d).
    for (const [a, b, metric] of [['ic-a', 'ic-b', 'revenue'], ['ic-b', 'ic-c', 'revenue'], ['ic-c', 'ic-d', 'clicks'], ['ic-a', 'ic-g', 'latency']]) {
      expect(rows.some((r) => r.experiment_a === a && r.experiment_b === b && r.metric === metric && Number(r.n) > 0)).toBe(true)
    }
    // The ghost variant has rows; the cross-tab counts fewer units than latency's cells (misrouted on other metrics only).
    expect(rows.some((r) => r.variant_a === 'ghost' || r.variant_b === 'ghost')).toBe(true)
    const total = (metric: string) => rows.filter((r) => r.experiment_a === 'ic-a' && r.experiment_b === 'ic-b' && r.metric === metric).reduce((s, r) => s + Number(r.n), 0)
    expect(total('latency')).toBeGreaterThan(total(''))
    // Some units are left out as misrouted (fewer cross-tab units than units both saw).
    const both = await warehouse().select<{ n: string }>("SELECT toString(count()) AS n FROM (SELECT unit_id FROM events WHERE experiment_id IN ('ic-a', 'ic-b') GROUP BY unit_id HAVING uniqExact(experiment_id) = 2)")
    expect(total('')).toBeLessThan(Number(both[0]!.n))
  })
})
