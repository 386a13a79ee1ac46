/**
 * Scheduler at scale on the embedded default, with the real HTTP server.
 *
 *   npx tsx bench/schedule.ts [queued] [ticks]
 *
 * `queued` (default 10,000) queued experiments spread over 50 layers (5 namespaces ×
 * 10 layers) with 200 running ones are written straight into the state store (the
 * bench measures scheduling, not enqueueing). The policy file is a realistic one:
 * quotas per team and namespace, a freeze window in force in one namespace, a
 * weekly freeze that is not, and an SLO on two services (so the error-budget gate
 * queries the warehouse). Then `ticks` (default 5) scheduling ticks run back to back
 * while a client on its own thread sends GET /healthz one after another (each with
 * a 60 s timeout) and times each request → response. Afterwards GET /v1/queue is
 * timed 5 times. Prints tick times (the first one starts what fits, ≈ 200 starts with
 * their ledger writes; later ones start nothing new), the longest event-loop stall
 * (perf_hooks.monitorEventLoopDelay), healthz p50/p99/max and how many answered.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import pino from 'pino'
import { buildServer } from '../src/api/server.js'
import { loadConfig } from '../src/config.js'
import { ExperimentSpecSchema } from '../src/domain/experiment.js'
import { type ExperimentRecord, newRecord } from '../src/domain/experiment-record.js'
import { PolicyConfigSchema } from '../src/domain/policy-config.js'
import { createRuntime, embeddedPorts } from '../src/services/runtime.js'

const QUEUED = Number(process.argv[2] ?? 10_000)
const TICKS = Number(process.argv[3] ?? 5)
const RUNNING = 200
const NAMESPACES = ['ns-0', 'ns-1', 'ns-2', 'ns-3', 'ns-4']
const LAYERS_PER_NS = 10
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!

const spec = (id: string, i: number, priority: number, trafficShare: number) => ({
  id, namespace: NAMESPACES[i % 5], layer: `layer-${Math.floor(i / 5) % LAYERS_PER_NS}`, priority, trafficShare,
  owner: `team-${i % 7}/someone`, hypothesis: 'bench', services: i % 3 === 0 ? ['checkout'] : ['search'],
  variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
  metrics: { primary: { name: 'm' }, guardrails: [{ name: 'g', direction: 'decrease' }] },
})

const now = Date.now()
const policy = PolicyConfigSchema.parse({
  defaults: {
    quotas: { runningPerTeam: 30, runningPerNamespace: 200 },
    freezes: [{ name: 'sundays-at-3', weekly: { days: ['sun'], from: '03:00', to: '03:01' } }],
  },
  namespaces: {
    'ns-4': { freezes: [{ name: 'release', start: new Date(now - 3_600_000).toISOString(), end: new Date(now + 86_400_000).toISOString() }] },
  },
  slos: { checkout: { metric: 'checkout_error', objective: 0.999 }, search: { metric: 'search_error', objective: 0.99 } },
})

/** The caller: GET /healthz one after another until told to stop. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads')
let stop = false
parentPort.on('message', () => { stop = true })
;(async () => {
  const times = []
  let failed = 0
  while (!stop) {
    const t0 = performance.now()
    try {
      const res = await fetch(workerData.url, { signal: AbortSignal.timeout(60000) })
      await res.text()
      if (res.status === 200) times.push(performance.now() - t0)
      else failed++
    } catch { failed++ }
  }
  parentPort.postMessage({ times, failed })
})()
`

const dir = mkdtempSync(join(tmpdir(), 'runway-bench-sched-'))
const log = pino({ level: 'silent' })
const config = loadConfig({}, { dataDir: dir, logLevel: 'silent', scheduleIntervalMs: 3_600_000, policy })
const rt = createRuntime(config, await embeddedPorts(config, log), log)
await rt.start()
const app = buildServer(rt)
await app.listen({ host: '127.0.0.1', port: 0 })
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
try {
  const t0 = performance.now()
  for (let i = 0; i < RUNNING; i++) {
    const r = newRecord(ExperimentSpecSchema.parse(spec(`run-${i}`, i, 100, 10)), now - 3_600_000)
    const slot = Math.floor(i / 50)
    const running: ExperimentRecord = { ...r, state: 'running', version: 1, startedAt: now - 3_600_000, stepStartedAt: now - 3_600_000, allocation: { start: slot * 1000, size: 1000 } }
    await rt.state.put(running, null)
  }
  for (let i = 0; i < QUEUED; i++) {
    const r = newRecord(ExperimentSpecSchema.parse(spec(`q-${i}`, i, i % 300, [5, 10, 20, 50][i % 4]!)), now - (QUEUED - i) * 1000)
    await rt.state.put({ ...r, state: 'queued', version: 1 }, null)
  }
  console.log(`loaded ${RUNNING} running + ${QUEUED} queued in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

  const worker = new Worker(CLIENT, { eval: true, workerData: { url: `${base}/healthz` } })
  const result = new Promise<{ times: number[]; failed: number }>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  // How long the event loop was kept from other work (sampled every 10 ms).
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  // The client warms up; the longest stall with no tick running is the server's own baseline.
  await new Promise((r) => setTimeout(r, 3000))
  console.log(`no tick running (3 s): longest event-loop stall ${(loopDelay.max / 1e6).toFixed(0)} ms`)
  loopDelay.reset()
  const ticks: number[] = []
  const loopDelays: number[] = []
  let started = 0
  for (let k = 0; k < TICKS; k++) {
    const t = performance.now()
    started += (await rt.queue.scheduleTick()).filter((e) => e.to === 'running').length
    ticks.push(performance.now() - t)
    loopDelays.push(loopDelay.max / 1e6)
    console.log(`tick ${k + 1}: ${ticks[k]!.toFixed(0)} ms, longest event-loop stall ${loopDelays[k]!.toFixed(0)} ms`)
    loopDelay.reset()
  }
  await new Promise((r) => setTimeout(r, 200))
  worker.postMessage('stop')
  const { times, failed } = await result
  await worker.terminate()

  const views: number[] = []
  let waiting = 0
  for (let k = 0; k < 5; k++) {
    const t = performance.now()
    const res = await fetch(`${base}/v1/queue`)
    const body = (await res.json()) as { waiting: unknown[] }
    views.push(performance.now() - t)
    waiting = body.waiting.length
  }
  console.log(`queued=${QUEUED} running=${RUNNING} layers=50 ticks=${TICKS} started=${started}`)
  console.log(`tick: first=${ticks[0]!.toFixed(0)} ms  later p50=${pct(ticks.slice(1), 50).toFixed(0)} ms  later max=${Math.max(...ticks.slice(1)).toFixed(0)} ms  longest event-loop stall ${Math.max(...loopDelays).toFixed(0)} ms`)
  console.log(`healthz during ticks: n=${times.length} failed=${failed}  p50=${pct(times, 50).toFixed(2)} ms  p99=${pct(times, 99).toFixed(2)} ms  max=${Math.max(...times).toFixed(2)} ms`)
  console.log(`GET /v1/queue (${waiting} waiting): p50=${pct(views, 50).toFixed(0)} ms  max=${Math.max(...views).toFixed(0)} ms`)
} finally {
  await app.close()
  await rt.stop()
  rmSync(dir, { recursive: true, force: true })
}
