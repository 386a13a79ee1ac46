/**
 * Verdict produced → assign API reflecting it, p50/p99.
 *
 *   export "$(bash scripts/services/kafka.sh start | tail -1)" "$(bash scripts/services/redis.sh start | tail -1)"
 *   npm run build && npx tsx bench/verdict-to-assign.ts [experiments]
 *
 * Distributed: separate api, worker and controller processes (`runway serve --role …`),
 * Kafka and Redis on 127.0.0.1. For each of N running experiments, a pause verdict is
 * produced to runway.verdicts; the clock starts when the broker acknowledged it and
 * stops when GET /v1/assign (polled every 2 ms) answers "not exposed" for a unit that
 * was exposed. The path measured: Kafka → controller group → Redis CAS write →
 * Redis pub/sub → the api's gate cache → HTTP. (Embedded, the controller and gate share
 * one process and memory, so the verdict is visible to the next assign call.)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { KafkaBus } from '../src/adapters/bus/kafka-bus.js'
import { ENGINE_VERSION, type Verdict } from '../src/domain/verdict.js'
import { TOPICS } from '../src/ports/bus.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const N = Number(process.argv[2] ?? 40)
const brokers = process.env.KAFKA_BROKERS
const redis = process.env.REDIS_URL
if (!brokers || !redis) throw new Error('set KAFKA_BROKERS and REDIS_URL (scripts/services/kafka.sh start, scripts/services/redis.sh start)')

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!

function serve(role: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [`${ROOT}bin/runway.js`, 'serve', '--role', role], { env: { ...process.env, RUNWAY_LOG_LEVEL: 'warn', ...env }, stdio: 'ignore' })
}

async function json(url: string, init?: RequestInit): Promise<any> {
  return (await fetch(url, init)).json()
}

const spec = (id: string) => ({
  id,
  layer: id,
  owner: 'bench',
  hypothesis: 'bench',
  variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
  metrics: { primary: { name: 'm' }, guardrails: [{ name: 'g', direction: 'decrease' }] },
  evaluation: { interval: '1h' },
})

/** Enqueues N experiments, waits until they run, and finds one exposed unit of each. */
async function prepare(api: string, prefix: string): Promise<Array<{ id: string; unit: string }>> {
  const ids = Array.from({ length: N }, (_, i) => `${prefix}-${i}`)
  for (const id of ids) await fetch(`${api}/v1/experiments`, { method: 'POST', body: JSON.stringify(spec(id)), headers: { 'content-type': 'application/json' } })
  for (let i = 0; i < 300; i++) {
    const list = (await json(`${api}/v1/experiments`)).experiments as Array<{ id: string; state: string }>
    if (ids.every((id) => list.find((e) => e.id === id)?.state === 'running')) break
    await sleep(100)
  }
  return Promise.all(
    ids.map(async (id) => {
      for (let u = 0; ; u++) if ((await json(`${api}/v1/assign?experiment=${id}&unit=u${u}`)).exposed) return { id, unit: `u${u}` }
    }),
  )
}

async function measure(api: string, targets: Array<{ id: string; unit: string }>, publish: (v: Verdict) => Promise<void>): Promise<number[]> {
  const latencies: number[] = []
  for (const t of targets) {
    const v: Verdict = {
      id: randomUUID(), experimentId: t.id, seq: 1_000_000, decision: 'pause', step: 0,
      reasons: [{ code: 'SRM', message: 'bench', numbers: {} }],
      window: { from: Date.now(), to: Date.now() }, evaluatedAt: Date.now(), engineVersion: ENGINE_VERSION, needsApproval: false,
    }
    await publish(v)
    const t0 = performance.now()
    for (let i = 0; i < 5_000; i++) {
      if (!(await json(`${api}/v1/assign?experiment=${t.id}&unit=${t.unit}`)).exposed) break
      await sleep(2)
    }
    latencies.push(performance.now() - t0)
  }
  return latencies
}

async function distributed(): Promise<number[]> {
  const run = randomUUID().slice(0, 6)
  const port = await freePort()
  const api = `http://127.0.0.1:${port}`
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-'))
  const env = { KAFKA_BROKERS: brokers!, REDIS_URL: redis!, RUNWAY_TOPIC_PREFIX: `b${run}.`, RUNWAY_REDIS_PREFIX: `b${run}`, RUNWAY_SCHEDULE_INTERVAL: '200ms' }
  const procs = [serve('api', { ...env, RUNWAY_PORT: String(port), RUNWAY_DATA_DIR: dir, RUNWAY_CLICKHOUSE_HTTP_WRITABLE: '1' })]
  for (let i = 0; i < 300 && !(await fetch(`${api}/healthz`).then((r) => r.ok, () => false)); i++) await sleep(100)
  const warehouse = { CLICKHOUSE_URL: `http://default@127.0.0.1:${port}/clickhouse`, RUNWAY_PORT: '0' }
  procs.push(serve('worker', { ...env, ...warehouse }), serve('controller', { ...env, ...warehouse }))
  const bus = new KafkaBus({ brokers: brokers!.split(','), clientId: 'bench', topicPrefix: `b${run}.`, log: pino({ level: 'silent' }) })
  try {
    await sleep(5_000)
    const targets = await prepare(api, `vd${run}`)
    return await measure(api, targets, (v) => bus.publish(TOPICS.verdicts, v.experimentId, v))
  } finally {
    await bus.close()
    for (const p of procs) p.kill('SIGTERM')
    await sleep(1_000)
    rmSync(dir, { recursive: true, force: true })
  }
}

const report = (name: string, xs: number[]) =>
  console.log(`${name.padEnd(12)} n=${xs.length}  p50=${percentile(xs, 50).toFixed(1)} ms  p99=${percentile(xs, 99).toFixed(1)} ms  max=${Math.max(...xs).toFixed(1)} ms`)

const d = await distributed()
report('distributed', d)
