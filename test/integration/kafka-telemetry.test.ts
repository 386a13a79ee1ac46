import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TELEMETRY_DLQ } from '../../src/adapters/bus/kafka-common.js'
import { KafkaTelemetryConsumer } from '../../src/adapters/bus/kafka-telemetry-consumer.js'
import { createTelemetryProducer } from '../../src/adapters/bus/telemetry-producer.js'
import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { type ClickHouseWarehouse, embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { TOPICS } from '../../src/ports/bus.js'
import { IngestService } from '../../src/services/ingest.js'
import { migrate } from '../../src/services/migrate.js'
import { eventually, uid } from '../contract/helpers.js'
import { runningRecord, specFixture } from '../support/fixtures.js'
import { child, killChildren } from '../support/kafka-child-runner.js'
import { requireKafka } from '../support/services.js'

const brokers = requireKafka().split(',')
const log = pino({ level: 'fatal' }) // kafkajs reports every retry during the broker restart
const root = fileURLToPath(new URL('../..', import.meta.url))
const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'runway-kafka-'))
  dirs.push(d)
  return d
}

let warehouse: ClickHouseWarehouse
const state = new MemoryStateStore()
let ingest: IngestService

beforeAll(async () => {
  warehouse = embeddedWarehouse(tempDir())
  await migrate(warehouse)
  ingest = new IngestService({ warehouse, state, clock: new SystemClock(), log, limits: { maxBytes: 1e9, maxEvents: 1e9 } })
})
afterAll(async () => {
  killChildren()
  await warehouse?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const TS = Date.now() - 60_000
const event = (experimentId: string, i: number) => ({
  eventId: `${experimentId}-${i}`,
  ts: TS,
  experimentId,
  variant: i % 2 === 0 ? 'control' : 'treatment',
  unitId: `u-${i % 997}`,
  metric: 'conversion',
  outcome: i % 3 === 0,
})
async function newExperiment(): Promise<string> {
  const id = `kx-${uid()}`
  await state.put(runningRecord(specFixture({ id })), null)
  return id
}
const countOf = async (sql: string, params: Record<string, string>) => Number((await warehouse.select<{ n: string }>(sql, params))[0]!.n)
const storedEvents = (x: string) => countOf('SELECT count() AS n FROM events WHERE experiment_id = {x:String}', { x })

/** Reads a whole topic from the start (a fresh group each time), bounded in time. */
async function readTopic(topic: string, expected: number, timeoutMs = 30_000) {
  const consumer = new Kafka({ clientId: 'runway-test-reader', brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `reader-${uid()}`, maxWaitTimeInMs: 200 })
  const seen: Array<{ value: string; headers: Record<string, string> }> = []
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]))
      seen.push({ value: message.value?.toString() ?? '', headers })
    },
  })
  try {
    await eventually(() => expect(seen.length).toBeGreaterThanOrEqual(expected), timeoutMs, 100)
  } finally {
    await consumer.disconnect()
  }
  return seen
}

const GOOD = 100_000
const BAD = 1_000

