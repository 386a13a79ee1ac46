import type { ExperimentSpec } from '../domain/experiment.js'
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
}

export interface PolicyDeps {
  config: PolicyConfig
  state: Pick<StateStore, 'list'>
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

  constructor(private readonly d: PolicyDeps) {
    this.context = { layerCapacity: (namespace, layer) => layerCapacityOf(d.config, namespace, layer) }
  }

  get config(): PolicyConfig {
    return this.d.config
  }

  async check(spec: ExperimentSpec, phase: PolicyPhase, targetStep?: number): Promise<PolicyOutcome> {
    const now = this.d.clock.now()
    // Enqueue rules look at the spec alone; reading state and the warehouse is for start and ramp.
    const records = phase === 'enqueue' ? [] : await this.d.state.list()
    const serviceWindows = phase === 'enqueue' ? {} : await this.serviceWindows(spec, now)
    return evaluatePolicy(spec, ruleContext({ config: this.d.config, spec, phase, now, records, serviceWindows, ...(targetStep !== undefined ? { targetStep } : {}) }))
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
      const slo = this.d.config.slos[service]
      if (!slo) continue
      const [row] = await this.d.warehouse.select<BurnRow>(sqlQuery('service-burn'), {
        service,
        metric: slo.metric,
        now_ms: now,
        long_ms: window,
        short_ms: shortWindow ?? window,
      })
      if (!row) continue
      out[service] = {
        long: { bad: Number(row.long_bad), total: Number(row.long_total) },
        short: { bad: Number(row.short_bad), total: Number(row.short_total) },
      }
    }
    return out
  }
}
