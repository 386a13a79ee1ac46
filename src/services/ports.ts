import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { KafkaBus } from '../adapters/bus/kafka-bus.js'
import { MemoryBus } from '../adapters/bus/memory-bus.js'
import { SystemClock } from '../adapters/clock/system-clock.js'
import { BullmqJobs } from '../adapters/jobs/bullmq-jobs.js'
import { InProcessJobs } from '../adapters/jobs/in-process-jobs.js'
import { CachedReads } from '../adapters/state/cached-reads.js'
import { MemoryStateStore } from '../adapters/state/memory-state.js'
import { RedisStateStore, subscribeChanges } from '../adapters/state/redis-state.js'
import { chdbRawSql } from '../adapters/warehouse/chdb-raw-sql.js'
import { embeddedWarehouse, serverWarehouse } from '../adapters/warehouse/clickhouse-warehouse.js'
import { eventsJournalOptions } from '../adapters/warehouse/events-journal.js'
import { type JournalOptions, JournaledWarehouse } from '../adapters/warehouse/journaled-warehouse.js'
import type { RunwayConfig } from '../config.js'
import type { Bus } from '../ports/bus.js'
import type { Clock } from '../ports/clock.js'
import type { Jobs } from '../ports/jobs.js'
import type { RawSql } from '../ports/sql-endpoint.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import { EVENTS_BATCH_TOKEN, recentBatchTokens } from './ingest-group-tokens.js'

export interface Ports {
  warehouse: Warehouse
  /** Raw SQL for the ClickHouse-compatible HTTP endpoint (embedded warehouse only). */
  rawSql?: RawSql
  bus: Bus
  jobs: Jobs
  state: StateStore
  /** What the gate reads: the state itself, or a cache of it kept fresh by change notifications. */
  gateState: Pick<StateStore, 'get'>
  clock: Clock
  /** In-memory state is rebuilt from the ledger on start; shared state (Redis) is not. */
  rebuildOnStart: boolean
  /** Closes what the adapters do not own themselves (connections opened here). */
  closeExtra: () => Promise<void>
  /** The ledger journal in front of the embedded warehouse, when there is one (for /metrics). */
  journal?: { readonly pendingEntries: number }
  /** The events journal (RUNWAY_EVENTS_JOURNAL), when it is on. */
  eventsJournal?: { readonly pendingEntries: number }
  /** Change notifications of shared state ('*': maybe anything), where the state store sends them. */
  onStateChange?: (listener: (experimentId: string) => void) => void
}

/** Tables whose writes are on the control plane's hot path: the ledger (specs, transitions, chain heads). */
export const JOURNALED_TABLES = ['experiments', 'lifecycle', 'ledger_heads'] as const

const byExperiment = (row: Record<string, unknown>) => String(row.experiment_id)
/** How each ledger table finds the rows of a cut-short segment that are already stored (the keys its queries render). */
const journalRecovery = (): JournalOptions['recovery'] => ({
  experiments: { query: sqlQuery('journal-present-experiments'), idOf: (r) => String(r.id), keyOf: (r) => `${String(r.id)}/${String(r.revision)}` },
  lifecycle: { query: sqlQuery('journal-present-lifecycle'), idOf: byExperiment, keyOf: (r) => `${byExperiment(r)}/${String(r.seq)}` },
  ledger_heads: { query: sqlQuery('journal-present-ledger-heads'), idOf: byExperiment, keyOf: (r) => `${byExperiment(r)}/${String(r.seq)}` },
})

/**
 * The embedded warehouse under `<dataDir>/warehouse`, with the ledger journal
 * (`<dataDir>/ledger-journal`) in front unless it is turned off, and the events
 * journal (`<dataDir>/events-journal`) in front of that when it is turned on.
 * Whatever a stopped process left in either is written before the first read.
 */
export async function openEmbeddedWarehouse(config: Pick<RunwayConfig, 'dataDir' | 'ledgerJournal'> & Partial<Pick<RunwayConfig, 'eventsJournal'>>, log?: Logger): Promise<Warehouse> {
  const engine = embeddedWarehouse(join(config.dataDir, 'warehouse'))
  const ledger = await openJournal(engine, join(config.dataDir, 'ledger-journal'), config.ledgerJournal.enabled, {
    tables: JOURNALED_TABLES,
    flushDelayMs: config.ledgerJournal.flushMs,
    recovery: journalRecovery(),
  }, 'ledger', log)
  const events = config.eventsJournal ?? { enabled: false, flushMs: 50, maxPendingRows: 200_000 }
  return openJournal(ledger, join(config.dataDir, 'events-journal'), events.enabled, {
    // Read from the engine, not through a journal: nothing of this process is journaled yet, and a read would flush.
    ...eventsJournalOptions({ token: EVENTS_BATCH_TOKEN, recentTokens: () => recentBatchTokens(engine, Date.now()) }),
    flushDelayMs: events.flushMs,
    maxPendingRows: events.maxPendingRows,
  }, 'events', log)
}

