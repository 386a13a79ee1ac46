import { ManualClock } from '../../src/adapters/clock/manual-clock.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { type ClickHouseWarehouse, embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { scrubAttributes } from '../../src/domain/pii.js'
import { BUILTIN_RULES } from '../../src/domain/policy-config.js'
import { TelemetryEventSchema, toEventRow } from '../../src/domain/telemetry.js'
import { scanLine } from '../../src/domain/telemetry-scan.js'
import { IngestService } from '../../src/services/ingest.js'
import { migrate } from '../../src/services/migrate.js'
import { runningRecord, specFixture } from '../support/fixtures.js'
import { prng } from '../support/random-scenario.js'

/**
 * Issue 16: ingest hands accepted lines to the engine as they came (events_in and its view,
 * sql/migrations/0023_events_in.sql) instead of writing each row with JSON.stringify. The
 * oracle is the row the schema and the PII rules give in JS (TelemetryEventSchema, toEventRow,
 * scrubAttributes), written the old way (Warehouse.insert of row objects) into a second
 * experiment: every stored column must match, line for line, for verbatim and rewritten lines alike.
 */
const NOW = Date.UTC(2026, 0, 5, 12)
const clock = new ManualClock(NOW)
let dir: string
let warehouse: ClickHouseWarehouse

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runway-events-in-'))
  warehouse = embeddedWarehouse(dir)
  await migrate(warehouse)
})
afterAll(async () => {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
})

const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!

const VALUES = ['0.5', '1', '0', '-0', '1.0', '0.50', '5e-1', '1e21', '1e-7', '123456789.123', '0.1428571428571428', '0.14285714285714285', '-3.25', '2.5E+3']
const TS = [String(NOW - 60_000), `"2026-01-05T10:00:00.000Z"`, `"2026-01-05T11:30:00+05:30"`, `"2026-01-05T10:00:00.123456789Z"`, String(NOW - 1), '1.7672256e12']
const ATTR = ['"eu"', '"a@b.io"', '"call +49 30 1234567"', '"10.0.0.1"', '3', '3.0', '-1.5', '1e3', 'true', 'false', '"é ü"', '"emoji \ud83d\ude00"', '"quote \\" inside"', '"tab\\u0041"', '""']
const UNITS = ['"u-1"', '"u\\u002d2"', '"ü-3"', '"u 4"']

function line(r: () => number, experimentId: string, i: number): string {
  const f: string[] = [`"eventId":"e-${i}"`, `"ts":${pick(r, TS)}`, `"experimentId":"${experimentId}"`, `"variant":"${r() < 0.5 ? 'control' : 'treatment'}"`, `"unitId":${pick(r, UNITS)}`]
  if (r() < 0.7) f.push(`"service":"${r() < 0.5 ? 'checkout' : 'svc.b'}"`)
  f.push(`"metric":"conversion"`)
  f.push(r() < 0.3 ? `"outcome":${r() < 0.5}` : `"value":${pick(r, VALUES)}`)
  if (r() < 0.8) {
    const keys = ['region', 'email', 'note', 'n', 'Flag', 'ip']
    const attrs = keys.filter(() => r() < 0.5).map((k) => `"${k}":${pick(r, ATTR)}`)
    f.push(`"attributes":{${attrs.join(r() < 0.2 ? ' , ' : ',')}}`)
  }
  // Other key orders and whitespace, as other senders write them.
  if (r() < 0.3) f.reverse()
  return r() < 0.2 ? ` { ${f.join(', ')} } ` : `{${f.join(',')}}`
}

type Stored = { event_id: string; ts: string; variant: string; unit_id: string; service: string; metric: string; value: number; attributes: Record<string, string>; received_at: string }
const read = (x: string) =>
  warehouse.select<Stored>('SELECT event_id, toString(ts) AS ts, variant, unit_id, service, metric, value, attributes, toString(received_at) AS received_at FROM events WHERE experiment_id = {x:String} ORDER BY event_id', { x })

describe('ingest through events_in', () => {
  it('stores exactly the rows the old path stores, for verbatim and rewritten lines', async () => {
    const state = new MemoryStateStore()
    for (const id of ['ein-a', 'ein-b']) await state.put(runningRecord(specFixture({ id })), null)
    const ingest = new IngestService({ warehouse, state, clock, log: pino({ level: 'silent' }), limits: { maxBytes: 1e9, maxEvents: 1e9 } })
    const r = prng(7)
    const lines = Array.from({ length: 600 }, (_, i) => line(r, 'ein-a', i))
    const result = await ingest.ingestLines(lines.map((raw, i) => ({ line: i, raw })), { source: 'test', dedupToken: 'events-in-a' })
    // The oracle: the schema's event, its row, the default PII rules, written as row objects.
    const expected = lines.map((raw) => {
      const e = TelemetryEventSchema.parse({ ...JSON.parse(raw), experimentId: 'ein-b' })
      const row = toEventRow(e, NOW)
      return { ...row, attributes: scrubAttributes(row.attributes, BUILTIN_RULES.data).attributes }
    })
    await warehouse.insert('events', expected, { dedupToken: 'events-in-b' })
    expect(result.accepted).toBe(600)
    expect(result.rejections).toEqual([])
    const verbatim = lines.filter((l) => scanLine(l)?.verbatim).length
    const rewritten = 600 - verbatim
    // Both kinds of line are in the batch.
    expect(verbatim).toBeGreaterThan(50)
    expect(rewritten).toBeGreaterThan(50)
    const got = await read('ein-a')
    const want = await read('ein-b')
    expect(got).toHaveLength(600)
    expect(got).toEqual(want)
    // Masking happened on this path (the email, phone and IP values).
    expect(result.masked).toBeGreaterThan(0)
    expect(got.some((row) => Object.values(row.attributes).some((v) => v.includes('[email]')))).toBe(true)
    // The same batch again is stored once (the token reaches events through the view).
    await ingest.ingestLines(lines.map((raw, i) => ({ line: i, raw })), { source: 'test', dedupToken: 'events-in-a' })
    expect(await read('ein-a')).toHaveLength(600)
  })
})
