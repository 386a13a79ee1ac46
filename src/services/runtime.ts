import { AutoResumeService } from './auto-resume.js'
import pino, { type Logger } from 'pino'
import { KafkaTelemetryConsumer } from '../adapters/bus/kafka-telemetry-consumer.js'
import type { RunwayConfig } from '../config.js'
import { DEFAULT_HOUSEKEEPING, type HousekeepingPlan, planHousekeeping } from '../domain/housekeeping.js'
import { TOPICS } from '../ports/bus.js'
import type { Clock } from '../ports/clock.js'
import { Controller } from './controller.js'
import { EvaluateService } from './evaluate.js'
import { VerdictRefusals } from './refusals.js'
import { EVALUATE_CYCLE_SCHEDULE, EvaluateCycle, isLegacyEvaluationSchedule } from './evaluate-cycle.js'
import { IncrementalEvaluationReader } from './evaluate-incremental.js'
import { InterferenceService } from './interference.js'
import { GateService } from './gate.js'
import { GateConfigService } from './gate-config.js'
import { IngestService } from './ingest.js'
import { migrate } from './migrate.js'
import { PolicyService } from './policy.js'
import { createPorts, type Ports } from './ports.js'
import { QueueService } from './queue.js'
import { type QueueReport, queueReport } from './schedule-report.js'
import { ActionService } from './actions.js'
import { RunwayMetrics } from './metrics.js'
import { rebuildState } from './rebuild.js'
import { IncidentService } from './incidents.js'
import { NotifyService } from './notify.js'
import { notifyingGate } from '../notify/refusal-gate.js'
import type { Verdict } from '../domain/verdict.js'

export type { Ports } from './ports.js'

export type { QueueReport } from './schedule-report.js'

export interface Runtime extends Ports {
  config: RunwayConfig
  log: Logger
  queue: QueueService
  ingest: IngestService
  gate: GateService
  /** Gate configs for SDKs (GET /v1/gate/config, /v1/gate/stream). */
  gateConfig: GateConfigService
  evaluator: EvaluateService
  /** The evaluate-cycle job's service: every due running experiment per tick, in one batch. */
  evaluateCycle: EvaluateCycle
  /** Interference between running experiments that share units (jobs/interference.yaml). */
  interference: InterferenceService
  controller: Controller
  /** The policy engine: rules from RUNWAY_POLICY_FILE, checked at enqueue, start and ramp. */
  policy: PolicyService
  actions: ActionService
  metrics: RunwayMetrics
  /** Outgoing notifications: outbox and delivery loop (docs/notifications.md). */
  notify: NotifyService
  /** Incident mode from incoming alerts (POST /v1/alerts/alertmanager). */
  incidents: IncidentService
  /** Waiting experiments (place, aged priority, why), stuck ones, and layer usage. */
  /** `visible`: only experiments of these namespaces (a layer's queue lies in one namespace, so places do not change). */
  queueReport(visible?: (namespace: string) => boolean): Promise<QueueReport>
  /** Expires, archives and reports stuck experiments (also run as a periodic job). */
  housekeep(): Promise<HousekeepingPlan>
  /** Migrates, rebuilds state, and starts what this process's role runs. */
  start(): Promise<void>
  stop(): Promise<void>
}

export function createLogger(config: RunwayConfig): Logger {
  return pino({ level: config.logLevel, base: { role: config.role } }, pino.destination(2))
}

/** The embedded default (or whatever the configuration names), on the given clock. */
export async function embeddedPorts(config: RunwayConfig, log: Logger, clock?: Clock): Promise<Ports> {
  return createPorts(config, log, clock)
}

/**
 * Wires services over the given ports and starts the parts of the loop that this
 * process's role runs:
 *   api        — HTTP API (served by the caller), queue commands, ingest, gate;
 *   worker     — evaluation and scheduling jobs, and the Kafka telemetry consumer;
 *   controller — applies verdicts and keeps the job schedules (one evaluation cycle for all experiments);
 *   all        — everything in one process (the embedded default).
 */
