/** Builders for policy rule tests: a parsed policy file and a rule context around a spec. */
import type { ExperimentSpec } from '../../src/domain/experiment.js'
import type { ExperimentRecord } from '../../src/domain/experiment-record.js'
import { PolicyConfigSchema } from '../../src/domain/policy-config.js'
import { type PolicyPhase, type PolicyOutcome, type ServiceWindows, evaluatePolicy, ruleContext } from '../../src/domain/policy.js'
import { T0 } from './fixtures.js'

// Inputs are typed loosely: tests write literal files, and the schema is what checks them.
export const policyConfig = (input: unknown = {}) => PolicyConfigSchema.parse(input)

export interface CheckOptions {
  phase?: PolicyPhase
  policy?: unknown
  now?: number
  records?: ExperimentRecord[]
  targetStep?: number | null
  windows?: Record<string, ServiceWindows>
}

/** Evaluates every rule of the phase (default enqueue) for `spec`. */
export function check(spec: ExperimentSpec, o: CheckOptions = {}): PolicyOutcome {
  const phase = o.phase ?? 'enqueue'
  return evaluatePolicy(
    spec,
    ruleContext({
      config: policyConfig(o.policy),
      spec,
      phase,
      now: o.now ?? T0,
      records: o.records ?? [],
      ...(o.targetStep !== undefined ? { targetStep: o.targetStep } : {}),
      serviceWindows: o.windows ?? {},
    }),
  )
}

/** The names of the failed rules, in evaluation order. */
export const failedRules = (spec: ExperimentSpec, o: CheckOptions = {}) => check(spec, o).failures.map((f) => f.rule)
