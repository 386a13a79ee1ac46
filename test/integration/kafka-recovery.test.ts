import { Kafka, logLevel } from 'kafkajs'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { ensureTopics } from '../../src/adapters/bus/kafka-common.js'
import { KafkaTelemetryConsumer } from '../../src/adapters/bus/kafka-telemetry-consumer.js'
import { createTelemetryProducer } from '../../src/adapters/bus/telemetry-producer.js'
import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { TOPICS } from '../../src/ports/bus.js'
import { IngestService } from '../../src/services/ingest.js'
import { eventually, uid } from '../contract/helpers.js'
import { FailingOnceWarehouse } from '../support/failing-once-warehouse.js'
import { runningRecord, specFixture } from '../support/fixtures.js'
import { child, killChildren } from '../support/kafka-child-runner.js'
import { migratedWarehouse } from '../support/migrated-warehouse.js'
import { requireKafka } from '../support/services.js'
import { tempDirs } from '../support/temp-dir.js'

/**
 * Recovery of a Kafka range by event id, over a real broker and the real engine. The
 * state that token-only replay loses ("token recorded, rows absent": the engine records
 * an insert's dedup token before it commits the part, and a kill in between leaves the
 * token without the rows) is made in the engine itself, as the ledger journal's test
 * does: a row inserted under the token, then deleted, leaves the token recorded.
 */
const brokers = requireKafka().split(',')
const log = pino({ level: 'fatal' })
// Registered first, so the directories are removed last: after the children are killed.
const tempDir = tempDirs('runway-kafka-recovery-')
afterAll(() => killChildren())

const TS = Date.now() - 60_000
const event = (experimentId: string, i: number) => ({
  eventId: `${experimentId}-${i}`,
  ts: TS,
  experimentId,
  variant: i % 2 === 0 ? 'control' : 'treatment',
  unitId: `u-${i % 997}`,
  metric: 'revenue',
  value: (i % 13) + 0.5,
})

