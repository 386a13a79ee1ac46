import { readFileSync } from 'node:fs'
import { parseSpecText } from '../../api/spec-body.js'
import { ExperimentSpecSchema } from '../../domain/experiment.js'
import type { PolicyConfig } from '../../domain/policy-config.js'
import { type PolicyPhase, evaluatePolicy, ruleContext } from '../../domain/policy.js'
import { parseWith } from '../../domain/validation.js'
import { loadPolicyFile } from '../../policy-file.js'
import { CliExit } from '../output.js'
import { readSpecFile } from './validate.js'

export interface PolicyCheckOptions {
  /** A policy file; else the configured one (RUNWAY_POLICY_FILE), else the built-in defaults. */
  policy?: string
  phase: PolicyPhase
  /** 1-based rollout step moved to (start: 1, ramp: 2 unless given). */
  step?: string
  /** RFC 3339 time to evaluate at (freeze windows); default now. */
  at?: string
  json?: boolean
}

/**
 * `runway policy check spec.yaml`: the failures an enqueue (or a start, or a ramp) would be
 * refused with, without enqueueing. Offline: quotas and the error budget need the running
 * experiments and the warehouse, so at start and ramp they are reported as not evaluated.
 */
export function policyCheckCommand(file: string, configured: PolicyConfig, o: PolicyCheckOptions): void {
  const text = file === '-' ? readFileSync(0, 'utf8') : readSpecFile(file)
  const parsed = parseWith(ExperimentSpecSchema, parseSpecText(text, file))
  if (!parsed.ok) {
    for (const p of parsed.problems) console.log(`${p.path}: ${p.message}`)
    throw new CliExit(1, `${file}: ${parsed.problems.length} schema problem(s); fix them before policy applies`)
  }
  const spec = parsed.value
  const config = o.policy ? loadPolicyFile(o.policy) : configured
  const now = o.at ? Date.parse(o.at) : Date.now()
  if (Number.isNaN(now)) throw new CliExit(2, `--at: not a time: ${o.at}`)
  const step = o.step === undefined ? undefined : Number(o.step) - 1
  if (step !== undefined && !(Number.isInteger(step) && step >= 0 && step < spec.rollout.steps.length)) {
    throw new CliExit(2, `--step must be 1-${spec.rollout.steps.length}`)
  }
  const outcome = evaluatePolicy(spec, ruleContext({ config, spec, phase: o.phase, now, ...(step !== undefined ? { targetStep: step } : {}) }))
  const skipped = o.phase === 'enqueue' ? [] : ['quota-team', 'quota-namespace', 'error-budget'].filter((r) => r !== 'error-budget' || spec.services.some((s) => config.slos[s]))
  if (o.json) console.log(JSON.stringify({ experimentId: spec.id, phase: o.phase, ...outcome, notEvaluated: skipped }, null, 2))
  else {
    for (const f of outcome.failures) console.log(`${f.path}: ${f.message} [policy: ${f.rule}]`)
    if (skipped.length > 0) console.log(`(not evaluated offline: ${skipped.join(', ')} — they need the running experiments and the warehouse)`)
  }
  if (!outcome.allowed) throw new CliExit(1, `${file}: ${o.phase} refused by ${outcome.failures.length} policy rule failure(s)`)
  if (!o.json) console.log(`${file}: ${o.phase} allowed by policy (${spec.id})`)
}