describe('Kafka telemetry → warehouse', () => {
  it('stores 100,000 good messages exactly and dead-letters 1,000 malformed ones mixed among them, with reasons, in the table and on the DLQ topic', async () => {
    const x = await newExperiment()
    const prefix = `t${uid()}.`
    const producer = createTelemetryProducer({ brokers, clientId: 'runway-test', topicPrefix: prefix, log })
    const raw = new Kafka({ clientId: 'runway-test-raw', brokers, logLevel: logLevel.NOTHING }).producer()
    await raw.connect()
    const good = Array.from({ length: GOOD }, (_, i) => event(x, i))
    const bad = Array.from({ length: BAD }, (_, i) =>
      i % 4 === 0 ? `{"eventId": "broken-${i}", ` // not JSON
        : i % 4 === 1 ? JSON.stringify({ ...event(x, 1_000_000 + i), variant: 'ghost' }) // unknown variant
          : i % 4 === 2 ? JSON.stringify({ ...event(x, 1_000_000 + i), experimentId: undefined }) // missing field
            : JSON.stringify({ ...event(x, 1_000_000 + i), colour: 'red' })) // unknown field
    // Malformed messages are spread through the stream, ten slices of good ones between them.
    for (let k = 0; k < 10; k++) {
      await producer.sendTelemetry(good.slice((k * GOOD) / 10, ((k + 1) * GOOD) / 10))
      await raw.send({ topic: prefix + TOPICS.telemetry, acks: -1, messages: bad.slice((k * BAD) / 10, ((k + 1) * BAD) / 10).map((value, i) => ({ key: `bad-${k}-${i}`, value })) })
    }

    const consumer = new KafkaTelemetryConsumer({ brokers, clientId: 'runway-test', topicPrefix: prefix, groupId: `g-${uid()}`, ingest, warehouse, log })
    await consumer.start()
    try {
      await eventually(async () => {
        expect(consumer.stats.accepted + consumer.stats.deadLettered).toBe(GOOD + BAD)
      }, 180_000, 250)
    } finally {
      await consumer.stop()
      await producer.close()
      await raw.disconnect()
    }
    expect(await storedEvents(x)).toBe(GOOD)
    expect(await countOf('SELECT uniqExact(event_id) AS n FROM events WHERE experiment_id = {x:String}', { x })).toBe(GOOD)
    const dead = await warehouse.select<{ reason: string; line: number; raw: string }>(
      `SELECT reason, line, raw FROM dead_letters WHERE source = 'kafka' AND startsWith(batch_id, {p:String})`, { p: prefix })
    expect(dead).toHaveLength(BAD)
    expect(dead.filter((d) => /invalid JSON/.test(d.reason))).toHaveLength(BAD / 4)
    expect(dead.filter((d) => /no variant "ghost"/.test(d.reason))).toHaveLength(BAD / 4)
    expect(dead.filter((d) => /experimentId/.test(d.reason))).toHaveLength(BAD / 4)
    expect(dead.filter((d) => /colour/.test(d.reason))).toHaveLength(BAD / 4)
    expect(new Set(dead.map((d) => d.raw))).toEqual(new Set(bad))

    const dlq = await readTopic(prefix + TELEMETRY_DLQ, BAD)
    expect(dlq).toHaveLength(BAD)
    for (const m of dlq) {
      expect(m.headers.reason).toBeTruthy()
      expect(JSON.parse(m.value)).toMatchObject({ reason: m.headers.reason, topic: prefix + TOPICS.telemetry })
    }
    expect(new Set(dlq.map((m) => JSON.parse(m.value).raw as string))).toEqual(new Set(bad))
  }, 300_000)

  it('a consumer killed with SIGKILL mid-batch and restarted stores every event exactly once (events, unit_metrics, dead letters)', async () => {
    const x = `kx-${uid()}`
    const prefix = `t${uid()}.`
    const total = 30_000
    const badCount = 300
    const producer = createTelemetryProducer({ brokers, clientId: 'runway-test', topicPrefix: prefix, log })
    await producer.sendTelemetry(Array.from({ length: total }, (_, i) => event(x, i)))
    // Refused messages too (unknown variant), so dead letters must come out exactly once as well.
    await producer.sendTelemetry(Array.from({ length: badCount }, (_, i) => ({ ...event(x, 1_000_000 + i), variant: 'ghost' })))
    await producer.close()
    const env = { CHILD_DATA_DIR: tempDir(), CHILD_TOPIC_PREFIX: prefix, CHILD_GROUP: `g-${uid()}`, CHILD_EXPERIMENT: x, CHILD_EXPECTED: String(total), CHILD_MAX_CHUNK: '1000' }

    // 1: killed at whatever point it has reached after a few thousand events.
    const first = child(env)
    const before = await first.waitFor((l) => Number(l.accepted ?? 0) >= 3_000 && Number(l.accepted) < total, 60_000)
    await first.kill()
    // 2: killed inside the window between an insert and its offset commit (held open until the kill).
    const second = child({ ...env, CHILD_HOLD: 'after-insert' })
    const inserted = await second.waitFor((l) => typeof l.inserted === 'string', 60_000)
    await second.kill()
    // 3: runs to the end with other chunk boundaries (as a fetch of a different shape would
    // give); the range the second one inserted without committing is found stored, by event id,
    // over two chunks of 700 and 300: the intent must keep [700, 999] on record past the first.
    const third = child({ ...env, CHILD_MAX_CHUNK: '700' })
    const done = await third.waitFor((l) => l.done === true, 120_000)
    expect(done).toBeTruthy()
    expect(third.stderr()).toContain('writing what is missing by event id')
    // The token is '<topic>/<partition>/<from>-<to>', or '…/<from>-<to>/r<attempt>' when the first
    // kill left that range pending and the second member's first insert was already a recovery.
    const from = /\/(\d+)-\d+(?:\/r[0-9a-z]+)?$/.exec(String(inserted.inserted))![1]
    expect(third.stderr()).toContain(`"from":"${from}"`)
    const last = third.lines().filter((l) => l.progress === true).pop()!
    expect(Number(last.alreadyStored)).toBeGreaterThan(0)

    const counted = child(env, 'count')
    const c = await counted.waitFor((l) => 'events' in l, 60_000)
    console.info(`kill -9 test: first child killed with ≥${String(before.events)} stored, second killed after inserting ${String(inserted.inserted)} uncommitted; after restart ${String(c.events)} stored, ${String(c.distinct)} distinct, of ${total}; the third found ${String(last.alreadyStored)} already stored`)
    expect(c).toMatchObject({ events: total, distinct: total, dead: badCount, deadDistinct: badCount, unitEvents: total })
    // unit_metrics (fed by its view from each events insert) agrees with events: nothing counted twice.
    expect(c.unitTotal).toBeCloseTo(Number(c.eventTotal), 6)
  }, 300_000)

  // Its own broker (same script, another port): restarting the shared one would break
  // whatever other test file is using it at the same time.
  it('survives a broker restart during ingestion without losing or doubling events', async () => {
    const faultPort = process.env.RUNWAY_TEST_KAFKA_FAULT_PORT ?? '19192'
    const script = (command: string) =>
      promisify(execFile)('bash', [join(root, 'scripts/services/kafka.sh'), command], { timeout: 120_000, env: { ...process.env, RUNWAY_TEST_KAFKA_PORT: faultPort } })
    const started = await script('start')
    const brokers = /KAFKA_BROKERS=(\S+)/.exec(started.stdout)![1]!.split(',')
    const x = await newExperiment()
    const prefix = `t${uid()}.`
    const total = 20_000
    const producer = createTelemetryProducer({ brokers, clientId: 'runway-test', topicPrefix: prefix, log })
    const consumer = new KafkaTelemetryConsumer({ brokers, clientId: 'runway-test', topicPrefix: prefix, groupId: `g-${uid()}`, ingest, warehouse, log, maxChunk: 500 })
    await consumer.start()
    const events = Array.from({ length: total }, (_, i) => event(x, i))
    // A steady trickle (50 sends of 400) that keeps going while the broker is down and back.
    let sent = 0
    const producing = (async () => {
      for (let i = 0; i < total; i += 400) {
        await producer.sendTelemetry(events.slice(i, i + 400)) // kafkajs retries through the outage
        sent = i + 400
        await new Promise((r) => setTimeout(r, 100))
      }
    })()
    let storedAtRestart = 0
    let restartMs = 0
    try {
      await eventually(() => expect(consumer.stats.accepted).toBeGreaterThanOrEqual(2_000), 30_000, 20)
      storedAtRestart = consumer.stats.accepted
      const t0 = Date.now()
      await script('restart')
      restartMs = Date.now() - t0
      expect(sent).toBeLessThan(total) // the restart really happened mid-stream
      await producing
      await eventually(async () => expect(await storedEvents(x)).toBeGreaterThanOrEqual(total), 90_000, 500)
    } finally {
      await producing.catch(() => {})
      await consumer.stop()
      await producer.close()
      await script('stop')
    }
    const stored = await storedEvents(x)
    const distinct = await countOf('SELECT uniqExact(event_id) AS n FROM events WHERE experiment_id = {x:String}', { x })
    console.info(`broker restart test: restart took ${restartMs} ms with ${storedAtRestart} of ${total} stored; after recovery ${stored} stored, ${distinct} distinct`)
    expect(stored).toBe(total)
    expect(distinct).toBe(total)
  }, 240_000)
})
