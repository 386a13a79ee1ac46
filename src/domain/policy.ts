import { sharedServices } from './interference.js'
import type { WindowCounts } from '../stats/burn-rate.js'
import { ERROR_BUDGET_ALPHA, errorBudgetGate } from '../stats/slo.js'
import { formatDuration } from './duration.js'
import { type ExperimentSpec, teamOf } from './experiment.js'
import type { ExperimentRecord } from './experiment-record.js'
import type { Actor } from './lifecycle.js'
import { activeFreezes, describeFreeze } from './freeze.js'
import { BUILTIN_RULES, type NamespaceRules, type PolicyConfig, type RequirableField, type ServiceSlo, layerCapacityOf, rulesFor } from './policy-config.js'

export interface PolicyFailure {
  rule: string
  path: string
  message: string
}

/** When rules run: at enqueue, before the first step starts, before each ramp. */
export type PolicyPhase = 'enqueue' | 'start' | 'ramp'
export const POLICY_PHASES: readonly PolicyPhase[] = ['enqueue', 'start', 'ramp']

/** The scheduler's view of policy: how much of a layer experiments may hold. */
export interface PolicyContext {
  /** Percent of a layer's traffic that experiments may hold in total. */
  layerCapacity: (namespace: string, layer: string) => number
}

export const DEFAULT_POLICY_CONTEXT: PolicyContext = { layerCapacity: () => 100 }

/** Event counts of one service's error indicator in the gate's windows. */
export interface ServiceWindows {
  long: WindowCounts
  short: WindowCounts
}

/** Everything a rule may look at besides the spec; the shell gathers it. */
export interface RuleContext {
  phase: PolicyPhase
  now: number
  /** The rules in force for the spec's namespace. */
  rules: NamespaceRules
  /** Capacity of the spec's layer, in percent. */
  layerCapacity: number
  /** Every other experiment (the one checked is left out), for quotas. */
  others: ReadonlyArray<ExperimentRecord>
  /**
   * Other experiments holding traffic in the spec's namespace and in its team there,
   * counted once for a whole queue (policy-start.ts); unset, the quota rules count `others`.
   */
  holding?: { namespace: number; team: number }
  /** Index of the rollout step the experiment moves to: 0 at start, the next one at ramp. */
  targetStep: number | null
  slos: Record<string, ServiceSlo>
  /** By service; a service missing here has no data, which does not block. */
  serviceWindows: Record<string, ServiceWindows>
  /** Running experiments other than the one checked (the block-start rule); unset, it reads `others`. */
  running?: ReadonlyArray<ExperimentRecord>
}

interface Rule {
  phases: readonly PolicyPhase[]
  check: (spec: ExperimentSpec, ctx: RuleContext) => PolicyFailure[]
}

/** Running experiments in another layer (or namespace) that declare a service of `spec`, by id. */
export function overlappingRunning(spec: ExperimentSpec, running: ReadonlyArray<ExperimentRecord>): Array<{ id: string; services: string[] }> {
  return running
    .filter((r) => r.spec.id !== spec.id && !(r.spec.namespace === spec.namespace && r.spec.layer === spec.layer))
    .map((r) => ({ id: r.spec.id, services: sharedServices(spec, r.spec) }))
    .filter((x) => x.services.length > 0)
    .sort((a, b) => (a.id < b.id ? -1 : 1))
}

/** States that hold traffic in a layer, and so count against quotas. */
const HOLDS_TRAFFIC = new Set(['scheduled', 'running', 'paused'])
export const holdsTraffic = (r: Pick<ExperimentRecord, 'state'>): boolean => HOLDS_TRAFFIC.has(r.state)

const fail = (rule: string, path: string, message: string): PolicyFailure[] => [{ rule, path, message }]

/** A metadata rule: applies when the namespace lists `field` as required. */
function required(field: RequirableField, rule: string, path: string, message: string, missing: (s: ExperimentSpec) => boolean): Rule {
  return { phases: ['enqueue'], check: (spec, ctx) => (ctx.rules.metadata.required.includes(field) && missing(spec) ? fail(rule, path, message) : []) }
}

/** Percent of the layer's traffic exposed: the reserved share times the step's exposure. */
const layerExposure = (spec: ExperimentSpec, stepExposure: number) => (spec.trafficShare * stepExposure) / 100
const round = (x: number) => Number(x.toFixed(4))
/** "3× (upper bound 4.12×)": the point estimate people read, and the bound the gate judges. */
const burnText = (g: { burnRate: number | null; upper: number | null }) => `${round(g.burnRate!)}× (upper bound ${Number(g.upper!.toPrecision(3))}×)`

