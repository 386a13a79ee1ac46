/**
 * Benchmark (issue 16 item 2): many concurrent small batches against one big one, in ONE
 * process and ONE run, modes alternating (order rotated each round):
 *   big       — 1 client, `--events`-event batches (the reference; 50,000 by default)
 *   grouped   — 16 clients, 100-event batches, group commit on (IngestService's InsertCoalescer)
 *   alone     — 16 clients, 100-event batches, group commit off (coalesceRows: 0)
 *   async     — 16 clients, 100-event batches, alone, the events insert sent with ClickHouse's
 *               async_insert=1, wait_for_async_insert=1 (the engine's own buffering)
 * `--via service`: batches go through IngestService.ingest (validation, masking, dead letters,
 * dedup tokens) as the HTTP route calls it, without the socket. `--via http`: the real server
 * (buildServer over a runtime on the embedded engine) and its POST /v1/events route, the clients
 * in a process of their own (bench/group-commit-client.ts), keep-alive connections.
 * Then `--minutes M` of the grouped mode with RSS sampled every minute.
 * `--journal on`: the runtime's warehouse has the events journal in front (RUNWAY_EVENTS_JOURNAL=on,
 * src/adapters/warehouse/events-journal.ts), for big and grouped alike (same process, same settings):
 * an answer means durable in the journal; the coalescer is not used (the journal groups). Modes then
 * default to big,bigEngine,grouped (bigEngine: the big batch past the journal, answered once in the engine,
 * i.e. the reference as without it, in the same run), and the time from an answer to the rows being in the engine is sampled
 * (`visibleMs`: a lone 100-event batch, polled in the engine behind the journal).
 *   npx tsx bench/group-commit.ts [--via service|http] [--events 50000] [--rounds 2] [--minutes 1] [--journal off|on] [--flush 50ms]
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { buildServer } from '../src/api/server.js'
import { loadConfig } from '../src/config.js'
import { newRecord } from '../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../src/domain/experiment.js'
import type { JournaledWarehouse } from '../src/adapters/warehouse/journaled-warehouse.js'
import type { Warehouse } from '../src/ports/warehouse.js'
import { IngestService } from '../src/services/ingest.js'
import { migrate } from '../src/services/migrate.js'
import { createRuntime, embeddedPorts } from '../src/services/runtime.js'

const { values: args } = parseArgs({ options: { via: { type: 'string', default: 'service' }, events: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '2' }, minutes: { type: 'string', default: '1' }, clients: { type: 'string', default: '16' }, small: { type: 'string', default: '100' }, modes: { type: 'string', default: 'big,grouped,alone,async' }, client: { type: 'string', default: 'http' }, journal: { type: 'string', default: 'off' }, flush: { type: 'string', default: '50ms' } } })
const JOURNAL = args.journal === 'on'
const N = Number(args.events)
const CLIENTS = Number(args.clients)
const SMALL = Number(args.small)
const HTTP = args.via === 'http'
const dir = mkdtempSync(join(tmpdir(), 'runway-bench-group-'))
const log = pino({ level: 'error' })
// The runtime as `runway serve` builds it (its jobs are not started: only the route is measured); big bodies allowed.
const config = loadConfig({ RUNWAY_INGEST_MAX_BYTES: String(256 * 1024 * 1024), RUNWAY_INGEST_MAX_EVENTS: String(Math.max(N, 50_000)), RUNWAY_EVENTS_JOURNAL: args.journal!, RUNWAY_EVENTS_FLUSH: args.flush! }, { dataDir: dir, logLevel: 'silent' })
const rt = createRuntime(config, await embeddedPorts(config, log), log)
const { warehouse, state, clock } = rt
await migrate(warehouse)
const tag = Math.random().toString(36).slice(2, 8)
const spec = (id: string) =>
  ExperimentSpecSchema.parse({
    id, owner: 'bench', hypothesis: 'throughput', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
    rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics: { primary: { name: 'conversion', direction: 'increase' } },
  })
/** The engine's async insert for events: its buffer, flushed by size or time, answered when flushed. */
const asyncWarehouse: Warehouse = {
  command: (sql) => warehouse.command(sql),
  select: (sql, p) => warehouse.select(sql, p),
  close: async () => {},
  insert: async (table, rows, o) => {
    if (table !== 'events' || rows.length === 0) return warehouse.insert(table, rows, o)
    const text = rows.map((r) => JSON.stringify(r)).join('\n')
    await warehouse.command(`INSERT INTO events SETTINGS async_insert=1, wait_for_async_insert=1, async_insert_busy_timeout_ms=50, insert_deduplication_token='${o?.dedupToken ?? ''}' FORMAT JSONEachRow\n${text}`)
  },
}
const base = { state, clock, log, limits: config.ingest }
// Journal on: bigEngine is the big batch answered once in the engine, as without the journal (the item's reference), in the same run.
const engineOnly = JOURNAL ? (warehouse as JournaledWarehouse).innerWarehouse : warehouse
const services = {
  big: new IngestService({ ...base, warehouse, coalesceRows: 0 }),
  bigEngine: new IngestService({ ...base, warehouse: engineOnly, coalesceRows: 0 }),
  grouped: new IngestService({ ...base, warehouse, coalesceRows: 50_000 }),
  alone: new IngestService({ ...base, warehouse, coalesceRows: 0 }),
  async: new IngestService({ ...base, warehouse: asyncWarehouse, coalesceRows: 0 }),
}
type Mode = keyof typeof services
const modes = (JOURNAL && process.argv.every((a) => !a.startsWith('--modes')) ? 'big,bigEngine,grouped' : args.modes!).split(',') as Mode[]
const mutable = rt as { ingest: IngestService }
const app = HTTP ? buildServer(rt) : null
if (app) await app.listen({ host: '127.0.0.1', port: 0 })
const url = app ? `http://127.0.0.1:${(app.server.address() as { port: number }).port}` : ''
const ts = Date.now() - 60_000
const body = (experimentId: string, from: number, n: number) =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k
    return JSON.stringify({ eventId: `${experimentId}-${i}`, ts, experimentId, variant: i % 2 ? 'treatment' : 'control', unitId: `u-${i % 10_007}`, service: 'checkout', metric: 'conversion', value: (i % 7) / 7, attributes: { region: i % 3 ? 'eu' : 'us' } })
  }).join('\n')
