import { type ExperimentSpec, teamOf } from './experiment.js'
import type { ExperimentRecord } from './experiment-record.js'
import { activeFreezes } from './freeze.js'
import { type NamespaceRules, type PolicyConfig, rulesFor } from './policy-config.js'
import { POLICY_RULES, type PolicyOutcome, type RuleContext, type ServiceWindows, evaluatePolicy, holdsTraffic, overlappingRunning } from './policy.js'

/**
 * The start rules over a whole queue at once. `ruleContext` builds one context per
 * experiment from every record (so a tick over n queued experiments costs n² record
 * visits); here the counts the quotas need, the rules of each namespace and the
 * freezes in force are worked out once, and each experiment's context is cut from
 * them. The outcome is the same as `evaluatePolicy(spec, ruleContext({..., records}))`
 * (test/unit/domain/policy-start.test.ts checks this over random queues).
 */

/** The start rules `startKey` covers; a new start rule must be added to the key, and here. */
export const START_KEY_COVERS: readonly string[] = ['quota-team', 'quota-namespace', 'max-exposure', 'freeze-window', 'error-budget', 'interference-overlap']

/** Where a service's burn counts are found: they depend on the namespace's windows. */
export const burnWindowKey = (service: string, rules: NamespaceRules): string =>
  `${service}\u0000${rules.errorBudget.window}\u0000${rules.errorBudget.shortWindow ?? rules.errorBudget.window}`

/** The (service, windows) pairs the error-budget rule needs for these specs: one warehouse query each. */
export function burnWindowsNeeded(config: PolicyConfig, specs: Iterable<ExperimentSpec>): Map<string, { service: string; window: number; shortWindow: number }> {
  const out = new Map<string, { service: string; window: number; shortWindow: number }>()
  const rules = new Map<string, NamespaceRules>()
  for (const spec of specs) {
    let r = rules.get(spec.namespace)
    if (!r) rules.set(spec.namespace, (r = rulesFor(config, spec.namespace)))
    for (const service of spec.services) {
      if (!config.slos[service]) continue
      const key = burnWindowKey(service, r)
      if (!out.has(key)) out.set(key, { service, window: r.errorBudget.window, shortWindow: r.errorBudget.shortWindow ?? r.errorBudget.window })
    }
  }
  return out
}

export interface StartInputs {
  config: PolicyConfig
  now: number
  /** Every live record (the quotas count those holding traffic). */
  records: ReadonlyArray<ExperimentRecord>
  /** Burn counts by burnWindowKey; a pair missing here has no data, which does not block. */
  burnWindows: ReadonlyMap<string, ServiceWindows>
}

interface NamespaceView {
  rules: NamespaceRules
  /** Rules, SLOs and the freezes in force, as one string. */
  key: string
  /** `key` interned. */
  token?: string
  /** Burn-count key part by service, in this namespace's windows. */
  burn: Map<string, string>
}

const teamKey = (namespace: string, team: string) => `${namespace}\u0000${team}`

export class StartSnapshot {
  private readonly inNamespace = new Map<string, number>()
  private readonly inTeam = new Map<string, number>()
  private readonly namespaces = new Map<string, NamespaceView>()
  private readonly slosKey: string
  private readonly burnKeys = new Map<string, string>()
  /** Running experiments (the block-start interference rule reads their services). */
  private readonly running: ExperimentRecord[] = []

  constructor(private readonly inputs: StartInputs) {
    for (const r of inputs.records) if (holdsTraffic(r)) this.count(r.spec, 1)
    for (const r of inputs.records) if (r.state === 'running') this.running.push(r)
    this.slosKey = JSON.stringify(inputs.config.slos)
  }