export function createRuntime(config: RunwayConfig, ports: Ports, log: Logger): Runtime {
  const { warehouse, bus, jobs, state, clock } = ports
  const policy = new PolicyService({ config: config.policy, state, warehouse, clock })
  const metrics = new RunwayMetrics(state, clock, ports.journal ? { journal: ports.journal } : {})
  const notify = new NotifyService({ config: config.notify, policy: config.policy, warehouse, state, clock, log, registry: metrics.registry })
  const gatekeeper = notifyingGate(policy, notify)
  const queue = new QueueService({
    state, warehouse, bus, clock, policy: policy.context, gatekeeper, log, agingPerHour: config.agingPerHour, ledgerKey: config.ledgerKey,
    onTransition: (e, written) => {
      metrics.transitions.inc({ to: e.to, ledger: written ? 'written' : 'failed' })
      if (written) notify.transition(e)
    },
  })
  const incidents = new IncidentService({ queue, warehouse, clock, log: log.child({ component: 'incidents' }), policy: config.policy, notify })
  policy.holds = (spec) => incidents.holds(spec)
  const actions = new ActionService(queue, clock, policy)
  const housekeepingConfig = { ...DEFAULT_HOUSEKEEPING, archiveAfter: config.housekeeping.archiveAfterMs }
  const ingest = new IngestService({
    warehouse, state, clock, log, limits: config.ingest, dataRules: (namespace) => policy.dataRules(namespace),
    onStored: (source, accepted, dead) => {
      metrics.telemetryEvents.inc({ source, outcome: 'accepted' }, accepted)
      metrics.telemetryEvents.inc({ source, outcome: 'dead_lettered' }, dead)
    },
  })
  const gate = new GateService(ports.gateState)
  const gateConfig = new GateConfigService({ state, clock, log: log.child({ component: 'gate-config' }) })
  const evaluator = new EvaluateService({ warehouse, state, bus, clock, log, queue })
  const incremental = config.evaluateIncremental.enabled
    ? new IncrementalEvaluationReader(warehouse, { graceMs: config.evaluateIncremental.graceMs, rebaseMs: config.evaluateIncremental.rebaseMs })
    : undefined
  const cycle = new EvaluateCycle({
    evaluator, state, warehouse, clock, log: log.child({ component: 'evaluate-cycle' }), onEvaluated: (id, at) => metrics.evaluated(id, at),
    ...(incremental ? { incremental } : {}),
  })
  const controller = new Controller(queue, clock, log, gatekeeper)
  // Verdicts are applied with their refused and held ramps recorded (ledger, timeline, blockedBy).
  const verdictRefusals = new VerdictRefusals({ controller, queue })
  const autoResume = new AutoResumeService({ queue, warehouse, clock, log: log.child({ component: 'auto-resume' }), policy: () => policy.config, gatekeeper })
  const interference = new InterferenceService({ warehouse, state, clock, log: log.child({ component: 'interference' }), policy: () => policy.config, queue, onRun: (run) => {
    metrics.interferenceRun(run)
    void notify.interference(run).catch((err) => log.error({ err }, 'notify: interference event lost'))
  } })
  const subscriptions: Array<{ close(): Promise<void> }> = []
  let telemetry: KafkaTelemetryConsumer | null = null
  const runs = (role: RunwayConfig['role']) => config.role === 'all' || config.role === role

  const runtime: Runtime = {
    ...ports,
    config,
    log,
    queue,
    ingest,
    gate,
    gateConfig,
    evaluator,
    evaluateCycle: cycle,
    interference,
    controller,
    policy,
    actions,
    metrics,
    notify,
    incidents,
    queueReport: (visible) => queueReport({ queue, clock, housekeeping: housekeepingConfig }, visible),
    async housekeep() {
      const plan = planHousekeeping(await queue.snapshot(), clock.now(), housekeepingConfig)
      const actor = { type: 'system' as const, id: 'housekeeping' }
      for (const x of plan.expire) {
        await queue.apply(x.experimentId, (r) => (['running', 'paused', 'queued'].includes(r.state) ? { request: { to: 'expired', actor, reason: x.reason, at: clock.now() } } : null))
      }
      for (const x of plan.archive) await queue.apply(x.experimentId, (r) => (r.state !== 'archived' ? { request: { to: 'archived', actor, reason: x.reason, at: clock.now() } } : null))
      for (const s of plan.stuck) log.warn({ experiment: s.experimentId, state: s.state, forHours: s.forMs / 3_600_000 }, 'experiment stuck')
      return plan
    },
    async start() {
      const m = await migrate(warehouse, (line) => log.info(line))
      if (m.applied.length > 0) log.info({ applied: m.applied }, 'migrations applied')
      if (ports.rebuildOnStart) log.info({ experiments: await rebuildState(warehouse, state) }, 'state rebuilt from the ledger')
      await incidents.load()
      if (runs('api')) {
        // Redis state notifies every API replica; otherwise this process sees every lifecycle event itself.
        if (ports.onStateChange) ports.onStateChange(() => gateConfig.changed())
        await gateConfig.start(ports.onStateChange ? {} : { bus })
      }
      if (runs('worker')) {
        // Every due running experiment in one batch per tick (src/services/evaluate-cycle.ts).
        jobs.register('evaluate-cycle', async () => {
          const result = await cycle.run()
          if (result) metrics.evaluationSeconds.observe(result.ms / 1000)
        })
        // A run left in BullMQ by the per-experiment schedules of an older version: the cycle covers it.
        jobs.register('evaluate-experiment', async (data) => {
          log.debug({ experiment: data.experimentId }, 'evaluate-experiment: legacy job ignored (evaluate-cycle evaluates every running experiment)')
        })
        jobs.register('schedule-queue', async () => {
          // Experiments that started or were resumed by a person while an incident is open pause again.
          await incidents.enforceAll()
          await queue.scheduleTick()
          // Telemetry pauses resume once telemetry has been healthy for the policy's hold time.
          await autoResume.run()
        })
        jobs.register('housekeeping', async () => {
          await runtime.housekeep()
        })
        jobs.register('interference', async () => {
          await interference.run()
        })
        if (config.kafka) {
          telemetry = new KafkaTelemetryConsumer({
            brokers: config.kafka.brokers,
            clientId: `runway-${config.role}-telemetry`,
            topicPrefix: config.kafka.topicPrefix,
            partitions: config.kafka.partitions,
            ingest,
            warehouse,
            log: log.child({ component: 'telemetry-consumer' }),
          })
          await telemetry.start()
        }
      }
      if (runs('controller')) {
        subscriptions.push(
          await bus.subscribe(TOPICS.verdicts, 'controller', async (msg) => {
            const outcome = await verdictRefusals.handle(msg.value)
            await notify.verdict(msg.value as Verdict).catch((err) => log.error({ err }, 'notify: verdict event lost'))
            const v = msg.value as { decision?: string; evaluatedAt?: number }
            metrics.verdicts.inc({ decision: String(v.decision), outcome: outcome.applied ? 'applied' : outcome.reason })
            // How long a harmful variant stayed exposed after the engine saw it.
            if (outcome.applied && (v.decision === 'pause' || v.decision === 'rollback') && typeof v.evaluatedAt === 'number') {
              metrics.gateEnforcementSeconds.observe(Math.max(0, clock.now() - v.evaluatedAt) / 1000)
            }
          }),
        )
        // Per-experiment schedules of an older version would evaluate a second time beside the cycle.
        for (const id of await jobs.listSchedules()) if (isLegacyEvaluationSchedule(id)) await jobs.removeSchedule(id)
        await notify.start()
        await jobs.upsertSchedule('schedule-queue', 'schedule-queue', config.scheduleIntervalMs, {})
        await jobs.upsertSchedule('housekeeping', 'housekeeping', config.housekeeping.intervalMs, {})
        await jobs.upsertSchedule('interference', 'interference', config.interferenceIntervalMs, {})
        // Last, so that at a shared instant the queue and interference jobs run before evaluation, as before.
        await jobs.upsertSchedule(EVALUATE_CYCLE_SCHEDULE, 'evaluate-cycle', config.evaluateTickMs, {})
      }
    },
    async stop() {
      for (const s of subscriptions.splice(0)) await s.close()
      await notify.stop()
      await gateConfig.stop()
      await telemetry?.stop()
      await jobs.close()
      await bus.close()
      // Running SQL-endpoint queries finish first: closing a session mid-query aborts the engine.
      await ports.rawSql?.close()
      await warehouse.close()
      await ports.closeExtra()
    },
  }
  return runtime
}