/** Every rule by name. Each is independent, so a refusal lists every failure at once. */
export const POLICY_RULES: Record<string, Rule> = {
  'owner-required': required('owner', 'owner-required', 'owner', 'an owner (team or person) is required', (s) => s.owner.trim() === ''),
  'on-call-required': required('onCall', 'on-call-required', 'onCall', 'an on-call contact is required', (s) => s.onCall.trim() === ''),
  'hypothesis-required': required('hypothesis', 'hypothesis-required', 'hypothesis', 'a hypothesis is required', (s) => s.hypothesis.trim() === ''),
  'guardrail-required': required('guardrails', 'guardrail-required', 'metrics.guardrails', 'at least one guardrail metric is required', (s) => s.metrics.guardrails.length === 0),
  'services-required': required('services', 'services-required', 'services', 'the services the experiment touches are required (for the error-budget gate)', (s) => s.services.length === 0),
  'max-duration': {
    phases: ['enqueue'],
    check: (spec, ctx) => {
      const cap = ctx.rules.metadata.maxDuration
      return cap !== undefined && spec.maxDuration > cap
        ? fail('max-duration', 'maxDuration', `maxDuration ${formatDuration(spec.maxDuration)} exceeds the limit of ${formatDuration(cap)}`)
        : []
    },
  },
  'weights-sum-100': {
    phases: ['enqueue'],
    check: (spec) => {
      const total = spec.variants.reduce((s, v) => s + v.weight, 0)
      return Math.abs(total - 100) > 1e-9 ? fail('weights-sum-100', 'variants', `variant weights must sum to 100 (they sum to ${total})`) : []
    },
  },
  // At start the scheduler enforces the layer's total (it waits for room rather than refusing).
  'layer-capacity': {
    phases: ['enqueue'],
    check: (spec, ctx) =>
      spec.trafficShare > ctx.layerCapacity
        ? fail('layer-capacity', 'trafficShare', `trafficShare ${spec.trafficShare}% exceeds the capacity of layer ${spec.namespace}/${spec.layer} (${ctx.layerCapacity}%)`)
        : [],
  },
  'quota-team': {
    phases: ['start'],
    check: (spec, ctx) => {
      const limit = ctx.rules.quotas.runningPerTeam
      if (limit === undefined) return []
      const team = teamOf(spec)
      const n = ctx.holding?.team ?? ctx.others.filter((r) => HOLDS_TRAFFIC.has(r.state) && r.spec.namespace === spec.namespace && teamOf(r.spec) === team).length
      return n >= limit ? fail('quota-team', 'team', `team ${team} already runs ${n} experiment(s) in namespace ${spec.namespace} (quota ${limit})`) : []
    },
  },
  'quota-namespace': {
    phases: ['start'],
    check: (spec, ctx) => {
      const limit = ctx.rules.quotas.runningPerNamespace
      if (limit === undefined) return []
      const n = ctx.holding?.namespace ?? ctx.others.filter((r) => HOLDS_TRAFFIC.has(r.state) && r.spec.namespace === spec.namespace).length
      return n >= limit ? fail('quota-namespace', 'namespace', `namespace ${spec.namespace} already runs ${n} experiment(s) (quota ${limit})`) : []
    },
  },
  // At enqueue every planned step is checked, so a plan that could never ramp is refused up front.
  'max-exposure': {
    phases: ['enqueue', 'start', 'ramp'],
    check: (spec, ctx) => {
      const cap = ctx.rules.maxExposure[spec.kind]
      if (cap === undefined) return []
      const over = (exposure: number) => layerExposure(spec, exposure) > cap + 1e-9
      const message = (exposure: number) =>
        `${spec.kind} experiments may expose at most ${cap}% of a layer's traffic; ${exposure}% of trafficShare ${spec.trafficShare}% is ${round(layerExposure(spec, exposure))}%`
      if (ctx.phase === 'enqueue') {
        return spec.rollout.steps.flatMap((s, i) => (over(s.exposure) ? fail('max-exposure', `rollout.steps[${i}].exposure`, message(s.exposure)) : []))
      }
      const i = ctx.targetStep
      const target = i === null ? undefined : spec.rollout.steps[i]?.exposure
      return target !== undefined && over(target) ? fail('max-exposure', `rollout.steps[${i}].exposure`, message(target)) : []
    },
  },
  'freeze-window': {
    phases: ['start', 'ramp'],
    check: (_spec, ctx) =>
      activeFreezes(ctx.rules.freezes, ctx.now).flatMap((w) =>
        fail('freeze-window', 'freezes', `no ${ctx.phase === 'start' ? 'start' : 'ramp'} during freeze window ${describeFreeze(w)}`),
      ),
  },
  // The same gate as a ramp's (decide/ramp-budget.ts): the burn's upper confidence bound, not the
  // point estimate, so a lucky window of a few events cannot let a burning service through.
  'error-budget': {
    phases: ['start', 'ramp'],
    check: (spec, ctx) =>
      spec.services.flatMap((service, i) => {
        const slo = ctx.slos[service]
        const windows = ctx.serviceWindows[service]
        if (!slo || !windows) return []
        const { threshold, window, shortWindow } = ctx.rules.errorBudget
        // No events is no evidence of burning: it does not block (a window with a few is judged by its bound).
        if (windows.long.total === 0 || windows.short.total === 0) return []
        const long = errorBudgetGate({ window: windows.long, slo: slo.objective, alpha: ERROR_BUDGET_ALPHA, maxBurn: threshold })
        const short = errorBudgetGate({ window: windows.short, slo: slo.objective, alpha: ERROR_BUDGET_ALPHA, maxBurn: threshold })
        if (long.status !== 'ok' || short.status !== 'ok') return []
        if (long.pass || short.pass) return []
        const also = shortWindow !== undefined ? ` and ${burnText(short)} over ${formatDuration(shortWindow)} (${windows.short.bad} of ${windows.short.total} bad)` : ''
        return fail(
          'error-budget',
          `services[${i}]`,
          `service ${service} burns its error budget at ${burnText(long)} over the last ${formatDuration(window)}${also} (threshold ${threshold}× on the ${100 - ERROR_BUDGET_ALPHA * 100}% upper bound; ${windows.long.bad} of ${windows.long.total} ${slo.metric} events bad, objective ${round(slo.objective * 100)}%)`,
        )
      }),
  },
  'interference-overlap': {
    phases: ['start'],
    check: (spec, ctx) => {
      if (ctx.rules.interference.action !== 'block-start' || spec.overlapAllowed === true || spec.services.length === 0) return []
      const running = ctx.running ?? ctx.others.filter((r) => r.state === 'running')
      return overlappingRunning(spec, running).flatMap(({ id, services }) =>
        fail('interference-overlap', 'services', `would share units with running experiment ${id} on service${services.length > 1 ? 's' : ''} ${services.join(', ')} (interference.action is block-start; set overlapAllowed: true to start anyway)`))
    },
  },
}

