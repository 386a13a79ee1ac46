import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { MemoryBus } from '../adapters/bus/memory-bus.js'
import { SystemClock } from '../adapters/clock/system-clock.js'
import { InProcessJobs } from '../adapters/jobs/in-process-jobs.js'
import { MemoryStateStore } from '../adapters/state/memory-state.js'
import { chdbRawSql } from '../adapters/warehouse/chdb-raw-sql.js'
import { embeddedWarehouse } from '../adapters/warehouse/clickhouse-warehouse.js'
import type { RunwayConfig } from '../config.js'
import type { LifecycleEvent } from '../domain/lifecycle.js'
import { DEFAULT_POLICY_CONTEXT } from '../domain/policy.js'
import { type Bus, TOPICS } from '../ports/bus.js'
import type { Clock } from '../ports/clock.js'
import type { Jobs } from '../ports/jobs.js'
import type { StateStore } from '../ports/state-store.js'
import type { RawSql } from '../ports/sql-endpoint.js'
import type { Warehouse } from '../ports/warehouse.js'
import { Controller } from './controller.js'
import { EvaluateService } from './evaluate.js'
import { GateService } from './gate.js'
import { IngestService } from './ingest.js'
import { migrate } from './migrate.js'
import { QueueService } from './queue.js'
import { rebuildState } from './rebuild.js'

export interface Ports {
  warehouse: Warehouse
  /** Raw SQL for the ClickHouse-compatible HTTP endpoint (embedded warehouse only). */
  rawSql?: RawSql
  bus: Bus
  jobs: Jobs
  state: StateStore
  clock: Clock
}

export interface Runtime extends Ports {
  config: RunwayConfig
  log: Logger
  queue: QueueService
  ingest: IngestService
  gate: GateService
  evaluator: EvaluateService
  controller: Controller
  /** Migrates, rebuilds state, subscribes the controller and starts the jobs. */
  start(): Promise<void>
  stop(): Promise<void>
}

export const evaluationScheduleId = (experimentId: string) => `evaluate-${experimentId}`

export function createLogger(config: RunwayConfig): Logger {
  return pino({ level: config.logLevel }, pino.destination(2))
}

/** The embedded default: chDB under dataDir, in-process bus, jobs and state. */
export function embeddedPorts(config: RunwayConfig, log: Logger, clock: Clock = new SystemClock()): Ports {
  return {
    warehouse: embeddedWarehouse(join(config.dataDir, 'warehouse')),
    rawSql: chdbRawSql({
      path: join(config.dataDir, 'warehouse'),
      maxConcurrent: config.clickhouseHttp.maxConcurrent,
      enforcedSettings: config.clickhouseHttp.maxExecutionSeconds > 0 ? { max_execution_time: config.clickhouseHttp.maxExecutionSeconds } : {},
    }),
    bus: new MemoryBus((err, message, group) => log.error({ err, topic: message.topic, key: message.key, group }, 'bus handler failed')),
    jobs: new InProcessJobs(clock, (err, job) => log.error({ err, job }, 'job failed')),
    state: new MemoryStateStore(),
    clock,
  }
}

/** Wires services over the given ports; nothing below here asks which deployment it is. */
export function createRuntime(config: RunwayConfig, ports: Ports, log: Logger): Runtime {
  const { warehouse, bus, jobs, state, clock } = ports
  const queue = new QueueService({ state, warehouse, bus, clock, policy: DEFAULT_POLICY_CONTEXT, log })
  const ingest = new IngestService({ warehouse, state, clock, log, limits: config.ingest })
  const gate = new GateService(state)
  const evaluator = new EvaluateService({ warehouse, state, bus, clock, log, queue })
  const controller = new Controller(queue, clock, log)
  const subscriptions: Array<{ close(): Promise<void> }> = []

  /** Evaluation runs while an experiment is running, and stops when it leaves. */
  async function syncSchedule(experimentId: string): Promise<void> {
    const r = await state.get(experimentId)
    if (r && r.state === 'running') {
      await jobs.upsertSchedule(evaluationScheduleId(experimentId), 'evaluate-experiment', r.spec.evaluation.interval, { experimentId })
    } else {
      await jobs.removeSchedule(evaluationScheduleId(experimentId))
    }
  }

  return {
    ...ports,
    config,
    log,
    queue,
    ingest,
    gate,
    evaluator,
    controller,
    async start() {
      const m = await migrate(warehouse, (line) => log.info(line))
      if (m.applied.length > 0) log.info({ applied: m.applied }, 'migrations applied')
      const n = await rebuildState(warehouse, state)
      log.info({ experiments: n }, 'state rebuilt from the ledger')
      jobs.register('evaluate-experiment', async (data) => {
        await evaluator.evaluate(String(data.experimentId))
      })
      jobs.register('schedule-queue', async () => {
        await queue.scheduleTick()
      })
      subscriptions.push(await bus.subscribe(TOPICS.verdicts, 'controller', async (m) => void (await controller.handle(m.value))))
      subscriptions.push(
        await bus.subscribe(TOPICS.lifecycle, 'evaluation-scheduler', async (m) => {
          const event = m.value as LifecycleEvent
          if (event.from !== event.to) await syncSchedule(event.experimentId)
        }),
      )
      for (const r of await state.list()) await syncSchedule(r.spec.id)
      await jobs.upsertSchedule('schedule-queue', 'schedule-queue', config.scheduleIntervalMs, {})
    },
    async stop() {
      for (const s of subscriptions.splice(0)) await s.close()
      await jobs.close()
      await bus.close()
      // Running SQL-endpoint queries finish first: closing a session mid-query aborts the engine.
      await ports.rawSql?.close()
      await warehouse.close()
    },
  }
}
