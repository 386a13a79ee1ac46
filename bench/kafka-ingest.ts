/**
 * Benchmark: telemetry from Kafka into the warehouse (KafkaTelemetryConsumer: fetch,
 * validate, insert with a dedup token, commit) beside the same events inserted straight
 * into the engine, in one run on one data dir; then what the recovery look-up (by event id)
 * costs per chunk. Needs a broker:
 *   eval "$(bash scripts/services/kafka.sh start)" && KAFKA_BROKERS=... npx tsx bench/kafka-ingest.ts [events]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { KafkaTelemetryConsumer } from '../src/adapters/bus/kafka-telemetry-consumer.js'
import { createTelemetryProducer } from '../src/adapters/bus/telemetry-producer.js'
import { rangeOnRecord } from '../src/adapters/bus/telemetry-recovery.js'
import { SystemClock } from '../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../src/adapters/state/memory-state.js'
import { embeddedWarehouse } from '../src/adapters/warehouse/clickhouse-warehouse.js'
import { newRecord } from '../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../src/domain/experiment.js'
import { type TelemetryEvent, toEventRow } from '../src/domain/telemetry.js'
import { IngestService } from '../src/services/ingest.js'
import { migrate } from '../src/services/migrate.js'

const brokersEnv = process.env.KAFKA_BROKERS
if (!brokersEnv) {
  console.error('KAFKA_BROKERS is not set: run `bash scripts/services/kafka.sh start` and export the KAFKA_BROKERS it prints')
  process.exit(1)
}
const brokers = brokersEnv.split(',')
const N = Number(process.argv[2] ?? 200_000)
const CHUNK = 5_000
const log = pino({ level: 'error' })
const dir = mkdtempSync(join(tmpdir(), 'runway-bench-kafka-'))
const warehouse = embeddedWarehouse(dir)
await migrate(warehouse)

const tag = Math.random().toString(36).slice(2, 8)
const spec = (id: string) =>
  ExperimentSpecSchema.parse({
    id, owner: 'bench', hypothesis: 'throughput', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
    rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics: { primary: { name: 'conversion', direction: 'increase' } },
  })
const state = new MemoryStateStore()
for (const id of [`bk-${tag}`, `bd-${tag}`, `bv-${tag}`]) await state.put({ ...newRecord(spec(id), Date.now()), state: 'running' }, null)
const ingest = new IngestService({ warehouse, state, clock: new SystemClock(), log, limits: { maxBytes: 1e12, maxEvents: 1e9 } })

const ts = Date.now() - 60_000
const events = (experimentId: string) =>
  Array.from({ length: N }, (_, i) => ({
    eventId: `${experimentId}-${i}`, ts, experimentId, variant: i % 2 ? 'treatment' : 'control', unitId: `u-${i % 10_007}`,
    service: 'checkout', metric: 'conversion', value: (i % 7) / 7, attributes: { region: i % 3 ? 'eu' : 'us' },
  }))
const count = async (x: string) => Number((await warehouse.select<{ n: string }>('SELECT count() AS n FROM events WHERE experiment_id = {x:String}', { x }))[0]!.n)
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000)

// Warm-up (untimed): the first inserts also pay for the engine's and the JIT's start.
const warm = events(`bw-${tag}`).slice(0, 20_000) as TelemetryEvent[]
for (let i = 0; i < warm.length; i += CHUNK) await warehouse.insert('events', warm.slice(i, i + CHUNK).map((e) => toEventRow(e, Date.now())))

// 1. Straight into the engine: the rows ingest would store, 5,000 per insert; no Kafka, no validation. Half
// of them now and half after the Kafka phase, so a burst of the machine's load during one phase does not
// decide the ratio alone (the phases cannot take turns chunk by chunk as in bench/ingest.ts).
const direct = events(`bd-${tag}`) as TelemetryEvent[]
const directPart = async (from: number, to: number): Promise<number> => {
  const t0 = performance.now()
  for (let i = from; i < to; i += CHUNK) {
    const now = Date.now()
    await warehouse.insert('events', direct.slice(i, Math.min(i + CHUNK, to)).map((e) => toEventRow(e, now)), { dedupToken: `bench-direct-${tag}-${i}` })
  }
  return performance.now() - t0
}
const HALF = Math.floor(N / 2 / CHUNK) * CHUNK
let directMs = await directPart(0, HALF)

// 2. The same validation and insert as the Kafka path (IngestService.ingestLines) without Kafka.
const lines = events(`bv-${tag}`).map((e, i) => ({ line: i, raw: JSON.stringify(e) }))
let t = performance.now()
for (let i = 0; i < N; i += CHUNK) await ingest.ingestLines(lines.slice(i, i + CHUNK), { source: 'bench', dedupToken: `bench-validated-${tag}-${i}` })
const validatedMs = performance.now() - t
if ((await count(`bv-${tag}`)) !== N) throw new Error('validated insert lost rows')

// 3. Through Kafka: produce first (timed separately), then consume from a fresh group.
const prefix = `bench${tag}.`
const producer = createTelemetryProducer({ brokers, clientId: 'runway-bench', topicPrefix: prefix, log, partitions: 3 })
t = performance.now()
await producer.sendTelemetry(events(`bk-${tag}`))
const produceMs = performance.now() - t
await producer.close()

const consumer = new KafkaTelemetryConsumer({ brokers, clientId: 'runway-bench', topicPrefix: prefix, groupId: `bench-${tag}`, ingest, warehouse, log, maxChunk: CHUNK })
t = performance.now()
await consumer.start()
const joinedMs = performance.now() - t
const deadline = Date.now() + 600_000
while (consumer.stats.accepted < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
const kafkaMs = performance.now() - t
await consumer.stop()
const stored = await count(`bk-${tag}`)
const directFirstHalfMs = directMs
directMs += await directPart(HALF, N)
if ((await count(`bd-${tag}`)) !== N) throw new Error('direct insert lost rows')

// 4. What the by-id path adds to a chunk (only the first after a restart or rebalance, or after a
// failed insert, takes it): the look-up of a 5,000-message range whose events are all stored, and of one with none stored.
const LOOKUPS = 5
const lookup = async (experimentId: string) => {
  const ls = events(experimentId).map((e, i) => ({ line: i, raw: JSON.stringify(e) }))
  const t0 = performance.now()
  let found = 0
  for (let k = 0; k < LOOKUPS; k++) {
    const r = await rangeOnRecord(warehouse, { topic: `${prefix}runway.telemetry`, partition: 0, from: BigInt(k * CHUNK), to: BigInt((k + 1) * CHUNK - 1) }, ls.slice(k * CHUNK, (k + 1) * CHUNK))
    found += r.storedEvents
  }
  return { msPerChunk: Math.round((performance.now() - t0) / LOOKUPS), found }
}
const lookupStored = await lookup(`bk-${tag}`)
const lookupMissing = await lookup(`bm-${tag}`)
if (lookupStored.found !== LOOKUPS * CHUNK || lookupMissing.found !== 0) throw new Error(`look-up found ${lookupStored.found} and ${lookupMissing.found}`)
await warehouse.close()
rmSync(dir, { recursive: true, force: true })

const result = {
  events: N,
  direct: { ms: Math.round(directMs), eventsPerSec: rate(N, directMs), halvesEventsPerSec: [rate(HALF, directFirstHalfMs), rate(N - HALF, directMs - directFirstHalfMs)] },
  validatedNoKafka: { ms: Math.round(validatedMs), eventsPerSec: rate(N, validatedMs) },
  produce: { ms: Math.round(produceMs), eventsPerSec: rate(N, produceMs) },
  kafkaToWarehouse: { ms: Math.round(kafkaMs), joinMs: Math.round(joinedMs), eventsPerSec: rate(N, kafkaMs), afterJoinEventsPerSec: rate(N, kafkaMs - joinedMs), chunks: consumer.stats.chunks, stored },
  recoveryLookup: { eventsPerChunk: CHUNK, allStoredMs: lookupStored.msPerChunk, noneStoredMs: lookupMissing.msPerChunk, fastPathChunkMs: Math.round((kafkaMs - joinedMs) / consumer.stats.chunks) },
  ratioKafkaToDirect: Number((rate(N, kafkaMs) / rate(N, directMs)).toFixed(3)),
  // Without the consumer's start (connect, subscribe, group join), which a running consumer pays once.
  ratioAfterJoinToDirect: Number((rate(N, kafkaMs - joinedMs) / rate(N, directMs)).toFixed(3)),
  ratioKafkaToValidated: Number((rate(N, kafkaMs) / rate(N, validatedMs)).toFixed(3)),
}
console.log(JSON.stringify(result, null, 2))
if (stored !== N) process.exit(1)
