/**
 * Benchmark (issue 16 item 1) over a real socket: the runtime `runway serve` builds (embedded engine,
 * system clock, every job of the default role), its HTTP server on 127.0.0.1, and a keep-alive
 * node:http client in the same process posting NDJSON to POST /v1/events, as services do. In ONE
 * process and ONE run, the paths take turns chunk by chunk (order rotated) against the same runtime:
 *   engine   — `INSERT INTO events FORMAT JSONEachRow` of the rows as text on the runtime's warehouse
 *   lines    — runtime.ingest.ingestLines (what the Kafka consumer calls for a polled batch)
 *   http     — POST /v1/events, NDJSON body (dedup token = body hash)
 *   httpKey  — the same with an Idempotency-Key header
 * The client's cost (writing the request, reading the answer) is on the HTTP paths' clock, as it is
 * for a sender on the same machine. Each answer must say every line was accepted; every path's rows
 * are counted at the end of each round.
 * Group commit is as configured (RUNWAY_INGEST_GROUP_COMMIT_ROWS, on by default on the embedded engine) unless
 * --group-commit-rows sets it; the figure used is printed, since it changes what a lone sender waits for.
 *   npx tsx bench/ingest-http.ts [--events 30000] [--chunk 5000] [--rounds 3] [--group-commit-rows 0]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { buildServer } from '../src/api/server.js'
import { loadConfig } from '../src/config.js'
import { newRecord } from '../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../src/domain/experiment.js'
import { type TelemetryEvent, toEventRow } from '../src/domain/telemetry.js'
import { createRuntime, embeddedPorts } from '../src/services/runtime.js'
import { runRounds } from './support/ingest-rounds.js'

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '30000' }, chunk: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '3' }, 'group-commit-rows': { type: 'string' } } })
const N = Number(args.events)
const CHUNK = Number(args.chunk)
const ROUNDS = Number(args.rounds)
const paths = ['engine', 'lines', 'http', 'httpKey'] as const
type Path = (typeof paths)[number]

const dataDir = mkdtempSync(join(tmpdir(), 'runway-bench-ingest-http-'))
const base = loadConfig({}, { dataDir, logLevel: 'silent' })
// The body limit must hold a chunk; everything else as configured by default.
const groupCommitRows = args['group-commit-rows'] !== undefined ? Number(args['group-commit-rows']) : base.ingest.groupCommitRows
const config = { ...base, ingest: { ...base.ingest, maxBytes: Math.max(base.ingest.maxBytes, CHUNK * 400), groupCommitRows } }
const log = pino({ level: 'silent' })
const rt = createRuntime(config, await embeddedPorts(config, log), log)
await rt.start()
const app = buildServer(rt)
await app.listen({ host: '127.0.0.1', port: 0 })
const port = (app.server.address() as { port: number }).port
const agent = new Agent({ keepAlive: true, maxSockets: 1 })

const tag = Math.random().toString(36).slice(2, 8)
const ids = (p: Path, r: number) => `bh-${tag}-${p.toLowerCase()}-${r}`
// Running experiments put straight into the state store (as bench/ingest.ts does): ingest reads only that.
const spec = (id: string) =>
  ExperimentSpecSchema.parse({
    id, owner: 'bench', hypothesis: 'throughput', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
    rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics: { primary: { name: 'conversion', direction: 'increase' } },
  })
for (let r = -1; r < ROUNDS; r++) for (const p of paths) await rt.state.put({ ...newRecord(spec(ids(p, r)), Date.now()), state: 'running' }, null)

const ts = Date.now() - 60_000
const events = (experimentId: string): TelemetryEvent[] =>
  Array.from({ length: N }, (_, i) => ({
    eventId: `${experimentId}-${i}`, ts, experimentId, variant: i % 2 ? 'treatment' : 'control', unitId: `u-${i % 10_007}`,
    service: 'checkout', metric: 'conversion', value: (i % 7) / 7, attributes: { region: i % 3 ? 'eu' : 'us' },
  }))

function prepare(p: Path, r: number): unknown[] {
  const evs = events(ids(p, r))
  const now = Date.now()
  const chunks: unknown[] = []
  for (let i = 0; i < N; i += CHUNK) {
    const part = evs.slice(i, i + CHUNK)
    if (p === 'engine') chunks.push(part.map((e) => JSON.stringify(toEventRow(e, now))).join('\n'))
    else if (p === 'lines') chunks.push(part.map((e, k) => ({ line: i + k, raw: JSON.stringify(e) })))
    else chunks.push(part.map((e) => JSON.stringify(e)).join('\n'))
  }
  return chunks
}

function post(body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/events', method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function send(p: Path, id: string, c: unknown, k: number): Promise<void> {
  const token = `bench-${id}-${k}`
  if (p === 'engine') await rt.warehouse.command(`INSERT INTO events SETTINGS insert_deduplication_token='${token}' FORMAT JSONEachRow\n${c as string}`)
  else if (p === 'lines') {
    const got = await rt.ingest.ingestLines(c as Array<{ line: number; raw: string }>, { source: 'bench', dedupToken: token })
    if (got.rejections.length > 0) throw new Error(`lines: ${got.rejections[0]!.reason}`)
  } else {
    const res = await post(c as string, p === 'httpKey' ? { 'idempotency-key': token } : {})
    const body = JSON.parse(res.text) as { accepted?: number; rejected?: number }
    if (res.status !== 200 || body.rejected !== 0) throw new Error(`${p}: ${res.status} ${res.text.slice(0, 300)}`)
  }
}

const count = async (x: string) => Number((await rt.warehouse.select<{ n: string }>('SELECT count() AS n FROM events WHERE experiment_id = {x:String}', { x }))[0]!.n)

const { load, summary } = await runRounds({ paths, events: N, prepare, send: (p, r, c, k) => send(p, ids(p, r), c, k), count: (p, r) => count(ids(p, r)) }, ROUNDS)
agent.destroy()
await app.close()
await rt.stop()
rmSync(dataDir, { recursive: true, force: true })
console.log(JSON.stringify({ events: N, chunk: CHUNK, rounds: ROUNDS, socket: true, groupCommitRows, loadAvg1m: load }))
for (const o of summary) console.log(JSON.stringify(o))