const count = async (x: string) => Number((await warehouse.select<{ n: string }>('SELECT count() AS n FROM events WHERE experiment_id = {x:String}', { x }))[0]!.n)
interface Run { eventsPerSec: number; p50: number; p99: number; flushMs?: number; visibleEventsPerSec?: number; callsPerInsert?: number; insertMs?: number; lingerMs?: number }
type CoalescerStats = NonNullable<IngestService['coalescer']>['stats']
const round1 = (x: number) => Math.round(x * 10) / 10

/** The HTTP clients' own process; its line is the run's figures. */
function clients(id: string, total: number, size: number, n: number): Promise<Run> {
  const script = fileURLToPath(new URL('./group-commit-client.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--url', url, '--experiment', id, '--events', String(total), '--size', String(size), '--clients', String(n), '--ts', String(ts), '--client', args.client!], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Run) : reject(new Error(`client exited ${code}`)))))
}

async function inProcess(mode: Mode, id: string, total: number, size: number, n: number): Promise<Run> {
  const bodies: string[] = []
  for (let i = 0; i < total; i += size) bodies.push(body(id, i, Math.min(size, total - i)))
  const latencies: number[] = []
  let next = 0
  const t = performance.now()
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < bodies.length) {
        const b = bodies[next++]!
        const t0 = performance.now()
        const r = await services[mode].ingest({ body: b, format: 'ndjson', source: 'bench' })
        latencies.push(performance.now() - t0)
        if (r.rejected > 0) throw new Error(r.errors[0]?.reason)
      }
    }),
  )
  const ms = performance.now() - t
  latencies.sort((a, b) => a - b)
  const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!)
  return { eventsPerSec: Math.round((total / ms) * 1000), p50: q(0.5), p99: q(0.99) }
}