/** A journal in front of `inner` when it is on; turned off, what an earlier process journaled is still written, once, before anything reads. */
async function openJournal(inner: Warehouse, dir: string, enabled: boolean, opts: Omit<JournalOptions, 'dir'>, name: string, log?: Logger): Promise<Warehouse> {
  if (!enabled && !existsSync(dir)) return inner
  const journaled = await JournaledWarehouse.open(inner, {
    ...opts,
    dir,
    onFlushError: (err, pending) => log?.error({ err, pending }, `${name} journal flush failed; retrying`),
    onWarning: (message) => log?.warn({ journal: dir }, message),
  })
  if (enabled) return journaled
  await journaled.flush()
  return inner
}

/** Every journal in front of the engine, outermost first (each flush writes into the next one). */
function journalsOf(warehouse: Warehouse): JournaledWarehouse[] {
  const out: JournaledWarehouse[] = []
  for (let w: Warehouse | undefined = warehouse; w instanceof JournaledWarehouse; w = w.innerWarehouse) out.push(w)
  return out
}

/**
 * Picks each port's adapter from the configuration: every external system that
 * is configured is used, everything else stays embedded. Nothing below the
 * services asks which deployment it is in.
 */
export async function createPorts(config: RunwayConfig, log: Logger, clock: Clock = new SystemClock()): Promise<Ports> {
  const closers: Array<() => Promise<unknown>> = []
  const changeListeners = new Set<(experimentId: string) => void>()
  const warehousePath = join(config.dataDir, 'warehouse')
  const warehouse = config.clickhouseUrl ? serverWarehouse(config.clickhouseUrl) : await openEmbeddedWarehouse(config, log)
  const journals = journalsOf(warehouse)
  const ledgerJournal = journals.find((j) => j.journals('lifecycle'))
  const eventsJournal = journals.find((j) => j.journals('events'))
  const rawSql = config.clickhouseUrl
    ? undefined
    : chdbRawSql({
        path: warehousePath,
        ...(journals.length > 0 ? { beforeQuery: async () => { for (const j of journals) await j.flush() } } : {}),
        maxConcurrent: config.clickhouseHttp.maxConcurrent,
        limits: config.clickhouseHttp,
      })
  const onBusError = (err: unknown, message: { topic: string; key: string }, group: string) =>
    log.error({ err, topic: message.topic, key: message.key, group }, 'bus handler failed')
  const bus: Bus = config.kafka
    ? new KafkaBus({
        brokers: config.kafka.brokers,
        clientId: `runway-${config.role}`,
        topicPrefix: config.kafka.topicPrefix,
        partitions: config.kafka.partitions,
        log: log.child({ component: 'kafka' }),
        onHandlerError: onBusError,
        onInvalid: (m) => log.error({ topic: m.topic, partition: m.partition, offset: m.offset, reason: m.reason }, 'undecodable bus message skipped'),
      })
    : new MemoryBus(onBusError)
  const onJobError = (err: unknown, job: { id: string; name: string }) => log.error({ err, job }, 'job failed')
  let state: StateStore
  let jobs: Jobs
  let gateState: Pick<StateStore, 'get'>
  if (config.redis) {
    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: null })
    const subscriber = new Redis(config.redis.url, { maxRetriesPerRequest: null })
    closers.push(() => redis.quit(), () => subscriber.quit())
    state = new RedisStateStore({ redis, prefix: config.redis.prefix })
    jobs = new BullmqJobs({ connection: config.redis.url, queueName: 'runway', prefix: config.redis.prefix, onError: onJobError })
    const cache = new CachedReads(state)
    const unsubscribe = await subscribeChanges(subscriber, config.redis.prefix, (id) => {
      cache.invalidate(id)
      for (const listener of changeListeners) listener(id)
    })
    // A reconnect may have missed notifications: start over.
    subscriber.on('ready', () => {
      cache.clear()
      for (const listener of changeListeners) listener('*')
    })
    closers.unshift(unsubscribe)
    gateState = cache
  } else {
    state = new MemoryStateStore()
    jobs = new InProcessJobs(clock, onJobError)
    gateState = state
  }
  return {
    warehouse,
    ...(rawSql ? { rawSql } : {}),
    bus,
    jobs,
    state,
    gateState,
    clock,
    rebuildOnStart: !config.redis,
    ...(ledgerJournal ? { journal: ledgerJournal } : {}),
    ...(eventsJournal ? { eventsJournal } : {}),
    ...(config.redis ? { onStateChange: (listener: (experimentId: string) => void) => void changeListeners.add(listener) } : {}),
    closeExtra: async () => {
      for (const close of closers) await close()
    },
  }
}
