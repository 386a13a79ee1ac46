import type { Admin, Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs'
import type { Logger } from 'pino'
import { TOPICS } from '../../ports/bus.js'
import type { Warehouse } from '../../ports/warehouse.js'
import type { IngestService, LinesResult, StoredCheck } from '../../services/ingest.js'
import { TELEMETRY_DLQ, createKafka, createProducer, ensureTopics, type KafkaConnection } from './kafka-common.js'
import { rangeOnRecord } from './telemetry-recovery.js'

export interface TelemetryConsumerOptions extends KafkaConnection {
  ingest: IngestService
  /** Read (never written) to find what a range that may have been cut short already stored. */
  warehouse: Pick<Warehouse, 'select'>
  /** Default '<topicPrefix>runway-telemetry-warehouse'. */
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
  /** Ranges written by what was missing (after a restart, a rebalance or a failed insert). */
  recoveredRanges: number
  /** Messages of those ranges found already stored (events by id, refusals by offset): not stored again. */
  alreadyStored: number
}

/**
 * Written as offset-commit metadata before a range is inserted: `runway-pending:<to>`
 * says offsets from the committed one up to `to` may already be stored.
 */
const INTENT = 'runway-pending:'

/**
 * Telemetry from Kafka into the warehouse, at least once and never counted twice.
 *
 * A partition's messages are stored in chunks. Before a chunk is inserted, the
 * highest offset it may leave stored is committed as offset metadata (the offset
 * stays at the chunk's first); the insert carries the token `topic/partition/from-to`;
 * then `to + 1` is committed. A chunk that may have been stored before (the
 * metadata found after a restart or rebalance, or an insert of this member that
 * failed) is written by what is missing (telemetry-recovery.ts): its events looked
 * up by id, its refusals by offset, the rest ingested under a token of that
 * attempt. The range's own token is not trusted there: the engine records a token
 * before it commits the part, so a kill in between leaves the token without the
 * rows, and a replay under it would be dropped. Everything else (the steady state)
 * takes the fast path, with no look-up.
 */
export class KafkaTelemetryConsumer {
  readonly stats: TelemetryConsumerStats = { chunks: 0, accepted: 0, deadLettered: 0, recoveredRanges: 0, alreadyStored: 0 }
  private readonly log: Logger
  private readonly admin: Admin
  private readonly producer: Producer
  private readonly consumer: Consumer
  private readonly groupId: string
  private readonly topic: string
  private readonly dlqTopic: string
  /** Next offset per partition that this member itself committed; anything else is checked for an intent. */
  private readonly next = new Map<number, bigint>()
  /** Per partition, the highest offset that may be stored past the committed one: up to it, chunks are written by id. */
  private readonly pending = new Map<number, bigint>()

  constructor(private readonly o: TelemetryConsumerOptions) {
    const { kafka, log } = createKafka(o)
    this.log = log
    // Prefixed like the topic, for the reason given in kafka-bus.ts (subscribe).
    this.groupId = o.groupId ?? `${o.topicPrefix ?? ''}runway-telemetry-warehouse`
    this.topic = (o.topicPrefix ?? '') + TOPICS.telemetry
    this.dlqTopic = (o.topicPrefix ?? '') + TELEMETRY_DLQ
    this.admin = kafka.admin()
    this.producer = createProducer(kafka)
    this.consumer = kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: 250,
      heartbeatInterval: 1_000,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      // Room for several whole chunks in one fetch: fewer round trips at full speed.
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
    // Not where this member's own last commit left off: a restart, a rebalance, or a retry after a failure.
    if (done === undefined || BigInt(messages[0]!.offset) !== done) await this.recoverIntent(partition)
    // A batch retried by kafkajs may start before what this member already committed.
    if (done !== undefined) messages = messages.filter((m) => BigInt(m.offset) >= done)
    const maxChunk = this.o.maxChunk ?? 5_000
    // Pipelining: a chunk on the fast path is validated while the one before it is inserted (the main
    // thread is idle then, waiting for the engine's threads). Inserts and commits stay one at a time and in
    // offset order; a chunk's insert starts only after the one before it is stored and committed.
    const flight = new OneInFlight()
    let i = 0
    try {
      while (i < messages.length && isRunning() && !isStale()) {
        const from = BigInt(messages[i]!.offset)
        let end = Math.min(messages.length, i + maxChunk)
        // A chunk in flight is on the fast path, and leaves nothing pending once stored (if it fails, nothing after it is written).
        let pending = flight.busy ? undefined : this.pending.get(partition)
        if (pending !== undefined && from > pending) {
          this.pending.delete(partition)
          pending = undefined
        }
        if (pending !== undefined) {
          // Cut at the end of what may be stored: past it, the fast path is safe again.
          const cut = messages.findIndex((m, j) => j >= i && BigInt(m.offset) > pending!)
          if (cut !== -1 && cut < end) end = cut
        }
        const chunk = messages.slice(i, end)
        const to = BigInt(chunk[chunk.length - 1]!.offset)
        i = end
        if (pending === undefined) {
          const lines = linesOf(chunk)
          const prepared = await this.o.ingest.prepareLines(lines, {})
          await flight.settle()
          if (!isRunning() || isStale()) break
          flight.start(async () => {
            // Kept in memory too: if the insert below fails, its retry must not trust the token either.
            this.pending.set(partition, to)
            await this.commit(partition, from, `${INTENT}${to}`)
            const result = await this.o.ingest.ingestLines(lines, { source: 'kafka', dedupToken: `${this.topic}/${partition}/${from}-${to}`, prepared })
            await this.sendDeadLetters(partition, chunk, result.rejections)
            this.counted(result)
            await this.commit(partition, to + 1n, null)
            this.pending.delete(partition)
            this.next.set(partition, to + 1n)
            resolveOffset(chunk[chunk.length - 1]!.offset)
            await heartbeat()
          })
          continue
        }
        const mayBeStored = pending > to ? pending : to
        this.pending.set(partition, mayBeStored)
        await this.commit(partition, from, `${INTENT}${mayBeStored}`)
        await this.storeMissing(partition, chunk, { from, to, mayBeStored })
        // Offsets past this chunk that an earlier attempt may have stored stay on record.
        const left = mayBeStored > to ? mayBeStored : null
        await this.commit(partition, to + 1n, left === null ? null : `${INTENT}${left}`)
        if (left === null) this.pending.delete(partition)
        this.next.set(partition, to + 1n)
        resolveOffset(chunk[chunk.length - 1]!.offset)
        await heartbeat()
      }
    } finally {
      // Never return (or throw) with an insert still running: kafkajs would fetch again, or retry the batch over it.
      await flight.settle()
    }
  }

  /** Reads back what a previous member (or attempt) recorded as possibly stored past its commit. */
  private async recoverIntent(partition: number): Promise<void> {
    const [committed] = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] })
    const p = committed?.partitions.find((x) => x.partition === partition)
    if (p?.metadata?.startsWith(INTENT) && p.offset !== '-1') this.pending.set(partition, BigInt(p.metadata.slice(INTENT.length)))
    // The committed offset has no intent: nothing past it was inserted (the intent is committed before any insert).
    else this.pending.delete(partition)
  }

  /** A chunk an earlier attempt may have stored, wholly, partly, or only as a recorded token: stores what is missing. */
  private async storeMissing(partition: number, chunk: KafkaMessage[], r: { from: bigint; to: bigint; mayBeStored: bigint }): Promise<void> {
    const lines = linesOf(chunk)
    const found = await rangeOnRecord(this.o.warehouse, { topic: this.topic, partition, from: r.from, to: r.to }, lines)
    this.log.warn(
      { topic: this.topic, partition, from: String(r.from), to: String(r.to), mayBeStored: String(r.mayBeStored), storedEvents: found.storedEvents, deadLettered: found.deadLettered.length, missing: found.missing.length },
      'telemetry: range may be partly stored; writing what is missing by event id',
    )
    // A token of this attempt only: the range's own may be recorded without its rows.
    const token = `${this.topic}/${partition}/${r.from}-${r.to}/r${Date.now().toString(36)}`
    // Every line not dead-lettered yet is validated again: a good one whose id is stored is skipped,
    // a refused one is dead-lettered even when it carries a stored event's id.
    const todo = new Set(found.toIngest.map((l) => l.line))
    const skipped = await this.store(partition, chunk.filter((m) => todo.has(Number(m.offset))), token, found.isStored)
    // Those refused before: the DLQ send comes after the inserts, so it may not have happened.
    await this.sendDeadLetters(partition, chunk, found.deadLettered)
    this.stats.recoveredRanges++
    this.stats.alreadyStored += skipped + found.deadLettered.length
  }

  private async commit(partition: number, offset: bigint, metadata: string | null): Promise<void> {
    await this.consumer.commitOffsets([{ topic: this.topic, partition, offset: offset.toString(), metadata }])
  }

  /** Validates and stores one chunk (refused messages to dead_letters and the DLQ topic; good events `alreadyStored` knows are skipped); answers how many it skipped. */
  private async store(partition: number, chunk: KafkaMessage[], token: string, alreadyStored?: StoredCheck): Promise<number> {
    if (chunk.length === 0) return 0
    const result = await this.o.ingest.ingestLines(linesOf(chunk), { source: 'kafka', dedupToken: token, ...(alreadyStored ? { alreadyStored } : {}) })
    await this.sendDeadLetters(partition, chunk, result.rejections)
    this.counted(result)
    return result.alreadyStored
  }

  private counted(result: LinesResult): void {
    this.stats.chunks++
    this.stats.accepted += result.accepted
    this.stats.deadLettered += result.rejections.length
  }

  /** Refusals onto the DLQ topic (at least once: a recovered range sends its refusals again), keyed and headed by where they came from. */
  private async sendDeadLetters(partition: number, chunk: KafkaMessage[], refused: ReadonlyArray<{ line: number; reason: string }>): Promise<void> {
    if (refused.length === 0) return
    const byOffset = new Map(chunk.map((m) => [Number(m.offset), m]))
    await this.producer.send({
      topic: this.dlqTopic,
      acks: -1,
      messages: refused.map(({ line, reason }) => {
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
}

/** A chunk's messages as lines numbered by offset. */
function linesOf(chunk: ReadonlyArray<KafkaMessage>): Array<{ line: number; raw: string }> {
  return chunk.map((m) => ({ line: Number(m.offset), raw: m.value?.toString('utf8') ?? '' }))
}

/**
 * At most one write running, started only after the one before it succeeded: the next one's
 * preparation overlaps it. A failed write's error is thrown by the next settle(), so nothing
 * after it is written.
 */
export class OneInFlight {
  private tail: Promise<{ error: unknown } | null> | null = null

  get busy(): boolean {
    return this.tail !== null
  }

  /** Starts `write`; call settle() first (a write never overlaps another). */
  start(write: () => Promise<void>): void {
    if (this.tail !== null) throw new Error('OneInFlight.start: a write is still in flight')
    // Caught at once, so a failure while the next chunk is being prepared is not an unhandled rejection.
    this.tail = write().then(
      () => null,
      (error: unknown) => ({ error }),
    )
  }

  /** Waits for the write in flight, if any; throws its error. */
  async settle(): Promise<void> {
    const tail = this.tail
    if (tail === null) return
    const outcome = await tail
    this.tail = null
    if (outcome !== null) throw outcome.error
  }
}
