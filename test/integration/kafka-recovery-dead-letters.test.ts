import { Kafka, logLevel } from 'kafkajs'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ensureTopics } from '../../src/adapters/bus/kafka-common.js'
import { KafkaTelemetryConsumer } from '../../src/adapters/bus/kafka-telemetry-consumer.js'
import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { TOPICS } from '../../src/ports/bus.js'
import { IngestService } from '../../src/services/ingest.js'
import { eventually, uid } from '../contract/helpers.js'
import { FailingOnceWarehouse } from '../support/failing-once-warehouse.js'
import { runningRecord, specFixture } from '../support/fixtures.js'
import { migratedWarehouse } from '../support/migrated-warehouse.js'
import { requireKafka } from '../support/services.js'

/**
 * Dead letters of a range that is replayed after a failed insert: each refused message
 * (a partition and an offset) is stored exactly once, including one that carries the
 * event id of a stored event and two refused messages with the same bytes.
 */
const brokers = requireKafka().split(',')
const log = pino({ level: 'fatal' })
const engine = migratedWarehouse('runway-kafka-dead-')
const state = new MemoryStateStore()

const TS = Date.now() - 60_000
const event = (experimentId: string, i: number) => ({ eventId: `${experimentId}-${i}`, ts: TS, experimentId, variant: i % 2 === 0 ? 'control' : 'treatment', unitId: `u-${i % 97}`, metric: 'conversion', outcome: i % 3 === 0 })

describe('Kafka dead letters across a replayed range', () => {
  const cases = [
    { table: 'events', mode: 'stored' },
    { table: 'dead_letters', mode: 'stored' },
    { table: 'dead_letters', mode: 'token-only' },
  ] as const
  for (const { table, mode } of cases) {
    it(`the ${table} insert ${mode === 'stored' ? 'stored, its answer lost' : 'with only its token recorded'}: every refused offset dead-lettered once, every event once`, async () => {
      const x = `kd-${uid()}`
      await state.put(runningRecord(specFixture({ id: x })), null)
      const prefix = `d${uid()}.`
      const topic = prefix + TOPICS.telemetry
      const kafka = new Kafka({ clientId: 'runway-test', brokers, logLevel: logLevel.NOTHING })
      const admin = kafka.admin()
      await admin.connect()
      await ensureTopics(admin, [topic], 1)
      const good = 500
      const values: string[] = Array.from({ length: good }, (_, i) => JSON.stringify(event(x, i)))
      // A refused resend of a good event's id (unknown variant), and two refused messages with the same bytes.
      values.splice(100, 0, JSON.stringify({ ...event(x, 7), variant: 'ghost' }))
      values.splice(200, 0, '{"eventId": "torn"')
      values.splice(300, 0, '{"eventId": "torn"')
      const refusedAt = [100, 200, 300]
      const producer = kafka.producer()
      await producer.connect()
      await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) })
      await producer.disconnect()
      const real = engine()
      const failing = new FailingOnceWarehouse(real, table, mode)
      const ingest = new IngestService({ warehouse: failing, state, clock: new SystemClock(), log, limits: { maxBytes: 1e9, maxEvents: 1e9 } })
      const groupId = `g-${uid()}`
      const consumer = new KafkaTelemetryConsumer({ brokers, clientId: 'runway-test', topicPrefix: prefix, groupId, ingest, warehouse: real, log, maxChunk: 1_000 })
      await consumer.start()
      try {
        // Done when every offset is committed and the failed range was recovered.
        await eventually(async () => {
          const [c] = await admin.fetchOffsets({ groupId, topics: [topic] })
          expect(c!.partitions[0]!.offset).toBe(String(values.length))
          expect(consumer.stats.recoveredRanges).toBeGreaterThan(0)
        }, 90_000, 100)
      } finally {
        await consumer.stop()
        await admin.disconnect()
      }
      expect(failing.failures).toBe(1)
      const dead = await real.select<{ position: string; raw: string; reason: string }>(
        "SELECT toString(position) AS position, raw, reason FROM dead_letters WHERE source = 'kafka' AND startsWith(batch_id, {t:String}) ORDER BY position",
        { t: `${topic}/` },
      )
      expect(dead.map((d) => Number(d.position))).toEqual(refusedAt)
      expect(dead[0]!.reason).toMatch(/no variant "ghost"/)
      expect(dead[1]!.raw).toBe(dead[2]!.raw)
      const [e] = await real.select<{ n: string; d: string }>('SELECT count() AS n, uniqExact(event_id) AS d FROM events WHERE experiment_id = {x:String}', { x })
      expect({ events: Number(e!.n), distinct: Number(e!.d) }).toEqual({ events: good, distinct: good })
    }, 120_000)
  }
})
