/**
 * The Kafka telemetry consumer in its own process, so a test can kill it with
 * SIGKILL (chDB also allows one data dir per process: the parent never opens this one
 * while a child runs). Writes JSON lines on stdout.
 *
 *   consume: CHILD_DATA_DIR, KAFKA_BROKERS, CHILD_TOPIC_PREFIX, CHILD_GROUP, CHILD_EXPERIMENT,
 *            CHILD_EXPECTED (exit once the group has no lag and this many events are stored),
 *            CHILD_MAX_CHUNK, and at most one hold (fault injection: the first insert of a
 *            chunk is held until the test kills the child):
 *              CHILD_HOLD=after-insert  prints {"inserted": token} once the chunk is stored, before its commit
 *              CHILD_HOLD=before-insert prints {"inserting": token} after the intent commit, before the insert
 *   plant:   CHILD_DATA_DIR, CHILD_EXPERIMENT, CHILD_TOKEN, CHILD_TS (the events' time) → what a kill between the engine's
 *            deduplication-log write and its part commit leaves for the events insert of the
 *            chunk with that token: the token recorded, no rows. Prints {"planted", "probeStored"}
 *            (a retry under the token through the real ingest path, stored: must be 0).
 *   count:   CHILD_DATA_DIR, CHILD_EXPERIMENT → {"events", "distinct", "dead", "deadDistinct" (by partition and offset),
 *            "unitEvents", "unitTotal", "eventTotal"} (unit_metrics sums beside the same from events)
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
  const [e] = await warehouse.select<{ n: string; d: string; t: number }>('SELECT count() AS n, uniqExact(event_id) AS d, sum(value) AS t FROM events WHERE experiment_id = {x:String}', { x: experiment })
  // A refused message is (partition, offset): offsets repeat across partitions, so the offset alone
  // undercounts whenever two partitions' refusals share offsets (the batch id is '<topic>/<partition>/…').
  const [dead] = await warehouse.select<{ n: string; d: string }>("SELECT count() AS n, uniqExact(splitByChar('/', batch_id)[2], position) AS d FROM dead_letters WHERE source = 'kafka'")
  const [u] = await warehouse.select<{ n: string; t: number }>('SELECT sum(events) AS n, sum(total) AS t FROM unit_metrics WHERE experiment_id = {x:String}', { x: experiment })
  return { events: Number(e!.n), distinct: Number(e!.d), eventTotal: Number(e!.t), dead: Number(dead!.n), deadDistinct: Number(dead!.d), unitEvents: Number(u!.n), unitTotal: Number(u!.t) }
}

const state = new MemoryStateStore()
await state.put(runningRecord(specFixture({ id: experiment })), null)
const quiet = pino({ level: 'warn' }, pino.destination(2)) // logs on stderr; stdout carries the protocol
const ingest = new IngestService({ warehouse, state, clock: new SystemClock(), log: quiet, limits: { maxBytes: 1e9, maxEvents: 1e9 } })

if (process.argv[2] === 'plant') {
  const token = env('CHILD_TOKEN')
  const ghost = `${experiment}-ghost`
  // The events insert of a chunk carries `<token>-events` (IngestService.store). A ghost row in the
  // same month (the block id is the partition and the token) records the token; deleting the row
  // leaves the token recorded and no rows, as the kill would.
  await state.put(runningRecord(specFixture({ id: ghost })), null)
  const at = Number(process.env.CHILD_TS ?? Date.now())
  await ingest.ingestLines([{ line: 0, raw: JSON.stringify({ eventId: 'ghost', ts: at, experimentId: ghost, variant: 'control', unitId: 'g', metric: 'conversion', outcome: true }) }], { source: 'plant', dedupToken: token })
  await warehouse.command(`ALTER TABLE events DELETE WHERE experiment_id = '${ghost}' SETTINGS mutations_sync = 2`)
  // The real ingest path retrying under that token: the engine drops it.
  await ingest.ingestLines([{ line: 0, raw: JSON.stringify({ eventId: 'probe', ts: at, experimentId: experiment, variant: 'control', unitId: 'p', metric: 'conversion', outcome: true }) }], { source: 'kafka', dedupToken: token })
  const [p] = await warehouse.select<{ n: string }>("SELECT count() AS n FROM events WHERE experiment_id = {x:String} AND event_id = 'probe'", { x: experiment })
  say({ planted: token, probeStored: Number(p!.n) })
  await warehouse.close()
  process.exit(0)
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
const hold = process.env.CHILD_HOLD ?? ''
if (!['', 'after-insert', 'before-insert'].includes(hold)) throw new Error(`CHILD_HOLD must be after-insert or before-insert, not ${hold}`)
const log = quiet

if (hold) {
  // Fault injection in the test harness only: hold the window open until the test kills this process.
  const original = ingest.ingestLines.bind(ingest)
  const forever = () => new Promise<never>(() => setInterval(() => {}, 1_000))
  ingest.ingestLines = async (lines: ReadonlyArray<SourceLine>, options: { source: string; dedupToken: string }) => {
    if (hold === 'before-insert') {
      say({ inserting: options.dedupToken })
      return forever()
    }
    await original(lines, options)
    say({ inserted: options.dedupToken })
    return forever()
  }
}
const consumer = new KafkaTelemetryConsumer({ brokers, clientId: 'runway-test-child', topicPrefix: prefix, groupId: group, ingest, warehouse, log, maxChunk: Number(process.env.CHILD_MAX_CHUNK ?? 1000), sessionTimeoutMs: 6_000 })
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
