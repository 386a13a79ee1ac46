import type { ExperimentSpec } from '../domain/experiment.js'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import { PolicyCache } from '../domain/policy-cache.js'
import { StartSnapshot, burnWindowsNeeded } from '../domain/policy-start.js'
import type { StartCheck } from '../domain/schedule-tick.js'
import type { AttributeRules } from '../domain/pii.js'
import { type PolicyConfig, layerCapacityOf, rulesFor } from '../domain/policy-config.js'
import type { Actor } from '../domain/lifecycle.js'
import { type PolicyContext, type PolicyFailure, type PolicyOutcome, type PolicyPhase, type ServiceWindows, checkApprover, evaluatePolicy, ruleContext } from '../domain/policy.js'
import type { Clock } from '../ports/clock.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'

/** What the queue and the controller ask before enqueueing, starting and ramping. */
export interface PolicyGate {
  /** `targetStep`: the rollout step moved to (default: 0 at start, 1 at ramp). */
  check(spec: ExperimentSpec, phase: PolicyPhase, targetStep?: number): Promise<PolicyOutcome>
  /** Whether `approver` may approve a ramp of an experiment `enqueuedBy` enqueued (approval rules). */
  checkApprover?(spec: ExperimentSpec, enqueuedBy: Actor | null, approver: Actor): PolicyFailure[]
  /**
   * The start rules for one scheduling tick over `records` (every live record):
   * what they read from the warehouse is read once, here, not once per experiment.
   */
  startCheck(records: ReadonlyArray<ExperimentRecord>): Promise<StartCheck>
}

export interface PolicyDeps {
  config: PolicyConfig
  state: Pick<StateStore, 'list' | 'snapshot'>
  warehouse: Pick<Warehouse, 'select'>
  clock: Clock
}

interface BurnRow {
  long_bad: number | string
  long_total: number | string
  short_bad: number | string
  short_total: number | string
}

/**
 * Gathers what the pure rules need — the clock, the other experiments, and each touched
 * service's error-indicator counts from the warehouse — and evaluates them.
 */
export class PolicyService implements PolicyGate {
  /** The scheduler's capacities come from the same file as the rules. */
  readonly context: PolicyContext
  /** Start outcomes kept between ticks while what they were computed from is unchanged. */
  readonly startCache = new PolicyCache()

  constructor(private readonly d: PolicyDeps) {
    this.context = { layerCapacity: (namespace, layer) => layerCapacityOf(d.config, namespace, layer) }
  }

  get config(): PolicyConfig {
    return this.d.config
  }

  /** Extra refusals on start and ramp from outside the policy file (incident mode: services/incidents.ts). */
  holds: ((spec: ExperimentSpec) => PolicyFailure[]) | null = null

  private withHolds(spec: ExperimentSpec, outcome: PolicyOutcome): PolicyOutcome {
    const extra = this.holds?.(spec) ?? []
    return extra.length === 0 ? outcome : { allowed: false, failures: [...outcome.failures, ...extra] }
  }

  async check(spec: ExperimentSpec, phase: PolicyPhase, targetStep?: number): Promise<PolicyOutcome> {
    const now = this.d.clock.now()
    // Enqueue rules look at the spec alone; reading state and the warehouse is for start and ramp.
    const records = phase === 'enqueue' ? [] : await (this.d.state.snapshot?.() ?? this.d.state.list())
    const serviceWindows = phase === 'enqueue' ? {} : await this.serviceWindows(spec, now)
    const outcome = evaluatePolicy(spec, ruleContext({ config: this.d.config, spec, phase, now, records, serviceWindows, ...(targetStep !== undefined ? { targetStep } : {}) }))
    return phase === 'enqueue' ? outcome : this.withHolds(spec, outcome)
  }

  async startCheck(records: ReadonlyArray<ExperimentRecord>): Promise<StartCheck> {
    const now = this.d.clock.now()
    const queued = records.filter((r) => r.state === 'queued')
    this.startCache.retain(new Set(queued.map((r) => r.spec.id)))
    const burnWindows = new Map<string, ServiceWindows>()
    for (const [key, q] of burnWindowsNeeded(this.d.config, queued.map((r) => r.spec))) {
      const w = await this.burnCounts(q.service, now, q.window, q.shortWindow)
      if (w) burnWindows.set(key, w)
    }
    const snapshot = new StartSnapshot({ config: this.d.config, now, records, burnWindows })
    const cache = this.startCache
    return {
      check: (r) => this.withHolds(r.spec, cache.outcome(r.spec.id, snapshot.key(r, cache.specToken(r), (x) => cache.intern(x)), () => snapshot.check(r))),
      hold: (r) => snapshot.hold(r),
    }
  }

  checkApprover(spec: ExperimentSpec, enqueuedBy: Actor | null, approver: Actor): PolicyFailure[] {
    return checkApprover(rulesFor(this.d.config, spec.namespace), enqueuedBy, approver)
  }

  /** Ingest's data rules for an experiment's namespace. */
  dataRules(namespace: string): AttributeRules {
    return rulesFor(this.d.config, namespace).data
  }

  /** One query per touched service that has an SLO; services without one are not gated. */
  private async serviceWindows(spec: ExperimentSpec, now: number): Promise<Record<string, ServiceWindows>> {
    const { window, shortWindow } = rulesFor(this.d.config, spec.namespace).errorBudget
    const out: Record<string, ServiceWindows> = {}
    for (const service of new Set(spec.services)) {
      const w = await this.burnCounts(service, now, window, shortWindow ?? window)
      if (w) out[service] = w
    }
    return out
  }

  /** The service's error-indicator counts in both windows; null without an SLO or without a row. */
  private async burnCounts(service: string, now: number, window: number, shortWindow: number): Promise<ServiceWindows | null> {
    const slo = this.d.config.slos[service]
    if (!slo) return null
    const [row] = await this.d.warehouse.select<BurnRow>(sqlQuery('service-burn'), { service, metric: slo.metric, now_ms: now, long_ms: window, short_ms: shortWindow })
    if (!row) return null
    return {
      long: { bad: Number(row.long_bad), total: Number(row.long_total) },
      short: { bad: Number(row.short_bad), total: Number(row.short_total) },
    }
  }
}