  /** The context the start rules see for `record`, as ruleContext would build it from every record. */
  context(record: ExperimentRecord): RuleContext {
    const spec = record.spec
    const { rules } = this.namespace(spec.namespace)
    const self = holdsTraffic(record) ? 1 : 0
    const serviceWindows: Record<string, ServiceWindows> = {}
    for (const service of spec.services) {
      const w = this.inputs.burnWindows.get(burnWindowKey(service, rules))
      if (w && this.inputs.config.slos[service]) serviceWindows[service] = w
    }
    return {
      phase: 'start',
      now: this.inputs.now,
      rules,
      // Same as layerCapacityOf, from the namespace's rules already merged.
      layerCapacity: rules.layers.overrides[spec.layer] ?? rules.layers.capacity,
      others: [],
      holding: {
        namespace: (this.inNamespace.get(spec.namespace) ?? 0) - self,
        team: (this.inTeam.get(teamKey(spec.namespace, teamOf(spec))) ?? 0) - self,
      },
      targetStep: 0,
      slos: this.inputs.config.slos,
      serviceWindows,
      running: this.running.filter((r) => r.spec.id !== spec.id),
    }
  }

  check(record: ExperimentRecord): PolicyOutcome {
    return evaluatePolicy(record.spec, this.context(record))
  }

  /**
   * Everything the start rules read for `record`, as one short string: two checks with
   * the same key have the same outcome. `specToken` stands for the spec and `intern`
   * turns a long string into a short stable token (both from PolicyCache, so keys stay
   * short and compare fast). Time enters only through the freezes in force; quota
   * counts only where the namespace sets a quota; burn counts only for the spec's
   * services (those without an SLO count as "no data").
   */
  key(record: ExperimentRecord, specToken: string, intern: (s: string) => string): string {
    const spec = record.spec
    const ns = this.namespace(spec.namespace)
    ns.token ??= intern(ns.key)
    const { rules } = ns
    let key = `${specToken}|${ns.token}|${rules.layers.overrides[spec.layer] ?? rules.layers.capacity}`
    const self = holdsTraffic(record) ? 1 : 0
    if (rules.quotas.runningPerNamespace !== undefined) key += `|n${(this.inNamespace.get(spec.namespace) ?? 0) - self}`
    if (rules.quotas.runningPerTeam !== undefined) key += `|t${(this.inTeam.get(teamKey(spec.namespace, teamOf(spec))) ?? 0) - self}`
    // block-start: which running experiments share a service is part of the outcome, so it is part of the key.
    if (rules.interference.action === 'block-start' && spec.overlapAllowed !== true && spec.services.length > 0) {
      key += `|o${overlappingRunning(spec, this.running).map((o) => `${o.id}:${o.services.join(',')}`).join(';')}`
    }
    for (const service of spec.services) {
      let b = ns.burn.get(service)
      if (b === undefined) ns.burn.set(service, (b = this.burnKey(burnWindowKey(service, rules))))
      key += `|${b}`
    }
    return key
  }

  /** `record` was started in this tick: later checks count it against the quotas. */
  hold(record: ExperimentRecord): void {
    if (!holdsTraffic(record)) this.count(record.spec, 1)
    if (!this.running.some((r) => r.spec.id === record.spec.id)) this.running.push(record)
  }

  private count(spec: ExperimentSpec, by: number): void {
    this.inNamespace.set(spec.namespace, (this.inNamespace.get(spec.namespace) ?? 0) + by)
    const t = teamKey(spec.namespace, teamOf(spec))
    this.inTeam.set(t, (this.inTeam.get(t) ?? 0) + by)
  }

  private namespace(namespace: string): NamespaceView {
    let v = this.namespaces.get(namespace)
    if (!v) {
      const rules = rulesFor(this.inputs.config, namespace)
      // Which windows are in force, by index: the message names the window, and the file order is fixed.
      const frozen = activeFreezes(rules.freezes, this.inputs.now).map((w) => rules.freezes.indexOf(w))
      v = { rules, key: `${JSON.stringify(rules)}\u0001${this.slosKey}\u0001f${frozen.join(',')}`, burn: new Map() }
      this.namespaces.set(namespace, v)
    }
    return v
  }

  private burnKey(key: string): string {
    let k = this.burnKeys.get(key)
    if (k === undefined) {
      const w = this.inputs.burnWindows.get(key)
      k = w ? `b${w.long.bad}/${w.long.total}/${w.short.bad}/${w.short.total}` : 'b-'
      this.burnKeys.set(key, k)
    }
    return k
  }
}

/** The names of the rules that run at start, in the order evaluatePolicy runs them. */
export const startRuleNames = (): string[] => Object.entries(POLICY_RULES).filter(([, r]) => r.phases.includes('start')).map(([n]) => n)
