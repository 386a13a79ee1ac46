import type { Admin, Consumer, KafkaMessage, Producer } from 'kafkajs'
import type { Logger } from 'pino'
import { TOPICS, type Bus, type BusHandler, type BusMessage, type Subscription, type Topic } from '../../ports/bus.js'
import { createKafka, createProducer, ensureTopics, once, type KafkaConnection } from './kafka-common.js'

/** A message that could not be decoded: kept, reported, and skipped (never lost silently). */
export interface InvalidMessage {
  topic: Topic
  group: string
  partition: number
  offset: string
  key: string
  raw: string | null
  reason: string
}

export interface KafkaBusOptions extends KafkaConnection {
  /** Partitions for topics this bus creates (existing topics keep theirs). Default 3. */
  partitions?: number
  /** Called for each message that is not JSON; the consumer then goes on. */
  onInvalid?: (message: InvalidMessage) => void | Promise<void>
  /** Called once a handler has failed every attempt; the message is then skipped. */
  onHandlerError?: (error: unknown, message: BusMessage, group: string) => void
  /** Extra attempts for a failing handler before it is skipped. Default 3. */
  handlerRetries?: number
  /**
   * Where a group with no committed offset starts. Default 'earliest': a group
   * that joins just after a publish still sees it (consumers are idempotent).
   */
  startFrom?: 'earliest' | 'latest'
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Bus on Kafka. Publishing resolves once every in-sync replica has the message
 * (acks=-1, idempotent producer), keyed so one key stays in one partition and in
 * order. Each subscription is a consumer in its group that commits a message's
 * offset only after its handler finished: delivery is at-least-once.
 */
export class KafkaBus implements Bus {
  private readonly kafka
  private readonly log: Logger
  private readonly prefix: string
  private readonly partitions: number
  private readonly admin: Admin
  private readonly producer: Producer
  private readonly consumers = new Set<Consumer>()
  private closed = false

  constructor(private readonly options: KafkaBusOptions) {
    const { kafka, log } = createKafka(options)
    this.kafka = kafka
    this.log = log
    this.prefix = options.topicPrefix ?? ''
    this.partitions = options.partitions ?? 3
    this.admin = kafka.admin()
    // One request in flight keeps a retried send from overtaking the next one (order per key).
    this.producer = createProducer(kafka)
  }

  /** Creates the bus topics that are missing; safe to call again. */
  readonly ensureTopics = once(async () => {
    await this.admin.connect()
    await ensureTopics(this.admin, Object.values(TOPICS).map((t) => this.topicName(t)), this.partitions)
  })

  private readonly connectProducer = once(async () => {
    await this.ensureTopics()
    await this.producer.connect()
  })

  topicName(topic: Topic): string {
    return this.prefix + topic
  }

  async publish(topic: Topic, key: string, value: unknown): Promise<void> {
    if (this.closed) throw new Error('bus is closed')
    const encoded = JSON.stringify(value)
    if (encoded === undefined) throw new TypeError(`cannot publish ${typeof value} on ${topic}: not JSON`)
    await this.connectProducer()
    await this.producer.send({ topic: this.topicName(topic), acks: -1, messages: [{ key, value: encoded }] })
  }

  async subscribe(topic: Topic, group: string, handler: BusHandler): Promise<Subscription> {
    if (this.closed) throw new Error('bus is closed')
    await this.ensureTopics()
    const consumer = this.kafka.consumer({
      // Prefixed like the topics: deployments sharing a broker must not share a group, since
      // kafkajs' round-robin assigner hands a member partitions of topics it did not subscribe
      // to, which it then drops, leaving them unconsumed.
      groupId: this.prefix + group,
      // Short polls and heartbeats: members notice a rebalance within a second, not five.
      maxWaitTimeInMs: 200,
      heartbeatInterval: 500,
      sessionTimeout: 10_000,
      allowAutoTopicCreation: false,
    })
    this.consumers.add(consumer)
    const name = this.topicName(topic)
    // kafkajs restarts a consumer after retriable errors; one it gives up on must not go unnoticed.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.log.error({ err: payload.error, topic: name, group }, 'bus consumer stopped after an error it will not retry')
    })
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [name], fromBeginning: (this.options.startFrom ?? 'earliest') === 'earliest' })
      // run() resolves once this member has joined the group and has its partitions.
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          await this.handle(topic, group, partition, message, handler)
          await consumer.commitOffsets([{ topic: name, partition, offset: (BigInt(message.offset) + 1n).toString() }])
        },
      })
    } catch (error) {
      this.consumers.delete(consumer)
      await consumer.disconnect().catch(() => {})
      throw error
    }
    return {
      close: async () => {
        if (!this.consumers.delete(consumer)) return
        await consumer.disconnect()
      },
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const consumers = [...this.consumers]
    this.consumers.clear()
    await Promise.allSettled(consumers.map((c) => c.disconnect()))
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()])
  }

  /** Decodes (each member its own copy) and runs the handler with bounded retries. */
  private async handle(topic: Topic, group: string, partition: number, message: KafkaMessage, handler: BusHandler): Promise<void> {
    const key = message.key?.toString('utf8') ?? ''
    const raw = message.value?.toString('utf8') ?? null
    let value: unknown
    try {
      if (raw === null) throw new Error('message has no value')
      value = JSON.parse(raw)
    } catch (error) {
      const invalid: InvalidMessage = { topic, group, partition, offset: message.offset, key, raw, reason: (error as Error).message }
      this.log.error({ topic: this.topicName(topic), group, partition, offset: message.offset, reason: invalid.reason }, 'bus message is not JSON; skipped')
      await this.options.onInvalid?.(invalid)
      return
    }
    const decoded: BusMessage = { topic, key, value }
    const retries = this.options.handlerRetries ?? 3
    for (let attempt = 0; ; attempt++) {
      try {
        // A retry gets a fresh copy: a handler that mutated the value and failed must not see its own edits.
        await handler(attempt === 0 ? decoded : { topic, key, value: JSON.parse(raw) as unknown })
        return
      } catch (error) {
        if (attempt >= retries) {
          this.log.error({ err: error, topic: this.topicName(topic), group, partition, offset: message.offset, attempts: attempt + 1 }, 'bus handler failed; message skipped')
          this.options.onHandlerError?.(error, decoded, group)
          return
        }
        this.log.warn({ err: error, topic: this.topicName(topic), group, partition, offset: message.offset, attempt: attempt + 1 }, 'bus handler failed; retrying')
        await sleep(50 * 2 ** attempt)
      }
    }
  }
}
