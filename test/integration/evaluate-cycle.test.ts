import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/adapters/clock/manual-clock.js'
import { buildServer } from '../../src/api/server.js'
import { loadConfig } from '../../src/config.js'
import { createRuntime, embeddedPorts, type Runtime } from '../../src/services/runtime.js'
import { postJson, specBody, T0 } from '../support/embedded.js'
import { rmSync } from 'node:fs'

/**
 * The evaluate-cycle job in a whole embedded runtime on a manual clock: per-experiment schedules
 * left by an older version are removed on start, each experiment keeps its own cadence, and the
 * experiments due at one tick are read in one batch and their verdicts stored in one insert.
 */
const MIN = 60_000
const dataDir = mkdtempSync(join(tmpdir(), 'runway-evaluate-cycle-'))
const clock = new ManualClock(T0)
let runtime: Runtime
let baseUrl = ''
let close: () => Promise<void>
const selects: Array<{ at: number; sql: string }> = []
const inserts: Array<{ at: number; table: string; rows: number }> = []

beforeAll(async () => {
  const config = loadConfig({}, { dataDir, scheduleIntervalMs: MIN, logLevel: 'silent' })
  const log = pino({ level: 'silent' })
  const ports = await embeddedPorts(config, log, clock)
  // What an upgraded deployment still holds: one schedule per running experiment.
  await ports.jobs.upsertSchedule('evaluate-exp-old', 'evaluate-experiment', 15 * MIN, { experimentId: 'exp-old' })
  const { warehouse } = ports
  const select = warehouse.select.bind(warehouse)
  const insert = warehouse.insert.bind(warehouse)
  warehouse.select = (async (sql: string, params?: never) => { selects.push({ at: clock.now(), sql }); return select(sql, params) }) as typeof warehouse.select
  warehouse.insert = (async (table: never, rows: never[], opts?: never) => { inserts.push({ at: clock.now(), table, rows: rows.length }); return insert(table, rows, opts) }) as typeof warehouse.insert
  runtime = createRuntime(config, ports, log)
  await runtime.start()
  const app = buildServer(runtime)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  close = async () => { await app.close(); await runtime.stop() }
  for (const [id, layer, interval] of [['exp-a', 'layer-a', '15m'], ['exp-b', 'layer-b', '10m']] as const) {
    const res = await postJson(baseUrl, '/v1/experiments', specBody({ id, layer, evaluation: { interval, staleAfter: '1h', minUnits: 20 } }))
    expect(res.status, JSON.stringify(res.body)).toBe(201)
  }
  // The scheduler starts both at its first tick, T0 + 1m.
  await clock.advanceTo(T0 + MIN)
  expect((await runtime.state.get('exp-a'))?.state).toBe('running')
  expect((await runtime.state.get('exp-b'))?.state).toBe('running')
  await clock.advanceTo(T0 + 61 * MIN)
})

afterAll(async () => {
  await close?.()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('evaluate-cycle job', () => {
  it('replaces the per-experiment schedules with one cycle schedule', async () => {
    const schedules = await runtime.jobs.listSchedules()
    expect(schedules).toContain('evaluate-cycle')
    expect(schedules.filter((s) => s.startsWith('evaluate-') && s !== 'evaluate-cycle')).toEqual([])
  })

  it('evaluates each experiment at its own interval from its start', async () => {
    const rows = await runtime.warehouse.select<{ experiment_id: string; ms: string; seq: string }>(
      "SELECT experiment_id, toString(toUnixTimestamp64Milli(evaluated_at)) AS ms, toString(seq) AS seq FROM verdicts ORDER BY experiment_id, seq")
    const minutes = (id: string) => rows.filter((r) => r.experiment_id === id).map((r) => (Number(r.ms) - T0) / MIN)
    expect(minutes('exp-a')).toEqual([16, 31, 46, 61])
    expect(minutes('exp-b')).toEqual([11, 21, 31, 41, 51, 61])
    expect(rows.filter((r) => r.experiment_id === 'exp-a').map((r) => Number(r.seq))).toEqual([1, 2, 3, 4])
  })

  it('reads the experiments due at one tick together and stores their verdicts in one insert', () => {
    const at = T0 + 31 * MIN
    const queries = selects.filter((s) => s.at === at)
    // Both were evaluated here before: no look at the verdicts table, only the batch and the flags: not 2 × 5.
    expect(queries.filter((q) => q.sql.includes('newest verdict'))).toHaveLength(0)
    // A fixed number per cycle whatever the number of experiments: the metric kinds' passes, units,
    // misrouting (held and recent window), dead letters, flags, and with incremental reads (the
    // default) the late-visibility count check and the in-grace last-event read.
    expect(queries.length).toBeLessThanOrEqual(12)
    expect(inserts.filter((i) => i.at === at && i.table === 'verdicts')).toEqual([{ at, table: 'verdicts', rows: 2 }])
  })

  it('keeps the evaluation-lag metric fed', async () => {
    const text = await runtime.metrics.registry.metrics()
    const lag = /^runway_evaluation_lag_seconds (\S+)$/m.exec(text)?.[1]
    expect(Number(lag)).toBe(0)
  })
})