let runNo = 0
async function run(mode: Mode, total: number): Promise<Run> {
  const id = `bg-${tag}-${mode.toLowerCase()}-${runNo++}`
  await state.put({ ...newRecord(spec(id), Date.now()), state: 'running' }, null)
  const size = mode === 'big' || mode === 'bigEngine' ? total : SMALL
  const n = mode === 'big' || mode === 'bigEngine' ? 1 : CLIENTS
  mutable.ingest = services[mode]
  const before = { ...(services[mode].coalescer?.stats ?? {}) } as Partial<CoalescerStats>
  const answered = HTTP ? await clients(id, total, size, n) : await inProcess(mode, id, total, size, n)
  // Journal on: the answers came before the last rows were in the engine; the flush that writes them is
  // timed too, and events/s to visible counts it (the rate a reader can see, not only the ack rate).
  const f0 = performance.now()
  if (JOURNAL) await (warehouse as JournaledWarehouse).flush()
  const flushMs = performance.now() - f0
  const r = JOURNAL ? { ...answered, flushMs: Math.round(flushMs), visibleEventsPerSec: Math.round(total / (total / answered.eventsPerSec + flushMs / 1000)) } : answered
  const stored = await count(id)
  if (stored !== total) throw new Error(`${mode} stored ${stored} of ${total}`)
  const after = services[mode].coalescer?.stats
  if (after === undefined || mode === 'big' || mode === 'bigEngine') return r
  // What one grouped round trip is made of: calls per insert, and the mean insert and linger per insert.
  const inserts = Math.max(1, after.inserts - before.inserts!)
  return { ...r, callsPerInsert: round1((after.calls - before.calls!) / inserts), insertMs: round1((after.insertMs - before.insertMs!) / inserts), lingerMs: round1((after.lingerMs - before.lingerMs!) / inserts) }
}

for (const m of modes) await run(m, 2_000) // warm-up
const results = Object.fromEntries(modes.map((m) => [m, [] as Run[]])) as Record<Mode, Run[]>
const load: number[] = []
for (let r = 0; r < Number(args.rounds); r++) {
  load.push(Number(loadavg()[0]!.toFixed(1)))
  for (let j = 0; j < modes.length; j++) {
    const m = modes[(j + r) % modes.length]!
    results[m].push(await run(m, N))
    console.error(JSON.stringify({ round: r, mode: m, ...results[m].at(-1), loadAvg1m: Number(loadavg()[0]!.toFixed(1)) }))
  }
}
/** The lower median: with two runs, the slower one (an unlucky run is not hidden by a lucky one). */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!
const rate = (m: Mode) => median(results[m].map((x) => x.eventsPerSec))
const visibleRate = (m: Mode) => median(results[m].map((x) => x.visibleEventsPerSec ?? x.eventsPerSec))
const coalescer = services.grouped.coalescer ? { ...services.grouped.coalescer.stats } : null
const ratio = (m: Mode) => (modes.includes(m) && modes.includes('big') ? Number((rate(m) / rate('big')).toFixed(2)) : null)
/** Per round, the mode against big in the same round (the load moves a lot between rounds on a shared machine). */
const perRound = (m: Mode) => (modes.includes(m) && modes.includes('big') ? results[m].map((x, r) => Number((x.eventsPerSec / results.big[r]!.eventsPerSec).toFixed(2))) : null)

/**
 * Journal on: how long after its answer a lone batch is in the engine (the flush delay), 20 samples on an
 * idle server, polled every millisecond in the warehouse behind the journal (a read through it would flush).
 */
