import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import type { QueryParams } from '../../src/ports/warehouse.js'
import { migrate } from '../../src/services/migrate.js'
import { sqlQuery } from '../../src/sql-files.js'
import { HOUR, T0 } from '../support/fixtures.js'
import { prng } from '../support/random-scenario.js'

/**
 * Auto-resume reads a tick's paused experiments in three queries (telemetry-recent-batch,
 * upstream-services-batch, upstream-telemetry-batch) instead of two per experiment. The
 * per-experiment texts they replaced are kept verbatim in test/fixtures/sql-oracle/ and are the
 * oracle: on seeded random events (services shared by several experiments, one service only one
 * experiment sends, events before, around and after each pause, some experiments with no events,
 * pauses at random moments with their own staleAfter), every experiment's figures must be the same.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-auto-resume-oracle-'))
const warehouse = embeddedWarehouse(dir)
const ORACLE = join(import.meta.dirname, '../fixtures/sql-oracle')
const oracle = (name: string) => readFileSync(join(ORACLE, `${name}.sql`), 'utf8')
const select = <T>(sql: string, params: Record<string, unknown>) => warehouse.select<T>(sql, params as QueryParams)

const EXPERIMENTS = Array.from({ length: 9 }, (_, i) => `ar-${i}`)
const SERVICES = ['checkout', 'search', 'recs', 'lonely']
type Row = Record<string, number | string | string[]>

beforeAll(async () => {
  await migrate(warehouse)
  const rnd = prng(20_261_203)
  const events: Array<Record<string, unknown>> = []
  // ar-8 sends nothing; ar-7 only through 'lonely'; the rest through one or two shared services.
  EXPERIMENTS.slice(0, 8).forEach((experiment, i) => {
    const services = i === 7 ? ['lonely'] : [SERVICES[i % 3]!, ...(i % 2 === 0 ? [SERVICES[(i + 1) % 3]!] : [])]
    for (let k = 0; k < 300; k++) {
      // Gaps: no event of this experiment in its own 1 h window at a random place, as a fault would leave.
      const ts = T0 + Math.floor(rnd() * 12 * HOUR)
      if (Math.abs(ts - (T0 + (2 + i) * HOUR)) < HOUR / 2) continue
      events.push({
        event_id: `e${events.length}`, ts: toWarehouseTime(ts), experiment_id: experiment, variant: 'control', unit_id: `u${k}`,
        service: services[k % services.length], metric: 'm', value: 1, attributes: {}, received_at: toWarehouseTime(T0 + 12 * HOUR),
      })
    }
  })
  await warehouse.insert('events', events)
})
afterAll(async () => {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
})

it('the batched auto-resume reads equal the per-experiment queries they replaced, for every experiment', async () => {
  const rnd = prng(7)
  for (let round = 0; round < 4; round++) {
    const paused = EXPERIMENTS.filter(() => rnd() < 0.8)
    const since = paused.map(() => T0 + Math.floor(rnd() * 13 * HOUR))
    const from = since.map((s) => s - Math.floor((0.25 + rnd() * 3) * HOUR))

    const own = await select<Row>(sqlQuery('telemetry-recent-batch'), { experiments: paused, since_ms: since, min_since_ms: Math.min(...since) })
    const services = await select<Row>(sqlQuery('upstream-services-batch'), { experiments: paused, since_ms: since })
    const pairs = services.flatMap((r) => (r.services as string[]).map((s) => [r.experiment_id as string, s]))
    const up = await select<Row>(sqlQuery('upstream-telemetry-batch'), {
      experiments: paused, since_ms: since, from_ms: from, min_from_ms: Math.min(...from), pair_experiments: pairs.map((p) => p[0]), pair_services: pairs.map((p) => p[1]),
    })
    let withOwn = 0
    let withUpstream = 0
    for (const [i, experiment] of paused.entries()) {
      const params = { experiment, since: toWarehouseTime(since[i]!), from: toWarehouseTime(from[i]!) }
      const [old] = await warehouse.select<Row>(oracle('telemetry-recent'), { experiment, since: params.since })
      const mine = own.find((r) => r.experiment_id === experiment)
      const oldEvents = Number(old!.events)
      expect(Number(mine?.events ?? 0), `${experiment} round ${round}`).toBe(oldEvents)
      if (oldEvents > 0) {
        withOwn++
        expect([Number(mine!.first_event_ms), Number(mine!.last_event_ms)]).toEqual([Number(old!.first_event_ms), Number(old!.last_event_ms)])
      }
      const [oldUp] = await warehouse.select<Row>(oracle('upstream-telemetry'), params)
      const oldServices = typeof oldUp!.services === 'string' ? JSON.parse(oldUp!.services) : oldUp!.services
      expect(services.find((r) => r.experiment_id === experiment)?.services ?? [], `${experiment} services`).toEqual(oldServices)
      const u = up.find((r) => r.experiment_id === experiment)
      const n = (r: Row | undefined, k: string) => Number(r?.[k] ?? 0)
      expect([n(u, 'events_before'), n(u, 'events')], `${experiment} upstream counts`).toEqual([n(oldUp, 'events_before'), n(oldUp, 'events')])
      if (n(oldUp, 'events_before') > 0) expect(n(u, 'last_before_ms')).toBe(n(oldUp, 'last_before_ms'))
      if (n(oldUp, 'events') > 0) {
        withUpstream++
        expect([n(u, 'first_event_ms'), n(u, 'last_event_ms')]).toEqual([n(oldUp, 'first_event_ms'), n(oldUp, 'last_event_ms')])
      }
    }
    // The draw reaches both branches (not a comparison of empty results).
    expect(withOwn).toBeGreaterThan(0)
    expect(withUpstream).toBeGreaterThan(0)
  }
})
