/**
 * The Kafka telemetry consumer in its own process, so a test can kill it with
 * SIGKILL (chDB also allows one data dir per process: the parent never opens this one
 * while a child runs). Writes JSON lines on stdout.
 *
 *   consume: CHILD_DATA_DIR, KAFKA_BROKERS, CHILD_TOPIC_PREFIX, CHILD_GROUP, CHILD_EXPERIMENT,
 *            CHILD_EXPECTED (exit once the group has no lag and this many events are stored),
 *            CHILD_MAX_CHUNK, CHILD_PAUSE_AFTER_INSERT_MS (a window between insert and commit
 *            for the test to kill in; prints {"inserted": token} when it opens)
 *   count:   CHILD_DATA_DIR, CHILD_EXPERIMENT → {"events", "distinct", "dead"}
 */
import { pino } from 'pino'
import { Kafka, logLevel } from 'kafkajs'
import { KafkaTelemetryConsumer } from '../../src/adapters/bus/kafka-telemetry-consumer.js'
import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { TOPICS } from '../../src/ports/bus.js'
import { IngestService, type SourceLine } from '../../src/services/ingest.js'
import { migrate } from '../../src/services/migrate.js'
import { runningRecord, specFixture } from './fixtures.js'

const env = (name: string) => {
  const v = process.env[name]
  if (v === undefined) throw new Error(`${name} is not set`)
  return v
}
const say = (line: Record<string, unknown>) => process.stdout.write(JSON.stringify(line) + '\n')
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const experiment = env('CHILD_EXPERIMENT')
const warehouse = embeddedWarehouse(env('CHILD_DATA_DIR'))
await migrate(warehouse)

async function counts() {
  const [e] = await warehouse.select<{ n: string; d: string }>('SELECT count() AS n, uniqExact(event_id) AS d FROM events WHERE experiment_id = {x:String}', { x: experiment })
  const [dead] = await warehouse.select<{ n: string }>("SELECT count() AS n FROM dead_letters WHERE source = 'kafka'")
  return { events: Number(e!.n), distinct: Number(e!.d), dead: Number(dead!.n) }
}

if (process.argv[2] === 'count') {
  say(await counts())
  await warehouse.close()
  process.exit(0)
}

const brokers = env('KAFKA_BROKERS').split(',')
const prefix = env('CHILD_TOPIC_PREFIX')
const group = env('CHILD_GROUP')
const expected = Number(env('CHILD_EXPECTED'))
const pauseMs = Number(process.env.CHILD_PAUSE_AFTER_INSERT_MS ?? 0)
const log = pino({ level: 'warn' }, pino.destination(2)) // logs on stderr; stdout carries the protocol

const state = new MemoryStateStore()
await state.put(runningRecord(specFixture({ id: experiment })), null)
const ingest = new IngestService({ warehouse, state, clock: new SystemClock(), log, limits: { maxBytes: 1e9, maxEvents: 1e9 } })
if (pauseMs > 0) {
  // Fault injection in the test harness only: hold the window between insert and commit open.
  const original = ingest.ingestLines.bind(ingest)
  ingest.ingestLines = async (lines: ReadonlyArray<SourceLine>, options: { source: string; dedupToken: string }) => {
    const result = await original(lines, options)
    say({ inserted: options.dedupToken })
    await sleep(pauseMs)
    return result
  }
}
const consumer = new KafkaTelemetryConsumer({ brokers, clientId: 'runway-test-child', topicPrefix: prefix, groupId: group, ingest, log, maxChunk: Number(process.env.CHILD_MAX_CHUNK ?? 1000), sessionTimeoutMs: 6_000 })
await consumer.start()
say({ started: true })

// Lag is measured against the broker: "done" means every produced message is committed.
const admin = new Kafka({ clientId: 'runway-test-child-lag', brokers, logLevel: logLevel.NOTHING }).admin()
await admin.connect()
const topic = prefix + TOPICS.telemetry
const deadline = Date.now() + 120_000
for (;;) {
  const ends = await admin.fetchTopicOffsets(topic)
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] })
  const lag = ends.reduce((sum, p) => {
    const c = committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? '-1'
    return sum + Number(p.high) - Math.max(0, Number(c))
  }, 0)
  const now = await counts()
  say({ progress: true, lag, ...consumer.stats, ...now })
  if (lag === 0 && now.events >= expected) break
  if (Date.now() > deadline) {
    say({ timeout: true, lag, ...now })
    process.exitCode = 1
    break
  }
  await sleep(250)
}
await admin.disconnect()
await consumer.stop()
await warehouse.close()
say({ done: true })
process.exit()
