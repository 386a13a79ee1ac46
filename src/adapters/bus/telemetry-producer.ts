import type { Producer } from 'kafkajs'
import { TOPICS } from '../../ports/bus.js'
import { TELEMETRY_DLQ, createKafka, createProducer, ensureTopics, once, type KafkaConnection } from './kafka-common.js'

export interface TelemetryProducerOptions extends KafkaConnection {
  /** Partitions for the telemetry topics if this producer has to create them. Default 3. */
  partitions?: number
  /** Messages per produce request. Default 1,000. */
  chunk?: number
}

export interface TelemetryProducer {
  /** Resolves once the broker acknowledged every event (acks=-1). */
  sendTelemetry(events: ReadonlyArray<Record<string, unknown>>): Promise<void>
  close(): Promise<void>
}

/**
 * For services emitting telemetry onto `runway.telemetry`. Events are keyed by
 * experiment and unit, so one unit's events stay in order while load spreads
 * over partitions. Validation happens at the consumer (the same as HTTP ingest).
 */
export function createTelemetryProducer(options: TelemetryProducerOptions): TelemetryProducer {
  const { kafka } = createKafka(options)
  const topic = (options.topicPrefix ?? '') + TOPICS.telemetry
  const producer: Producer = createProducer(kafka)
  const admin = kafka.admin()
  const connect = once(async () => {
    await admin.connect()
    await ensureTopics(admin, [topic, (options.topicPrefix ?? '') + TELEMETRY_DLQ], options.partitions ?? 3)
    await producer.connect()
  })
  const size = options.chunk ?? 1_000
  return {
    async sendTelemetry(events) {
      await connect()
      for (let i = 0; i < events.length; i += size) {
        const messages = events.slice(i, i + size).map((e) => ({ key: `${String(e.experimentId ?? '')}/${String(e.unitId ?? '')}`, value: JSON.stringify(e) }))
        await producer.send({ topic, acks: -1, messages })
      }
    },
    async close() {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()])
    },
  }
}