/** A one-partition topic, so the order of chunks (and of the kills) is known. */
async function onePartitionTopic(prefix: string): Promise<void> {
  const admin = new Kafka({ clientId: 'runway-test-admin', brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    // ensureTopics: a leader still being elected under load is not a failure (the topic exists; producers retry).
    await ensureTopics(admin, [prefix + TOPICS.telemetry], 1)
  } finally {
    await admin.disconnect()
  }
}

describe('Kafka telemetry recovery by event id', () => {
  it('token recorded, rows absent: a consumer killed between the intent commit and the insert, the token left recorded, and killed again mid-recovery, stores every event exactly once', async () => {
    const x = `kr-${uid()}`
    const prefix = `r${uid()}.`
    await onePartitionTopic(prefix)
    const good = 6_000
    const producer = createTelemetryProducer({ brokers, clientId: 'runway-test', topicPrefix: prefix, log })
    // Refused messages spread through the first chunks (unknown variant, not JSON).
    for (let k = 0; k < 6; k++) {
      await producer.sendTelemetry(Array.from({ length: 1_000 }, (_, i) => event(x, k * 1_000 + i)))
      await producer.sendTelemetry(Array.from({ length: 20 }, (_, i) => ({ ...event(x, 1_000_000 + k * 100 + i), variant: 'ghost' })))
    }
    await producer.close()
    const raw = new Kafka({ clientId: 'runway-test-raw', brokers, logLevel: logLevel.NOTHING }).producer()
    await raw.connect()
    await raw.send({ topic: prefix + TOPICS.telemetry, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ value: `{"eventId": "torn-${i}"` })) })
    await raw.disconnect()
    const bad = 6 * 20 + 30
    const env = { CHILD_DATA_DIR: tempDir(), CHILD_TOPIC_PREFIX: prefix, CHILD_GROUP: `g-${uid()}`, CHILD_EXPERIMENT: x, CHILD_EXPECTED: String(good), CHILD_MAX_CHUNK: '1000', CHILD_TS: String(TS) }

    // 1: the intent for [0, 999] is committed, the insert has not begun: killed there.
    const first = child({ ...env, CHILD_HOLD: 'before-insert' })
    const inserting = await first.waitFor((l) => typeof l.inserting === 'string', 60_000)
    await first.kill()
    const token = String(inserting.inserting)
    expect(token).toBe(`${prefix}${TOPICS.telemetry}/0/0-999`)

    // 2: what a kill between the engine's deduplication-log write and its part commit leaves.
    const plant = child({ ...env, CHILD_TOKEN: token }, 'plant')
    const planted = await plant.waitFor((l) => 'planted' in l, 60_000)
    // The real ingest path, retrying under the range's token, stores nothing: replay by token would lose [0, 999].
    expect(planted.probeStored).toBe(0)

    // 3: recovers [0, 699] by id (other chunk boundaries), and is killed after that insert, before its commit.
    const second = child({ ...env, CHILD_MAX_CHUNK: '700', CHILD_HOLD: 'after-insert' })
    const inserted = await second.waitFor((l) => typeof l.inserted === 'string', 60_000)
    await second.kill()
    expect(String(inserted.inserted)).toMatch(new RegExp(`/0/0-699/r[0-9a-z]+$`))
    expect(second.stderr()).toContain('writing what is missing by event id')

    // 4: [0, 999] is still on record as possibly stored: 0-699 are found, the rest is written; then the fast path.
    const third = child(env)
    await third.waitFor((l) => l.done === true, 120_000)
    expect(third.stderr()).toMatch(/"from":"0","to":"999".*"storedEvents":700,"deadLettered":0,"missing":300/)
    const counted = child(env, 'count')
    const c = await counted.waitFor((l) => 'events' in l, 60_000)
    console.info(`token-recorded test: after two kills and a recorded token without rows: ${String(c.events)} stored (${String(c.distinct)} distinct) of ${good}, ${String(c.dead)} dead letters of ${bad}, unit_metrics ${String(c.unitEvents)}`)
    expect(c).toMatchObject({ events: good, distinct: good, dead: bad, deadDistinct: bad, unitEvents: good })
    // unit_metrics is fed by its view from each events insert: the rows written by id are counted once.
    expect(Number(c.unitTotal)).toBeCloseTo(Number(c.eventTotal), 6)
    let expectedTotal = 0
    for (let i = 0; i < good; i++) expectedTotal += event(x, i).value
    expect(Number(c.eventTotal)).toBeCloseTo(expectedTotal, 6)
  }, 300_000)

  describe('in one process, an insert that fails', () => {
    // The real engine; one events insert fails the way a crash or a lost answer does (support/failing-once-warehouse.ts).
    const engine = migratedWarehouse('runway-kafka-recovery-')
    const state = new MemoryStateStore()

    for (const mode of ['stored', 'token-only'] as const) {
      it(`(${mode === 'stored' ? 'its rows stored, its answer lost' : 'its token recorded, its rows absent'}) is retried by event id: every event once`, async () => {
        const x = `kf-${uid()}`
        await state.put(runningRecord(specFixture({ id: x })), null)
        const prefix = `f${uid()}.`
        await onePartitionTopic(prefix)
        const total = 3_000
        const producer = createTelemetryProducer({ brokers, clientId: 'runway-test', topicPrefix: prefix, log })
        await producer.sendTelemetry(Array.from({ length: total }, (_, i) => event(x, i)))
        await producer.close()
        const real = engine()
        // The ghost row gets its own event id too, as this test's failing insert always did.
        const failing = new FailingOnceWarehouse(real, 'events', mode, { event_id: 'ghost' })
        const ingest = new IngestService({ warehouse: failing, state, clock: new SystemClock(), log, limits: { maxBytes: 1e9, maxEvents: 1e9 } })
        const consumer = new KafkaTelemetryConsumer({ brokers, clientId: 'runway-test', topicPrefix: prefix, groupId: `g-${uid()}`, ingest, warehouse: real, log, maxChunk: 1_000 })
        await consumer.start()
        const count = async () =>
          (await real.select<{ n: string; d: string; u: string }>(
            'SELECT (SELECT count() FROM events WHERE experiment_id = {x:String}) AS n, (SELECT uniqExact(event_id) FROM events WHERE experiment_id = {x:String}) AS d, (SELECT sum(events) FROM unit_metrics WHERE experiment_id = {x:String}) AS u',
            { x },
          ))[0]!
        try {
          await eventually(async () => expect(Number((await count()).d)).toBe(total), 90_000, 200)
          await eventually(() => expect(consumer.stats.recoveredRanges).toBeGreaterThan(0), 30_000, 100)
        } finally {
          await consumer.stop()
        }
        expect(failing.failures).toBe(1)
        const c = await count()
        expect({ events: Number(c.n), distinct: Number(c.d), unitEvents: Number(c.u) }).toEqual({ events: total, distinct: total, unitEvents: total })
        // What the failed attempt stored is found, not stored again; what it did not is written.
        expect(failing.failedRows).toBeGreaterThan(0)
        expect(consumer.stats.alreadyStored).toBe(mode === 'stored' ? failing.failedRows : 0)
      }, 180_000)
    }
  })
})
