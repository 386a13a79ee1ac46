import type { Admin, Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs'
import type { Logger } from 'pino'
import { TOPICS } from '../../ports/bus.js'
import type { IngestService } from '../../services/ingest.js'
import { TELEMETRY_DLQ, createKafka, createProducer, ensureTopics, type KafkaConnection } from './kafka-common.js'

export interface TelemetryConsumerOptions extends KafkaConnection {
  ingest: IngestService
  /** Default 'runway-telemetry-warehouse'. */
  groupId?: string
  /** Partitions for the topics created here when missing. Default 3. */
  partitions?: number
  /** Most messages stored as one warehouse insert. Default 5,000. */
  maxChunk?: number
  /**
   * How long the broker waits for a silent member before handing its partitions
   * over; a member that crashed holds them this long. Default 30 s (broker minimum 6 s).
   */
  sessionTimeoutMs?: number
}

export interface TelemetryConsumerStats {
  chunks: number
  accepted: number
  deadLettered: number
}

/** Written as offset-commit metadata before a range is inserted; cleared by the commit after it. */
const INTENT = 'runway-pending:'
/** How many refetches may come back shorter than a pending range before giving up on replaying it exactly. */
const MAX_SHORT_REFETCHES = 20

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

interface Range {
  from: bigint
  to: bigint
}

/**
 * Telemetry from Kafka into the warehouse, at least once and never counted twice.
 *
 * A partition's messages are stored in chunks. Before a chunk is inserted, its
 * range [from, to] is committed as offset metadata (the offset stays `from`);
 * the insert carries the token `topic/partition/from-to`; then `to + 1` is
 * committed. A consumer that dies between insert and commit leaves the range
 * behind, so whoever resumes at `from` re-inserts exactly that range with the
 * same token, which the warehouse skips. Without the recorded range, a restart
 * could fetch a different batch and the token would not match.
 */
export class KafkaTelemetryConsumer {
  readonly stats: TelemetryConsumerStats = { chunks: 0, accepted: 0, deadLettered: 0 }
  private readonly log: Logger
  private readonly admin: Admin
  private readonly producer: Producer
  private readonly consumer: Consumer
  private readonly groupId: string
  private readonly topic: string
  private readonly dlqTopic: string
  /** Next offset per partition that this member itself committed; anything else is checked for an intent. */
  private readonly next = new Map<number, bigint>()
  private readonly intents = new Map<number, Range>()
  private readonly shortRefetches = new Map<number, number>()

  constructor(private readonly o: TelemetryConsumerOptions) {
    const { kafka, log } = createKafka(o)
    this.log = log
    this.groupId = o.groupId ?? 'runway-telemetry-warehouse'
    this.topic = (o.topicPrefix ?? '') + TOPICS.telemetry
    this.dlqTopic = (o.topicPrefix ?? '') + TELEMETRY_DLQ
    this.admin = kafka.admin()
    this.producer = createProducer(kafka)
    this.consumer = kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: 250,
      heartbeatInterval: 1_000,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      // Room for a whole chunk in one fetch, so a pending range is replayed in one piece.
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      allowAutoTopicCreation: false,
    })
    // After a rebalance, partitions may come back with commits made by another member.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.next.clear())
    // kafkajs restarts the consumer after retriable errors; one it gives up on must not go unnoticed.
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.log.error({ err: payload.error, topic: this.topic, group: this.groupId }, 'telemetry consumer stopped after an error it will not retry')
    })
  }

  async start(): Promise<void> {
    await this.admin.connect()
    await ensureTopics(this.admin, [this.topic, this.dlqTopic], this.o.partitions ?? 3)
    await this.producer.connect()
    await this.consumer.connect()
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true })
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(payload) })
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect()
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()])
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const partition = batch.partition
    let messages = batch.messages
    if (messages.length === 0) return
    const done = this.next.get(partition)
    if (done === undefined || BigInt(messages[0]!.offset) !== done) await this.recoverIntent(partition)
    // A batch retried by kafkajs may start before what this member already committed.
    if (done !== undefined) messages = messages.filter((m) => BigInt(m.offset) >= done)
    const maxChunk = this.o.maxChunk ?? 5_000
    let i = 0
    while (i < messages.length && isRunning() && !isStale()) {
      const from = BigInt(messages[i]!.offset)
      let end = Math.min(messages.length, i + maxChunk)
      const intent = this.intents.get(partition)
      if (intent && intent.from === from) {
        const cut = messages.findIndex((m, j) => j >= i && BigInt(m.offset) > intent.to)
        if (cut === -1 && BigInt(messages[messages.length - 1]!.offset) < intent.to) {
          if (this.waitForRange(partition, intent)) {
            await sleep(200) // then kafkajs fetches again from `from`, since nothing past it was resolved
            return
          }
        } else end = cut === -1 ? messages.length : cut
      }
      const chunk = messages.slice(i, end)
      const to = BigInt(chunk[chunk.length - 1]!.offset)
      // Kept in memory too: a batch kafkajs retries without a rejoin must cut the same range.
      this.intents.set(partition, { from, to })
      await this.commit(partition, from, `${INTENT}${to}`)
      await this.store(partition, chunk, `${this.topic}/${partition}/${from}-${to}`)
      await this.commit(partition, to + 1n, null)
      this.intents.delete(partition)
      this.shortRefetches.delete(partition)
      this.next.set(partition, to + 1n)
      resolveOffset(chunk[chunk.length - 1]!.offset)
      await heartbeat()
      i = end
    }
  }

  /** Reads back a range a previous member recorded and may have inserted without committing. */
  private async recoverIntent(partition: number): Promise<void> {
    const [committed] = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] })
    const p = committed?.partitions.find((x) => x.partition === partition)
    if (p?.metadata?.startsWith(INTENT) && p.offset !== '-1') {
      const range = { from: BigInt(p.offset), to: BigInt(p.metadata.slice(INTENT.length)) }
      this.intents.set(partition, range)
      this.log.warn({ topic: this.topic, partition, from: String(range.from), to: String(range.to) }, 'telemetry: replaying a range that may already be stored (same dedup token)')
    } else this.intents.delete(partition)
  }

  /** True to wait for a longer fetch; false (after a bounded number) to go on with a shorter range, loudly. */
  private waitForRange(partition: number, intent: Range): boolean {
    const n = (this.shortRefetches.get(partition) ?? 0) + 1
    this.shortRefetches.set(partition, n)
    if (n <= MAX_SHORT_REFETCHES) return true
    this.log.error({ topic: this.topic, partition, from: String(intent.from), to: String(intent.to) }, 'telemetry: pending range could not be refetched whole; storing a shorter range (may duplicate rows)')
    this.intents.delete(partition)
    return false
  }

  private async commit(partition: number, offset: bigint, metadata: string | null): Promise<void> {
    await this.consumer.commitOffsets([{ topic: this.topic, partition, offset: offset.toString(), metadata }])
  }

  /** Validates and stores one chunk; refused messages go to dead_letters and to the DLQ topic. */
  private async store(partition: number, chunk: KafkaMessage[], token: string): Promise<void> {
    const lines = chunk.map((m) => ({ line: Number(m.offset), raw: m.value?.toString('utf8') ?? '' }))
    const result = await this.o.ingest.ingestLines(lines, { source: 'kafka', dedupToken: token })
    if (result.rejections.length > 0) {
      const byOffset = new Map(chunk.map((m) => [Number(m.offset), m]))
      await this.producer.send({
        topic: this.dlqTopic,
        acks: -1,
        messages: result.rejections.map(({ line, reason }) => {
          const m = byOffset.get(line)!
          const raw = m.value?.toString('utf8') ?? ''
          return {
            key: m.key,
            value: JSON.stringify({ reason, topic: this.topic, partition, offset: m.offset, raw }),
            headers: { reason, 'source-topic': this.topic, 'source-partition': String(partition), 'source-offset': m.offset },
          }
        }),
      })
    }
    this.stats.chunks++
    this.stats.accepted += result.accepted
    this.stats.deadLettered += result.rejections.length
  }
}