async function visibleAfterAck(): Promise<{ p50: number; p99: number; max: number }> {
  const engine = (warehouse as JournaledWarehouse).innerWarehouse
  const id = `bg-${tag}-visible`
  await state.put({ ...newRecord(spec(id), Date.now()), state: 'running' }, null)
  const ms: number[] = []
  for (let i = 0; i < 20; i++) {
    await services.grouped.ingest({ body: body(id, i * SMALL, SMALL), format: 'ndjson', source: 'bench' })
    const t0 = performance.now()
    while (Number((await engine.select<{ n: string }>('SELECT count() AS n FROM events WHERE experiment_id = {x:String}', { x: id }))[0]!.n) < (i + 1) * SMALL) await new Promise((r) => setTimeout(r, 1))
    ms.push(performance.now() - t0)
  }
  ms.sort((a, b) => a - b)
  return { p50: Math.round(ms[10]!), p99: Math.round(ms[19]!), max: Math.round(ms[19]!) }
}

// Soak: the grouped mode for --minutes, RSS and JS heap printed every minute (stderr) as it goes.
const rss: number[] = []
const heap: number[] = []
const soakStart = Date.now()
const soakEnd = soakStart + Number(args.minutes) * 60_000
let soakEvents = 0
const sample = () => {
  const m = process.memoryUsage()
  rss.push(Math.round(m.rss / 1e6))
  heap.push(Math.round(m.heapUsed / 1e6))
  console.error(JSON.stringify({ minute: rss.length - 1, rssMB: rss.at(-1), heapMB: heap.at(-1), events: soakEvents, tokensRemembered: services.grouped.coalescer?.remembered ?? null, journalPending: (warehouse as Partial<JournaledWarehouse>).pendingEntries ?? null, loadAvg1m: Number(loadavg()[0]!.toFixed(1)) }))
}
sample()
while (Date.now() < soakEnd) {
  await run('grouped', 20_000)
  soakEvents += 20_000
  if (Date.now() - soakStart >= 60_000 * rss.length) sample()
}
const soakStop = Date.now()
const visible = JOURNAL ? await visibleAfterAck() : null
await app?.close()
await warehouse.close()
rmSync(dir, { recursive: true, force: true })
console.log(JSON.stringify({
  via: args.via, events: N, clients: CLIENTS, smallBatch: SMALL, loadAvg1m: load, ...results,
  median: Object.fromEntries(modes.map((m) => [m, rate(m)])),
  visibleMedian: JOURNAL ? Object.fromEntries(modes.map((m) => [m, visibleRate(m)])) : null,
  visibleRatioGroupedToBigEngine: JOURNAL && modes.includes('bigEngine') ? Number((visibleRate('grouped') / visibleRate('bigEngine')).toFixed(2)) : null,
  ratioGroupedToBig: ratio('grouped'), ratioGroupedToBigEngine: modes.includes('bigEngine') ? Number((rate('grouped') / rate('bigEngine')).toFixed(2)) : null, ratioAloneToBig: ratio('alone'), ratioAsyncToBig: ratio('async'),
  perRound: { groupedToBigEngine: modes.includes('bigEngine') ? results.grouped.map((x, r) => Number((x.eventsPerSec / results.bigEngine[r]!.eventsPerSec).toFixed(2))) : null, grouped: perRound('grouped'), alone: perRound('alone'), async: perRound('async') },
  coalescer: coalescer && { ...coalescer, callsPerInsert: Number((coalescer.calls / Math.max(1, coalescer.inserts)).toFixed(1)) },
  journal: JOURNAL ? { flush: args.flush, visibleMs: visible } : null,
  soak: { minutes: Number(args.minutes), events: soakEvents, eventsPerSec: Math.round(soakEvents / Math.max(1, (soakStop - soakStart) / 1000)), rssMB: rss, heapMB: heap, loadAvg1m: Number(loadavg()[0]!.toFixed(1)) },
}, null, 2))
