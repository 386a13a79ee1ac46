import type { ExperimentSpec } from './experiment.js'

export interface PolicyFailure {
  rule: string
  path: string
  message: string
}

export interface PolicyContext {
  /** Percent of a layer's traffic that experiments may hold in total. */
  layerCapacity: (namespace: string, layer: string) => number
}

export const DEFAULT_POLICY_CONTEXT: PolicyContext = { layerCapacity: () => 100 }

type Rule = (spec: ExperimentSpec, ctx: PolicyContext) => PolicyFailure | null

/** Enqueue rules; each is independent so a refusal can list every failure at once. */
export const ENQUEUE_RULES: Record<string, Rule> = {
  'owner-required': (spec) =>
    spec.owner.trim() === '' ? { rule: 'owner-required', path: 'owner', message: 'an owner (team or person) is required' } : null,
  'hypothesis-required': (spec) =>
    spec.hypothesis.trim() === ''
      ? { rule: 'hypothesis-required', path: 'hypothesis', message: 'a hypothesis is required' }
      : null,
  'guardrail-required': (spec) =>
    spec.metrics.guardrails.length === 0
      ? { rule: 'guardrail-required', path: 'metrics.guardrails', message: 'at least one guardrail metric is required' }
      : null,
  'weights-sum-100': (spec) => {
    const total = spec.variants.reduce((s, v) => s + v.weight, 0)
    return Math.abs(total - 100) > 1e-9
      ? { rule: 'weights-sum-100', path: 'variants', message: `variant weights must sum to 100 (they sum to ${total})` }
      : null
  },
  'layer-capacity': (spec, ctx) => {
    const capacity = ctx.layerCapacity(spec.namespace, spec.layer)
    return spec.trafficShare > capacity
      ? {
          rule: 'layer-capacity',
          path: 'trafficShare',
          message: `trafficShare ${spec.trafficShare}% exceeds the capacity of layer ${spec.namespace}/${spec.layer} (${capacity}%)`,
        }
      : null
  },
}

export interface PolicyOutcome {
  allowed: boolean
  failures: PolicyFailure[]
}

/** Evaluates every enqueue rule; a refusal is a value listing each failed rule. */
export function checkEnqueuePolicy(spec: ExperimentSpec, ctx: PolicyContext = DEFAULT_POLICY_CONTEXT): PolicyOutcome {
  const failures = Object.values(ENQUEUE_RULES)
    .map((rule) => rule(spec, ctx))
    .filter((f): f is PolicyFailure => f !== null)
  return { allowed: failures.length === 0, failures }
}
