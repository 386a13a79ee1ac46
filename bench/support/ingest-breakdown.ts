/**
 * Throwaway-grade diagnostic (issue 16 item 1, sixth pass): in ONE chDB process, the engine's own
 * insert against each single difference of ingest's insert, alternated per repetition (rotated order),
 * so load hits every variant alike. Prints per variant: ms per chunk (summed), ratio to `engine`
 * (summed engine ms / summed variant ms) and main-thread busy µs/event.
 *   npx tsx bench/support/ingest-breakdown.ts [--chunk 5000] [--reps 30] [--variants a,b]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { createChdbConnection } from 'chdb/connection'
import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { ClickHouseWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { createClient } from '@clickhouse/client'
import { newRecord } from '../../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../../src/domain/experiment.js'
import { type TelemetryEvent, toEventRow } from '../../src/domain/telemetry.js'
import { verbatimInputLine } from '../../src/domain/telemetry-scan.js'
import { IngestService } from '../../src/services/ingest.js'
import { migrate } from '../../src/services/migrate.js'

const { values: args } = parseArgs({ options: { chunk: { type: 'string', default: '5000' }, reps: { type: 'string', default: '30' }, variants: { type: 'string' } } })
const CHUNK = Number(args.chunk)
const REPS = Number(args.reps)
const dir = mkdtempSync(join(tmpdir(), 'runway-breakdown-'))
// As embeddedWarehouse builds it, keeping the connection so raw inserts can choose their settings
// (the adapter always sends its two). One connection, one data dir.
const raw = createChdbConnection({ path: dir })
const rawInsert = (table: string, values: string, settings: Record<string, string | number>) => raw.chdb.rawInsert({ table, values, format: 'JSONEachRow', settings })
const connection = raw as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection']
const warehouse = new ClickHouseWarehouse(createClient({ connection }), async (table, values, settings) => {
  await raw.chdb.rawInsert({ table, values, format: 'JSONEachRow', settings })
})
await migrate(warehouse)
// Diagnostic tables (this data dir only): events' columns without projections, with and without the dedup window.
const COLS = `(event_id String, ts DateTime64(3, 'UTC'), experiment_id LowCardinality(String), variant LowCardinality(String), unit_id String, service LowCardinality(String), metric LowCardinality(String), value Float64, attributes Map(String, String), received_at DateTime64(3, 'UTC'), batch_token String DEFAULT '')`
await warehouse.command(`CREATE TABLE diag_plain ${COLS} ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (experiment_id, metric, variant, unit_id, ts) SETTINGS non_replicated_deduplication_window = 10000`)
await warehouse.command(`CREATE TABLE diag_null ${COLS} ENGINE = Null`)
await warehouse.command(`CREATE TABLE diag_nowindow ${COLS} ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (experiment_id, metric, variant, unit_id, ts)`)

const spec = (id: string) =>
  ExperimentSpecSchema.parse({
    id, owner: 'bench', hypothesis: 'throughput', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
    rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics: { primary: { name: 'conversion', direction: 'increase' } },
  })
const state = new MemoryStateStore()
const ingest = new IngestService({ warehouse, state, clock: new SystemClock(), log: pino({ level: 'error' }), limits: { maxBytes: 1e12, maxEvents: 1e9 } })
const ts = Date.now() - 60_000
let seq = 0
const events = (experimentId: string): TelemetryEvent[] => {
  const base = seq
  seq += CHUNK
  return Array.from({ length: CHUNK }, (_, j) => {
    const i = base + j
    return { eventId: `${experimentId}-${i}`, ts, experimentId, variant: i % 2 ? 'treatment' : 'control', unitId: `u-${i % 10_007}`, service: 'checkout', metric: 'conversion', value: (i % 7) / 7, attributes: { region: i % 3 ? 'eu' : 'us' } }
  })
}
const tag = Math.random().toString(36).slice(2, 8)
const split = { prepare: 0, bytes: 0, insert: 0 }
type Prep = () => unknown
type Send = (c: unknown, token: string) => Promise<unknown>
const dedup = (token: string) => ({ insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 })
const rowsText = (evs: TelemetryEvent[], now: number) => evs.map((e) => JSON.stringify(toEventRow(e, now))).join('\n')
const inText = (evs: TelemetryEvent[], now: number) => evs.map((e) => verbatimInputLine(JSON.stringify(e), 0, now)).join('\n')
const V: Record<string, { prep: (id: string) => unknown; send: Send }> = {
  // The baseline of bench/ingest.ts: a SQL statement with the rows inline, through the client.
  engine: { prep: (id) => rowsText(events(id), Date.now()), send: (c, t) => warehouse.command(`INSERT INTO events SETTINGS insert_deduplication_token='${t}' FORMAT JSONEachRow\n${c as string}`) },
  // Same rows, chDB's raw insert, the adapter's two settings.
  rawEvents: { prep: (id) => rowsText(events(id), Date.now()), send: (c, t) => rawInsert('events', c as string, dedup(t)) },
  // Same, without deduplicate_blocks_in_dependent_materialized_views.
  rawEventsNoMvDedup: { prep: (id) => rowsText(events(id), Date.now()), send: (c, t) => rawInsert('events', c as string, { insert_deduplication_token: t }) },
  // Ingest's engine part: events_in lines through the view, the adapter's settings.
  rawIn: { prep: (id) => inText(events(id), Date.now()), send: (c, t) => rawInsert('events_in', c as string, dedup(t)) },
  rawInNoMvDedup: { prep: (id) => inText(events(id), Date.now()), send: (c, t) => rawInsert('events_in', c as string, { insert_deduplication_token: t, deduplicate_blocks_in_dependent_materialized_views: 0 }) },
  // events_in lines as a SQL statement through the client (the baseline's route, our table).
  cmdIn: { prep: (id) => inText(events(id), Date.now()), send: (c, t) => warehouse.command(`INSERT INTO events_in SETTINGS insert_deduplication_token='${t}', deduplicate_blocks_in_dependent_materialized_views=1 FORMAT JSONEachRow\n${c as string}`) },
  // The baseline's rows without received_at (the column then takes its type's default): what parsing that column costs.
  rawEventsNoRecv: { prep: (id) => evsNoRecv(events(id)), send: (c, t) => rawInsert('events', c as string, dedup(t)) },
  // The whole Kafka path and its JS alone.
  lines: { prep: (id) => events(id).map((e, k) => ({ line: k, raw: JSON.stringify(e) })), send: (c, t) => ingest.ingestLines(c as Array<{ line: number; raw: string }>, { source: 'bench', dedupToken: t }) },
  // The HTTP path (body-hash token) and the keyed one (lookup, then the record after the inserts).
  http: { prep: (id) => events(id).map((e) => JSON.stringify(e)).join('\n'), send: (c) => ingest.ingest({ body: c as string, format: 'ndjson', source: 'bench' }) },
  httpKey: { prep: (id) => events(id).map((e) => JSON.stringify(e)).join('\n'), send: (c, t) => ingest.ingest({ body: c as string, format: 'ndjson', source: 'bench', idempotencyKey: t }) },
  prepareOnly: { prep: (id) => events(id).map((e, k) => ({ line: k, raw: JSON.stringify(e) })), send: (c) => ingest.prepareLines(c as Array<{ line: number; raw: string }>, {}) },
  // prepareLines, then its text through the raw insert (the Kafka path less write()'s bookkeeping).
  prepThenRaw: {
    prep: (id) => events(id).map((e, k) => ({ line: k, raw: JSON.stringify(e) })),
    send: async (c, t) => rawInsert('events_in', (await ingest.prepareLines(c as Array<{ line: number; raw: string }>, {})).ndjson, dedup(t)),
  },
  // ingest's engine part and the keyed record at the same time (does the session run them in parallel?).
  rawInWithRecord: {
    prep: (id) => inText(events(id), Date.now()),
    send: (c, t) => Promise.all([rawInsert('events_in', c as string, dedup(t)), warehouse.insert('ingest_batches', [{ key_hash: t, body_hash: 'b', batch_id: t, received_at: '2026-12-03 12:00:00.000', accepted: CHUNK, rejected: 0, masked: 0, dropped: 0, errors: '[]' }], { dedupToken: `${t}-record` })]),
  },
  rawInThenRecord: {
    prep: (id) => inText(events(id), Date.now()),
    send: async (c, t) => {
      await rawInsert('events_in', c as string, dedup(t))
      await warehouse.insert('ingest_batches', [{ key_hash: t, body_hash: 'b', batch_id: t, received_at: '2026-12-03 12:00:00.000', accepted: CHUNK, rejected: 0, masked: 0, dropped: 0, errors: '[]' }], { dedupToken: `${t}-record` })
    },
  },
  // The one-row record alone: with the adapter's settings, without deduplication, as a VALUES statement.
  recordRaw: { prep: () => null, send: (_c, t) => rawInsert('ingest_batches', recordLine(t), dedup(`${t}-record`)) },
  recordRawNoDedup: { prep: () => null, send: (_c, t) => rawInsert('ingest_batches', recordLine(t), { insert_deduplicate: 0 }) },
  eventsOneRow: { prep: (id) => inText(events(id).slice(0, 1), Date.now()), send: (c, t) => rawInsert('events_in', c as string, dedup(t)) },
  engineOneRow: { prep: (id) => rowsText(events(id).slice(0, 1), Date.now()), send: (c, t) => rawInsert('events', c as string, dedup(t)) },
  plainOneRow: { prep: (id) => rowsText(events(id).slice(0, 1), Date.now()), send: (c, t) => rawInsert('diag_plain', c as string, dedup(t)) },
  noWindowOneRow: { prep: (id) => rowsText(events(id).slice(0, 1), Date.now()), send: (c, t) => rawInsert('diag_nowindow', c as string, dedup(t)) },
  // A statement's own cost: one row into a Null table (no part), and a SELECT 1.
  nullOneRow: { prep: (id) => rowsText(events(id).slice(0, 1), Date.now()), send: (c, t) => rawInsert('diag_null', c as string, dedup(t)) },
  select1: { prep: () => null, send: () => warehouse.select('SELECT 1 AS x') },
  plain: { prep: (id) => rowsText(events(id), Date.now()), send: (c, t) => rawInsert('diag_plain', c as string, dedup(t)) },
  // prepThenRaw with its three steps timed apart (printed as split): validation, the text to bytes, the insert.
  prepSplit: {
    prep: (id) => events(id).map((e, k) => ({ line: k, raw: JSON.stringify(e) })),
    send: async (c, t) => {
      const t0 = performance.now()
      const p = await ingest.prepareLines(c as Array<{ line: number; raw: string }>, {})
      const t1 = performance.now()
      const bytes = Buffer.from(p.ndjson, 'utf8')
      const t2 = performance.now()
      await raw.chdb.rawInsert({ table: 'events_in', values: bytes, format: 'JSONEachRow', settings: dedup(t) })
      const t3 = performance.now()
      split.prepare += t1 - t0
      split.bytes += t2 - t1
      split.insert += t3 - t2
    },
  },
  // Engine settings on ingest's engine part.
  rawInParallelParse: { prep: (id) => inText(events(id), Date.now()), send: (c, t) => rawInsert('events_in', c as string, { ...dedup(t), min_chunk_bytes_for_parallel_parsing: 65536 }) },
  rawInNoOmittedDefaults: { prep: (id) => inText(events(id), Date.now()), send: (c, t) => rawInsert('events_in', c as string, { ...dedup(t), input_format_defaults_for_omitted_fields: 0 }) },
  rawInOneThread: { prep: (id) => inText(events(id), Date.now()), send: (c, t) => rawInsert('events_in', c as string, { ...dedup(t), max_threads: 1 }) },
  rawInInsertThreads2: { prep: (id) => inText(events(id), Date.now()), send: (c, t) => rawInsert('events_in', c as string, { ...dedup(t), max_insert_threads: 2 }) },
  rawInNoSkipUnknown: { prep: (id) => inText(events(id), Date.now()), send: (c, t) => rawInsert('events_in', c as string, { ...dedup(t), input_format_skip_unknown_fields: 0 }) },
  rawInNoParallelParse: { prep: (id) => inText(events(id), Date.now()), send: (c, t) => rawInsert('events_in', c as string, { ...dedup(t), input_format_parallel_parsing: 0 }) },
  // The keyed path's extra statements alone: the lookup and the one-row record.
  keyLookup: { prep: () => null, send: (_c, t) => warehouse.select('SELECT body_hash FROM ingest_batches FINAL WHERE key_hash = {key:String} LIMIT 1', { key: t }) },
  keyRecord: {
    prep: () => null,
    send: (_c, t) => warehouse.insert('ingest_batches', [{ key_hash: t, body_hash: 'b', batch_id: t, received_at: '2026-12-03 12:00:00.000', accepted: CHUNK, rejected: 0, masked: 0, dropped: 0, errors: '[]' }], { dedupToken: `${t}-record` }),
  },
}
function recordLine(t: string): string {
  return JSON.stringify({ key_hash: t, body_hash: 'b', batch_id: t, received_at: '2026-12-03 12:00:00.000', accepted: CHUNK, rejected: 0, masked: 0, dropped: 0, errors: '[]' })
}
function evsNoRecv(evs: TelemetryEvent[]): string {
  const now = Date.now()
  return evs.map((e) => {
    const { received_at: _r, ...row } = toEventRow(e, now)
    return JSON.stringify(row)
  }).join('\n')
}
const names = (args.variants ?? 'engine,rawEvents,rawEventsNoMvDedup,rawIn,rawInNoMvDedup,cmdIn,rawEventsNoRecv,lines,prepareOnly,keyLookup,keyRecord').split(',')
for (const n of names) if (!V[n]) throw new Error(`unknown variant ${n}`)
for (const n of names) await state.put({ ...newRecord(spec(`bd-${tag}-${n.toLowerCase()}`), Date.now()), state: 'running' }, null)
const ms = new Map(names.map((n) => [n, 0]))
const busy = new Map(names.map((n) => [n, 0]))
const load0 = loadavg()[0]!
for (let rep = -2; rep < REPS; rep++) {
  const inputs = new Map(names.map((n) => [n, V[n]!.prep(`bd-${tag}-${n.toLowerCase()}`)]))
  for (let j = 0; j < names.length; j++) {
    const n = names[(j + Math.max(rep, 0)) % names.length]!
    const elu = performance.eventLoopUtilization()
    const t = performance.now()
    await V[n]!.send(inputs.get(n), `bd-${tag}-${n}-${rep}`)
    if (rep < 0) continue
    ms.set(n, ms.get(n)! + performance.now() - t)
    busy.set(n, busy.get(n)! + performance.eventLoopUtilization(elu).active)
  }
}
console.log(JSON.stringify({ chunk: CHUNK, reps: REPS, loadAvg1m: [Number(load0.toFixed(1)), Number(loadavg()[0]!.toFixed(1))] }))
const e = ms.get('engine')
for (const n of names) {
  console.log(JSON.stringify({ v: n, msPerChunk: Number((ms.get(n)! / REPS).toFixed(1)), usPerEvent: Number(((ms.get(n)! * 1000) / (REPS * CHUNK)).toFixed(2)), ratio: e ? Number((e / ms.get(n)!).toFixed(3)) : null, busyUsPerEvent: Number(((busy.get(n)! * 1000) / (REPS * CHUNK)).toFixed(2)) }))
}
if (names.includes('prepSplit')) console.log(JSON.stringify({ prepSplitMsPerChunk: Object.fromEntries(Object.entries(split).map(([k, v]) => [k, Number((v / REPS).toFixed(1))])) }))
await warehouse.close()
rmSync(dir, { recursive: true, force: true })
