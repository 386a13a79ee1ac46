/**
 * Benchmark (issue 16 item 1): ingest against the engine's own insert, in ONE process and ONE
 * run, the paths taking turns chunk by chunk so machine load hits every path alike:
 *   engine   — `INSERT INTO events FORMAT JSONEachRow` with the rows as text (no client, no validation)
 *   text     — the adapter's insertText of that text (chDB's native raw insert)
 *   textIn   — insertText of the same events as `events_in` lines, as ingest writes them (the view's cost, no JS)
 *   client   — Warehouse.insert of the same rows (the adapter ingest uses)
 *   lines    — IngestService.ingestLines (the Kafka path: parse, validate, mask, insert, dead letters)
 *   linesPipe — the same chunks as the Kafka consumer runs them (kafka-telemetry-consumer.ts): chunk k is
 *              inserted (ingestLines with `prepared`) while chunk k+1 of the same block is validated
 *              (prepareLines); the first chunk of each block is validated alone, as the first chunk of a
 *              kafkajs batch is. A chunk's timing is its insert and the next chunk's validation.
 *   http     — IngestService.ingest of an NDJSON body (the HTTP path without the socket; dedup token = body hash)
 *   httpKey  — the same with an Idempotency-Key (plus its ingest_batches lookup and record per batch)
 * Ratios are each path's rate over the engine's rate in the same rounds (median of the rounds).
 * `jsUsPerEvent` is the main thread's busy time per event (event-loop utilization over the path's
 * calls): the JS cost. The rest of a path's time the main thread waits for the engine's threads.
 *   npx tsx bench/ingest.ts [--events 100000] [--chunk 5000] [--rounds 3] [--paths engine,lines,http]
 * Paired (`--paired --reps R`, default paths engine,lines,linesPipe,http,httpKey): each repetition sends ONE
 * chunk of every path back to back, the order balanced over repetitions (williams()), so a path
 * and the engine meet the same load and the same table (each insert adds a part; every path gets
 * each place in the order, and each predecessor, alike). Rows are fresh: blocks of --events per
 * path, as a round today. Per path: summed engine time over summed path time (the throughput
 * ratio), the median of the per-repetition ratios, and a 95% bootstrap interval of the throughput
 * ratio (repetitions resampled, seeded). One warm-up block (--events per path) runs first, untimed.
 * Over a real socket (the server's POST /v1/events): bench/ingest-http.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { OneInFlight } from '../src/adapters/bus/kafka-telemetry-consumer.js'
import { SystemClock } from '../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../src/adapters/state/memory-state.js'
import { embeddedWarehouse } from '../src/adapters/warehouse/clickhouse-warehouse.js'
import { newRecord } from '../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../src/domain/experiment.js'
import { type TelemetryEvent, toEventRow } from '../src/domain/telemetry.js'
import { verbatimInputLine } from '../src/domain/telemetry-scan.js'
import { IngestService, type PreparedLines } from '../src/services/ingest.js'
import { migrate } from '../src/services/migrate.js'
import { rng } from '../src/sim/random.js'
import { runRounds } from './support/ingest-rounds.js'

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '100000' }, chunk: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '3' }, paths: { type: 'string' }, paired: { type: 'boolean', default: false }, reps: { type: 'string', default: '60' }, seed: { type: 'string', default: '1' } } })
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
const ALL_PATHS = ['engine', 'text', 'textIn', 'client', 'lines', 'linesPipe', 'http', 'httpKey'] as const
type Path = (typeof ALL_PATHS)[number]
const paths = (args.paths ?? (args.paired ? 'engine,lines,linesPipe,http,httpKey' : ALL_PATHS.join(','))).split(',') as Path[]
const REPS = Number(args.reps)
const PER_BLOCK = Math.ceil(N / CHUNK)
// Paired mode: a "round" index names a block of fresh rows (one experiment id per path per block).
const BLOCKS = args.paired ? Math.ceil(REPS / PER_BLOCK) : ROUNDS
for (const p of paths) if (!ALL_PATHS.includes(p)) throw new Error(`unknown path ${p}; one of ${ALL_PATHS.join(', ')}`)
const state = new MemoryStateStore()
const ids = (p: Path, r: number) => `bi-${tag}-${p.toLowerCase()}-${r}`
for (let r = -1; r < BLOCKS; r++) for (const p of paths) await state.put({ ...newRecord(spec(ids(p, r)), Date.now()), state: 'running' }, null)
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
    else if (p === 'lines' || p === 'linesPipe') chunks.push(part.map((e, k) => ({ line: i + k, raw: JSON.stringify(e) })))
    else chunks.push(part.map((e) => JSON.stringify(e)).join('\n'))
  }
  return chunks
}

type Lines = Array<{ line: number; raw: string }>
/** linesPipe: the next chunk's validation, done while this chunk is inserted (keyed by its chunk array). */
const ahead = new Map<unknown, PreparedLines>()