export interface PolicyOutcome {
  allowed: boolean
  failures: PolicyFailure[]
}

/** Runs every rule that applies in the context's phase. */
export function evaluatePolicy(spec: ExperimentSpec, ctx: RuleContext): PolicyOutcome {
  const failures = Object.values(POLICY_RULES)
    .filter((r) => r.phases.includes(ctx.phase))
    .flatMap((r) => r.check(spec, ctx))
  return { allowed: failures.length === 0, failures }
}

/** Builds a rule context from the policy file and what the shell gathered. */
export function ruleContext(o: {
  config: PolicyConfig
  spec: ExperimentSpec
  phase: PolicyPhase
  now: number
  records?: ReadonlyArray<ExperimentRecord>
  targetStep?: number | null
  serviceWindows?: Record<string, ServiceWindows>
}): RuleContext {
  return {
    phase: o.phase,
    now: o.now,
    rules: rulesFor(o.config, o.spec.namespace),
    layerCapacity: layerCapacityOf(o.config, o.spec.namespace, o.spec.layer),
    others: (o.records ?? []).filter((r) => r.spec.id !== o.spec.id),
    targetStep: o.targetStep ?? defaultTargetStep(o.phase),
    slos: o.config.slos,
    serviceWindows: o.serviceWindows ?? {},
  }
}

/** The enqueue rules with built-in defaults (no policy file), as before policies were configurable. */
export function checkEnqueuePolicy(spec: ExperimentSpec, ctx: PolicyContext = DEFAULT_POLICY_CONTEXT): PolicyOutcome {
  return evaluatePolicy(spec, {
    phase: 'enqueue',
    now: 0,
    rules: BUILTIN_RULES,
    layerCapacity: ctx.layerCapacity(spec.namespace, spec.layer),
    others: [],
    targetStep: null,
    slos: {},
    serviceWindows: {},
  })
}

/** Without a given step: the first at start, the second at ramp (the first ramp), none at enqueue. */
const defaultTargetStep = (phase: PolicyPhase) => (phase === 'start' ? 0 : phase === 'ramp' ? 1 : null)

/**
 * Separation of duties for human-in-the-loop ramps: with `approvals.separateApprover`,
 * whoever enqueued the spec revision may not approve its ramps. A record enqueued
 * before the enqueuer was recorded has none, and then nobody is refused by this rule.
 */
export function checkApprover(rules: NamespaceRules, enqueuedBy: Actor | null, approver: Actor): PolicyFailure[] {
  if (!rules.approvals.separateApprover || !enqueuedBy) return []
  if (enqueuedBy.type !== approver.type || enqueuedBy.id !== approver.id) return []
  return fail('separate-approver', 'actor', `${approver.id} enqueued this experiment; another person must approve its ramps`)
}
