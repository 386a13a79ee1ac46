import { Kafka, logLevel, Partitioners, type Admin, type LogEntry, type Producer } from 'kafkajs'
import { pino, type Logger } from 'pino'

/** Where the telemetry consumer puts messages ingest refused (with the reason). */
export const TELEMETRY_DLQ = 'runway.telemetry.dlq'

export interface KafkaConnection {
  brokers: string[]
  clientId: string
  /** Prepended to every topic name, so tests (or tenants) sharing a broker stay apart. */
  topicPrefix?: string
  log?: Logger
}

/** kafkajs logs through pino, so broker trouble shows up in Runway's own log. */
export function createKafka({ brokers, clientId, log }: KafkaConnection): { kafka: Kafka; log: Logger } {
  const logger = log ?? pino({ level: 'warn' })
  const kafka = new Kafka({
    clientId,
    brokers,
    // Bounded: a broker that stays away fails the call instead of hanging it forever.
    retry: { initialRetryTime: 100, maxRetryTime: 3_000, retries: 12 },
    connectionTimeout: 3_000,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log
      const fields = { kafka: entry.namespace, ...extra }
      // Per-request errors (rebalancing, leader moved) are retried by kafkajs and a
      // real failure reaches the caller, so they are debug detail, not alarms.
      if (entry.namespace === 'Connection' || message.startsWith('Limiting retries for the idempotent producer')) logger.debug(fields, message)
      else if (entry.level === logLevel.ERROR) logger.error(fields, message)
      else if (entry.level === logLevel.WARN) logger.warn(fields, message)
      else logger.debug(fields, message)
    },
  })
  return { kafka, log: logger }
}

/**
 * The one producer setup: idempotent, one request in flight (a retried send cannot
 * overtake the next, so order per key holds), topics never auto-created, and
 * kafkajs' default partitioner chosen explicitly. The bounded client retry is
 * deliberate (a dead broker fails the call); kafkajs warns that this limits its
 * exactly-once guarantee, which Runway does not rely on: the warehouse dedups by token.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner })
}

/**
 * Creates the topics that are missing; existing ones are left as they are.
 * Brokers run with auto-creation off, so a typo in a topic name fails loudly.
 */
export async function ensureTopics(admin: Admin, topics: string[], partitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics())
  const missing = topics.filter((t) => !existing.has(t))
  // Listed is not ready: a topic another process has just created may have no leaders yet.
  if (missing.length === 0) return waitForLeaders(admin, topics)
  try {
    await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true })
  } catch (error) {
    // Another process may have created them in between: that is success too, once they have leaders.
    const now = new Set(await admin.listTopics())
    if (!missing.every((t) => now.has(t))) throw error
  }
  await waitForLeaders(admin, topics)
}

/**
 * A topic another process has just created is listed before its partitions have leaders;
 * subscribing then fails with "This server does not host this topic-partition". Bounded.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ready = await admin
      .fetchTopicMetadata({ topics })
      .then((m) => m.topics.length === topics.length && m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
      .catch(() => false)
    if (ready) return
    if (Date.now() >= deadline) throw new Error(`Kafka topics ${topics.join(', ')} have no partition leaders after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Runs `fn` once and shares its promise; a failure lets the next caller try again. */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined
  return () => {
    pending ??= fn().catch((error: unknown) => {
      pending = undefined
      throw error
    })
    return pending
  }
}
