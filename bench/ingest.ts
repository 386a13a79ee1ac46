/**
 * Benchmark (issue 16 item 1): ingest against the engine's own insert, in ONE process and ONE
 * run, the paths taking turns chunk by chunk so machine load hits every path alike:
 *   engine   — `INSERT INTO events FORMAT JSONEachRow` with the rows as text (no client, no validation)
 *   text     — the adapter's insertText of that text (chDB's native raw insert)
 *   textIn   — insertText of the same events as `events_in` lines, as ingest writes them (the view's cost, no JS)
 *   client   — Warehouse.insert of the same rows (the adapter ingest uses)
 *   lines    — IngestService.ingestLines (the Kafka path: parse, validate, mask, insert, dead letters)
 *   http     — IngestService.ingest of an NDJSON body (the HTTP path without the socket; dedup token = body hash)
 *   httpKey  — the same with an Idempotency-Key (plus its ingest_batches lookup and record per batch)
 * Ratios are each path's rate over the engine's rate in the same rounds (median of the rounds).
 * `jsUsPerEvent` is the main thread's busy time per event (event-loop utilization over the path's
 * calls): the JS cost. The rest of a path's time the main thread waits for the engine's threads.
 *   npx tsx bench/ingest.ts [--events 100000] [--chunk 5000] [--rounds 3] [--paths engine,lines,http]
 * Over a real socket (the server's POST /v1/events): bench/ingest-http.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { SystemClock } from '../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../src/adapters/state/memory-state.js'
import { embeddedWarehouse } from '../src/adapters/warehouse/clickhouse-warehouse.js'
import { newRecord } from '../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../src/domain/experiment.js'
import { type TelemetryEvent, toEventRow } from '../src/domain/telemetry.js'
import { verbatimInputLine } from '../src/domain/telemetry-scan.js'
import { IngestService } from '../src/services/ingest.js'
import { migrate } from '../src/services/migrate.js'
import { runRounds } from './support/ingest-rounds.js'

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '100000' }, chunk: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '3' }, paths: { type: 'string', default: 'engine,text,textIn,client,lines,http,httpKey' } } })
const N = Number(args.events)
const CHUNK = Number(args.chunk)
const ROUNDS = Number(args.rounds)
const dir = mkdtempSync(join(tmpdir(), 'runway-bench-ingest-'))
const warehouse = embeddedWarehouse(dir)
await migrate(warehouse)
const tag = Math.random().toString(36).slice(2, 8)
const spec = (id: string) =>
  ExperimentSpecSchema.parse({
    id, owner: 'bench', hypothesis: 'throughput', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
    rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics: { primary: { name: 'conversion', direction: 'increase' } },
  })
const ALL_PATHS = ['engine', 'text', 'textIn', 'client', 'lines', 'http', 'httpKey'] as const
type Path = (typeof ALL_PATHS)[number]
const paths = args.paths.split(',') as Path[]
for (const p of paths) if (!ALL_PATHS.includes(p)) throw new Error(`unknown path ${p}; one of ${ALL_PATHS.join(', ')}`)
const state = new MemoryStateStore()
const ids = (p: Path, r: number) => `bi-${tag}-${p.toLowerCase()}-${r}`
for (let r = -1; r < ROUNDS; r++) for (const p of paths) await state.put({ ...newRecord(spec(ids(p, r)), Date.now()), state: 'running' }, null)
const ingest = new IngestService({ warehouse, state, clock: new SystemClock(), log: pino({ level: 'error' }), limits: { maxBytes: 1e12, maxEvents: 1e9 } })

const ts = Date.now() - 60_000
const events = (experimentId: string): TelemetryEvent[] =>
  Array.from({ length: N }, (_, i) => ({
    eventId: `${experimentId}-${i}`, ts, experimentId, variant: i % 2 ? 'treatment' : 'control', unitId: `u-${i % 10_007}`,
    service: 'checkout', metric: 'conversion', value: (i % 7) / 7, attributes: { region: i % 3 ? 'eu' : 'us' },
  }))
const count = async (x: string) => Number((await warehouse.select<{ n: string }>('SELECT count() AS n FROM events WHERE experiment_id = {x:String}', { x }))[0]!.n)

/** Each path's chunks for round r, prepared outside the clock: each path is timed from what it receives. */
function prepare(p: Path, r: number): unknown[] {
  const evs = events(ids(p, r))
  const now = Date.now()
  const chunks: unknown[] = []
  for (let i = 0; i < N; i += CHUNK) {
    const part = evs.slice(i, i + CHUNK)
    if (p === 'engine' || p === 'text') chunks.push(part.map((e) => JSON.stringify(toEventRow(e, now))).join('\n'))
    else if (p === 'textIn') chunks.push(part.map((e) => verbatimInputLine(JSON.stringify(e), 0, now)).join('\n'))
    else if (p === 'client') chunks.push(part.map((e) => toEventRow(e, now)))
    else if (p === 'lines') chunks.push(part.map((e, k) => ({ line: i + k, raw: JSON.stringify(e) })))
    else chunks.push(part.map((e) => JSON.stringify(e)).join('\n'))
  }
  return chunks
}

async function send(p: Path, id: string, c: unknown, k: number): Promise<void> {
  const token = `bench-${id}-${k}`
  if (p === 'engine') await warehouse.command(`INSERT INTO events SETTINGS insert_deduplication_token='${token}' FORMAT JSONEachRow\n${c as string}`)
  else if (p === 'text') await warehouse.insertText('events', c as string, { dedupToken: token })
  else if (p === 'textIn') await warehouse.insertText('events_in', c as string, { dedupToken: token })
  else if (p === 'client') await warehouse.insert('events', c as Record<string, unknown>[], { dedupToken: token })
  else if (p === 'lines') await ingest.ingestLines(c as Array<{ line: number; raw: string }>, { source: 'bench', dedupToken: token })
  else if (p === 'http') await ingest.ingest({ body: c as string, format: 'ndjson', source: 'bench' })
  else await ingest.ingest({ body: c as string, format: 'ndjson', source: 'bench', idempotencyKey: token })
}

const { load, summary } = await runRounds({ paths, events: N, prepare, send: (p, r, c, k) => send(p, ids(p, r), c, k), count: (p, r) => count(ids(p, r)) }, ROUNDS)
await warehouse.close()
rmSync(dir, { recursive: true, force: true })
// One line per path, so runs can be compared with diff and grep.
console.log(JSON.stringify({ events: N, chunk: CHUNK, rounds: ROUNDS, loadAvg1m: load }))
for (const o of summary) console.log(JSON.stringify(o))
