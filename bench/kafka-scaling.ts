/**
 * Benchmark (issue 16 item 5): the Kafka path with 6 partitions and 1, 2, 3 worker processes
 * in one consumer group. The parent produces the events once per worker count (fresh topic
 * prefix each time), starts the workers, and times from the first worker's join until the group
 * has stored every event. Each worker is its own process with its own embedded warehouse (chDB
 * holds a data directory per process); a deployment points them at one ClickHouse server.
 *   KAFKA_BROKERS=127.0.0.1:19092 npx tsx bench/kafka-scaling.ts [--events 200000] [--workers 1,2,3]
 * Per worker count it also prints each worker's CPU seconds over the timed window (/proc, all
 * threads) and the cores the group used (their sum over the wall time): where scaling stops.
 */
import { fork } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { KafkaTelemetryConsumer } from '../src/adapters/bus/kafka-telemetry-consumer.js'
import { createTelemetryProducer } from '../src/adapters/bus/telemetry-producer.js'
import { SystemClock } from '../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../src/adapters/state/memory-state.js'
import { embeddedWarehouse } from '../src/adapters/warehouse/clickhouse-warehouse.js'
import { newRecord } from '../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../src/domain/experiment.js'
import { IngestService } from '../src/services/ingest.js'
import { migrate } from '../src/services/migrate.js'

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean)
if (brokers.length === 0) {
  console.error('KAFKA_BROKERS is not set (e.g. 127.0.0.1:19092)')
  process.exit(1)
}
const { values: args } = parseArgs({ options: { events: { type: 'string', default: '200000' }, workers: { type: 'string', default: '1,2,3' }, worker: { type: 'string' }, experiment: { type: 'string' } } })
const PARTITIONS = 6

/** CPU seconds a process has used so far (user + system, all its threads: the embedded engine's too), from /proc. */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN
  }
}
const log = pino({ level: 'error' })
const spec = (id: string) =>
  ExperimentSpecSchema.parse({
    id, owner: 'bench', hypothesis: 'throughput', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
    rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics: { primary: { name: 'conversion', direction: 'increase' } },
  })

if (args.worker !== undefined) {
  // A worker: consume the prefix's topic in the group and report what it stored, twice a second.
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-kworker-'))
  const warehouse = embeddedWarehouse(dir)
  await migrate(warehouse)
  const state = new MemoryStateStore()
  await state.put({ ...newRecord(spec(args.experiment!), Date.now()), state: 'running' }, null)
  const ingest = new IngestService({ warehouse, state, clock: new SystemClock(), log, limits: { maxBytes: 1e12, maxEvents: 1e9 } })
  const consumer = new KafkaTelemetryConsumer({ brokers, clientId: 'runway-bench-scale', topicPrefix: args.worker, groupId: `g-${args.worker}`, ingest, warehouse, log, partitions: PARTITIONS, maxChunk: 5_000 })
  await consumer.start()
  process.send!({ joined: Date.now() })
  const timer = setInterval(() => process.send!({ accepted: consumer.stats.accepted }), 250)
  process.on('message', async () => {
    clearInterval(timer)
    await consumer.stop()
    await warehouse.close()
    rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  })
} else {
  const N = Number(args.events)
  const counts = args.workers.split(',').map(Number)
  const results: Array<{ workers: number; eventsPerSec: number; seconds: number; loadAvg1m: number; cpuSecondsPerWorker: number[]; coresUsed: number }> = []
  for (const w of counts) {
    const tag = Math.random().toString(36).slice(2, 8)
    const prefix = `bscale${tag}.`
    const experiment = `ks-${tag}`
    const producer = createTelemetryProducer({ brokers, clientId: 'runway-bench-scale', topicPrefix: prefix, log, partitions: PARTITIONS })
    const ts = Date.now() - 60_000
    for (let i = 0; i < N; i += 20_000) {
      await producer.sendTelemetry(Array.from({ length: Math.min(20_000, N - i) }, (_, k) => ({
        eventId: `${experiment}-${i + k}`, ts, experimentId: experiment, variant: (i + k) % 2 ? 'treatment' : 'control', unitId: `u-${(i + k) % 10_007}`,
        service: 'checkout', metric: 'conversion', value: ((i + k) % 7) / 7, attributes: { region: k % 3 ? 'eu' : 'us' },
      })))
    }
    await producer.close()
    const load = loadavg()[0]!
    const accepted = new Map<number, number>()
    let firstJoin = Infinity
    const children = Array.from({ length: w }, (_, k) => {
      const c = fork(fileURLToPath(import.meta.url), ['--worker', prefix, '--experiment', experiment], { execArgv: ['--import', 'tsx'] })
      c.on('message', (m: { joined?: number; accepted?: number }) => {
        if (m.joined !== undefined) firstJoin = Math.min(firstJoin, m.joined)
        if (m.accepted !== undefined) accepted.set(k, m.accepted)
      })
      return c
    })
    const total = () => [...accepted.values()].reduce((a, b) => a + b, 0)
    const deadline = Date.now() + 900_000
    // CPU from the first join (start-up and migrations are not counted) to the last event stored.
    while (firstJoin === Infinity && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const cpu0 = children.map((c) => cpuSeconds(c.pid!))
    while (total() < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    const cpu = children.map((c, k) => Number((cpuSeconds(c.pid!) - cpu0[k]!).toFixed(1)))
    const seconds = (Date.now() - firstJoin) / 1000
    for (const c of children) c.send('stop')
    await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))))
    if (total() !== N) throw new Error(`${w} worker(s) stored ${total()} of ${N}`)
    results.push({ workers: w, eventsPerSec: Math.round(N / seconds), seconds: Number(seconds.toFixed(1)), loadAvg1m: Number(load.toFixed(1)), cpuSecondsPerWorker: cpu, coresUsed: Number((cpu.reduce((a, b) => a + b, 0) / seconds).toFixed(2)) })
  }
  const one = results.find((r) => r.workers === 1)?.eventsPerSec
  console.log(JSON.stringify({ events: N, partitions: PARTITIONS, results: results.map((r) => ({ ...r, ratioToOneWorker: one ? Number((r.eventsPerSec / one).toFixed(2)) : null })) }, null, 2))
}
