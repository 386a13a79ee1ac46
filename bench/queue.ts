/**
 * Queue benchmarks on the embedded default.
 *
 *   npx tsx bench/queue.ts [specs] [queued] [--no-journal]
 *
 * 1. Enqueue latency: `specs` (default 1,000) specs POSTed one after another to
 *    /v1/experiments of an embedded runway over real HTTP on 127.0.0.1; each timed
 *    from request to response (validation, policy, the ledger write). The client
 *    runs on its own thread, as a caller in another process would, so its own
 *    HTTP work does not stall the server's event loop. `--no-journal` writes the
 *    ledger straight to chDB (RUNWAY_LEDGER_JOURNAL=off), for comparison.
 * 2. Scheduling decision: planSchedule over `queued` (default 10,000) queued
 *    experiments spread over 50 layers with 200 running ones; 20 repetitions.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import pino from 'pino'
import { buildServer } from '../src/api/server.js'
import { loadConfig } from '../src/config.js'
import { ExperimentSpecSchema } from '../src/domain/experiment.js'
import { type ExperimentRecord, newRecord } from '../src/domain/experiment-record.js'
import { planSchedule } from '../src/domain/schedule.js'
import { createRuntime, embeddedPorts } from '../src/services/runtime.js'

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const SPECS = Number(args[0] ?? 1_000)
const QUEUED = Number(args[1] ?? 10_000)
const JOURNAL = !process.argv.includes('--no-journal')
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!
const spec = (id: string, layer: string, priority = 100, trafficShare = 100) => ({
  id, layer, priority, trafficShare, owner: 'bench', hypothesis: 'bench',
  variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
  metrics: { primary: { name: 'm' }, guardrails: [{ name: 'g', direction: 'decrease' }] },
})

/** The caller: POSTs the bodies one after another and times each request → response. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads')
;(async () => {
  const times = []
  for (const [i, body] of workerData.bodies.entries()) {
    const t0 = performance.now()
    const res = await fetch(workerData.url, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    await res.text()
    times.push(performance.now() - t0)
    if (res.status !== 201) throw new Error('enqueue ' + i + ' answered ' + res.status)
  }
  parentPort.postMessage(times)
})().catch((e) => { throw e })
`

async function enqueueLatency(): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-q-'))
  const log = pino({ level: 'silent' })
  const config = loadConfig({ RUNWAY_LEDGER_JOURNAL: JOURNAL ? 'on' : 'off' }, { dataDir: dir, logLevel: 'silent', scheduleIntervalMs: 3_600_000 })
  const rt = createRuntime(config, await embeddedPorts(config, log), log)
  await rt.start()
  const app = buildServer(rt)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/experiments`
  try {
    const bodies = Array.from({ length: SPECS }, (_, i) => JSON.stringify(spec(`bench-${i}`, `layer-${i % 20}`)))
    const worker = new Worker(CLIENT, { eval: true, workerData: { url, bodies } })
    const times = await new Promise<number[]>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    await worker.terminate()
    // Every acknowledged enqueue is in the ledger table (this read flushes the journal first).
    const stored = await rt.warehouse.select<{ c: string }>('SELECT count() AS c FROM lifecycle')
    if (Number(stored[0]!.c) !== SPECS) throw new Error(`expected ${SPECS} ledger entries, found ${stored[0]!.c}`)
    return times
  } finally {
    await app.close()
    await rt.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

function schedulingTime(): number[] {
  const now = Date.UTC(2026, 0, 1)
  const records: ExperimentRecord[] = []
  for (let i = 0; i < 200; i++) {
    const r = newRecord(ExperimentSpecSchema.parse(spec(`run-${i}`, `layer-${i % 50}`, 100, 10)), now - 1000)
    records.push({ ...r, state: 'running', allocation: { start: Math.floor(i / 50) * 1000, size: 1000 } })
  }
  for (let i = 0; i < QUEUED; i++) {
    const r = newRecord(ExperimentSpecSchema.parse(spec(`q-${i}`, `layer-${i % 50}`, i % 300, [5, 10, 20, 50][i % 4])), now - i * 1000)
    records.push({ ...r, state: 'queued' })
  }
  const times: number[] = []
  for (let k = 0; k < 20; k++) {
    const t0 = performance.now()
    planSchedule(records, { layerCapacity: () => 100, now })
    times.push(performance.now() - t0)
  }
  return times
}

const e = await enqueueLatency()
console.log(`enqueue (${SPECS} specs, HTTP, embedded, journal ${JOURNAL ? 'on' : 'off'}): p50=${pct(e, 50).toFixed(2)} ms  p99=${pct(e, 99).toFixed(2)} ms  max=${Math.max(...e).toFixed(2)} ms`)
const s = schedulingTime()
console.log(`scheduling decision (${QUEUED} queued, 200 running, 50 layers): p50=${pct(s, 50).toFixed(2)} ms  max=${Math.max(...s).toFixed(2)} ms`)
