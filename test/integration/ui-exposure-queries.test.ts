import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { assign } from '../../src/domain/assignment.js'
import { assignmentSqlParams } from '../../src/domain/assignment-sql.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { migrate } from '../../src/services/migrate.js'
import { sqlQuery } from '../../src/sql-files.js'

/**
 * The experiment view's exposure route reads events grouped like the unit_agg projection
 * (ui-exposures.sql, ui-event-span.sql, ui-misrouting.sql) instead of the unit_metrics view
 * and the evaluation's misrouting join. The oracle is the previous queries, kept here as
 * they were, and misrouting-summary.sql (the evaluation's) on the same seeded events.
 */
const OLD_EXPOSURES = `
SELECT intDiv(toUnixTimestamp64Milli(first_seen), {bucket_ms:Int64}) * {bucket_ms:Int64} AS t_ms, variant, toUInt64(count()) AS units
FROM (SELECT variant, unit_id, min(first_ts) AS first_seen FROM unit_metrics WHERE experiment_id = {experiment:String} GROUP BY variant, unit_id)
GROUP BY t_ms, variant ORDER BY t_ms, variant`
const OLD_SPAN = `SELECT toUnixTimestamp64Milli(min(first_ts)) AS first_ms, toUnixTimestamp64Milli(max(last_ts)) AS last_ms FROM unit_metrics WHERE experiment_id = {experiment:String}`

const dir = mkdtempSync(join(tmpdir(), 'runway-ui-exposures-'))
const warehouse = embeddedWarehouse(dir)
const T0 = Date.parse('2026-04-01T00:00:00Z')
const spec = { id: 'exp-a', namespace: 'default', layer: 'checkout', variants: [{ name: 'control', weight: 30 }, { name: 'treatment', weight: 50 }, { name: 'big', weight: 20 }] }
const allocation = { start: 1200, size: 6000 }
/** (unit, variant) pairs logged for exp-a, counted as the events are made. */
const pairs = new Set<string>()

/** A seeded generator: the same events on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 4_294_967_296)
}

beforeAll(async () => {
  await migrate(warehouse)
  const random = lcg(5)
  const rows: Array<Record<string, unknown>> = []
  let n = 0
  const event = (experiment: string, unit: string, variant: string, metric: string, ts: number) => {
    if (experiment === spec.id) pairs.add(`${unit}|${variant}`)
    rows.push({ event_id: `e${n++}`, ts: toWarehouseTime(ts), experiment_id: experiment, variant, unit_id: unit, service: 's', metric, value: random() < 0.2 ? 1 : 0, attributes: {}, received_at: toWarehouseTime(ts) })
  }
  for (let u = 0; u < 3000; u++) {
    const unit = `user-${u}`
    const gate = assign({ ...spec, experimentId: spec.id, allocation, exposurePercent: 60, unitId: unit })
    // Units outside the exposure are logged too (a misrouted SDK), some under a second variant.
    const variant = gate.exposed ? gate.variant : spec.variants[u % 3]!.name
    const first = T0 + Math.floor(random() * 7 * 86_400_000)
    // Metrics start at different times: the unit's first event is the earliest over its metrics.
    event(spec.id, unit, variant, 'conversion', first + Math.floor(random() * 3_600_000))
    event(spec.id, unit, variant, 'latency', first)
    if (u % 11 === 0) event(spec.id, unit, 'treatment', 'conversion', first + 86_400_000 * (1 + (u % 5)))
    if (u % 13 === 0) event(spec.id, unit, variant, 'latency', first + 2 * 86_400_000)
    event('exp-b', unit, 'control', 'conversion', first - 86_400_000)
  }
  for (let i = 0; i < rows.length; i += 2000) await warehouse.insert('events', rows.slice(i, i + 2000))
}, 60_000)

afterAll(async () => {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the experiment view’s exposure queries answer as the queries they replace', () => {
  it('the event span', async () => {
    for (const experiment of ['exp-a', 'exp-b', 'missing']) {
      const now = await warehouse.select<Record<string, unknown>>(sqlQuery('ui-event-span'), { experiment })
      const old = await warehouse.select<Record<string, unknown>>(OLD_SPAN, { experiment })
      expect(now.map((r) => Object.values(r).map(Number))).toEqual(old.map((r) => Object.values(r).map(Number)))
    }
    const [a] = await warehouse.select<{ first_ms: string }>(sqlQuery('ui-event-span'), { experiment: 'exp-a' })
    expect(Number(a!.first_ms)).toBeGreaterThanOrEqual(T0)
  })

  it.each([60_000, 3_600_000, 21_600_000, 86_400_000])('units newly exposed per variant per %d ms bucket', async (bucketMs) => {
    const params = { experiment: 'exp-a', bucket_ms: bucketMs }
    const norm = (rows: Array<Record<string, unknown>>) => rows.map((r) => [Number(r.t_ms), r.variant, Number(r.units)])
    const now = norm(await warehouse.select(sqlQuery('ui-exposures'), params))
    const old = norm(await warehouse.select(OLD_EXPOSURES, params))
    expect(now.length).toBeGreaterThan(3)
    expect(now).toEqual(old)
    // Every (unit, variant) pair logged counts once, in one bucket.
    expect(now.reduce((s, r) => s + (r[2] as number), 0)).toBe(pairs.size)
  })

  it('logged and misrouted units, as the evaluation’s misrouting-summary.sql counts them since the start', async () => {
    for (const exposure of [60, 100, 10]) {
      const params = { experiment: 'exp-a', ...assignmentSqlParams({ ...spec, allocation, exposure }) }
      const [now] = await warehouse.select<{ units: string; misrouted: string }>(sqlQuery('ui-misrouting'), params as never)
      const [old] = await warehouse.select<{ units: string; misrouted: string }>(sqlQuery('misrouting-summary'), { ...params, since: toWarehouseTime(0) } as never)
      expect({ units: Number(now!.units), misrouted: Number(now!.misrouted) }).toEqual({ units: Number(old!.units), misrouted: Number(old!.misrouted) })
      expect(Number(now!.units)).toBe(3000)
      expect(Number(now!.misrouted)).toBeGreaterThan(0)
    }
  })
})