async function send(p: Path, id: string, c: unknown, k: number, next?: unknown): Promise<void> {
  const token = `bench-${id}-${k}`
  if (p === 'linesPipe') {
    const prepared = ahead.get(c) ?? (await ingest.prepareLines(c as Lines, {}))
    ahead.delete(c)
    // The consumer's own mechanism (OneInFlight): this chunk's insert runs on the engine's threads while
    // the next chunk is validated, and its error is thrown by settle().
    const flight = new OneInFlight()
    flight.start(async () => {
      await ingest.ingestLines(c as Lines, { source: 'bench', dedupToken: token, prepared })
    })
    if (next !== undefined) ahead.set(next, await ingest.prepareLines(next as Lines, {}))
    await flight.settle()
    return
  }
  if (p === 'engine') await warehouse.command(`INSERT INTO events SETTINGS insert_deduplication_token='${token}' FORMAT JSONEachRow\n${c as string}`)
  else if (p === 'text') await warehouse.insertText('events', c as string, { dedupToken: token })
  else if (p === 'textIn') await warehouse.insertText('events_in', c as string, { dedupToken: token })
  else if (p === 'client') await warehouse.insert('events', c as Record<string, unknown>[], { dedupToken: token })
  else if (p === 'lines') await ingest.ingestLines(c as Array<{ line: number; raw: string }>, { source: 'bench', dedupToken: token })
  else if (p === 'http') await ingest.ingest({ body: c as string, format: 'ndjson', source: 'bench' })
  else await ingest.ingest({ body: c as string, format: 'ndjson', source: 'bench', idempotencyKey: token })
}

if (args.paired) await paired()
else {
  const { load, summary } = await runRounds({ paths, events: N, prepare, send: (p, r, c, k) => send(p, ids(p, r), c, k), count: (p, r) => count(ids(p, r)) }, ROUNDS)
  // One line per path, so runs can be compared with diff and grep.
  console.log(JSON.stringify({ events: N, chunk: CHUNK, rounds: ROUNDS, loadAvg1m: load }))
  for (const o of summary) console.log(JSON.stringify(o))
}
await warehouse.close()
rmSync(dir, { recursive: true, force: true })

/** Repetition rep (block -1 = warm-up): one chunk per path, the order williams(rep). Returns ms and main-thread busy ms per path. */
async function pairedReps(): Promise<{ ms: Map<Path, number[]>; busy: Map<Path, number> }> {
  const ms = new Map(paths.map((p) => [p, [] as number[]]))
  const busy = new Map(paths.map((p) => [p, 0]))
  for (let b = -1; b < BLOCKS; b++) {
    const inputs = new Map(paths.map((p) => [p, prepare(p, b)])) // outside the clock, every path alike
    for (let k = 0; k < PER_BLOCK; k++) {
      const rep = b * PER_BLOCK + k
      if (rep >= REPS) break
      for (let j = 0; j < paths.length; j++) {
        const p = paths[williams(rep, paths.length)[j]!]!
        const elu = performance.eventLoopUtilization()
        const t = performance.now()
        await send(p, ids(p, b), inputs.get(p)![k], k, rep + 1 < REPS ? inputs.get(p)![k + 1] : undefined)
        const took = performance.now() - t
        if (b < 0) continue
        ms.get(p)!.push(took)
        busy.set(p, busy.get(p)! + performance.eventLoopUtilization(elu).active)
      }
    }
    const want = b < 0 ? N : Math.min(N, (REPS - b * PER_BLOCK) * CHUNK)
    for (const p of paths) {
      const stored = await count(ids(p, b))
      if (stored !== want) throw new Error(`${p} stored ${stored} of ${want} in block ${b}`)
    }
  }
  return { ms, busy }
}

async function paired(): Promise<void> {
  if (!paths.includes('engine')) throw new Error("the engine path is the ratios' reference: keep it in the paths")
  if (N % CHUNK !== 0) throw new Error('--paired needs --events to be a multiple of --chunk (every chunk the same size)')
  const load0 = Number(loadavg()[0]!.toFixed(1))
  const t0 = performance.now()
  const { ms, busy } = await pairedReps()
  const load1 = Number(loadavg()[0]!.toFixed(1))
  const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0)
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b)
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
  }
  const engine = ms.get('engine')!
  const rand = rng(Number(args.seed))
  const B = 2000
  const draws = Array.from({ length: B }, () => Array.from({ length: REPS }, () => Math.floor(rand() * REPS)))
  console.log(JSON.stringify({ mode: 'paired', events: N, chunk: CHUNK, reps: REPS, bootstrap: B, seed: Number(args.seed), loadAvg1m: [load0, load1], seconds: Math.round((performance.now() - t0) / 1000) }))
  for (const p of paths) {
    const mine = ms.get(p)!
    // The same resampled repetitions for engine and path: the pairing is kept.
    const boot = draws.map((d) => sum(d.map((i) => engine[i]!)) / sum(d.map((i) => mine[i]!))).sort((a, b) => a - b)
    const ratio = sum(engine) / sum(mine)
    console.log(JSON.stringify({
      path: p,
      eventsPerSec: Math.round((REPS * CHUNK * 1000) / sum(mine)),
      ratioToEngine: Number(ratio.toFixed(3)),
      medianRepRatio: Number(median(mine.map((m, i) => engine[i]! / m)).toFixed(3)),
      ci95: [Number(boot[Math.floor(0.025 * B)]!.toFixed(3)), Number(boot[Math.ceil(0.975 * B) - 1]!.toFixed(3))],
      jsUsPerEvent: Number(((busy.get(p)! * 1000) / (REPS * CHUNK)).toFixed(2)),
    }))
  }
}

/**
 * The order of repetition rep: a Williams design, so over n (n even) or 2n (n odd) repetitions each
 * path takes each place equally often and follows each other path equally often. A plain rotation would always put
 * the engine right after the same path, and that path's part (and the merge it may start) first.
 */
function williams(rep: number, n: number): number[] {
  const first = Array.from({ length: n }, (_, j) => (j % 2 ? (j + 1) / 2 : (n - j / 2) % n))
  const idx = (((rep % (2 * n)) + 2 * n) % (2 * n)) % (n % 2 ? 2 * n : n)
  const row = first.map((x) => (x + idx) % n)
  return idx >= n ? row.reverse() : row
}

