import type { Logger } from 'pino'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import type { Actor, LifecycleState } from '../domain/lifecycle.js'
import { type Verdict, VerdictSchema } from '../domain/verdict.js'
import { parseWith } from '../domain/validation.js'
import type { Clock } from '../ports/clock.js'
import type { PolicyGate } from './policy.js'
import type { QueueService, TransitionPlan } from './queue.js'

export type ApplyOutcome =
  | { applied: true; to: LifecycleState }
  | { applied: false; reason: 'unknown_experiment' | 'older_than_last_applied' | 'no_change' | 'not_applicable' | 'awaiting_approval' | 'policy_refused' | 'invalid' }

const TARGET: Partial<Record<Verdict['decision'], LifecycleState>> = {
  ramp: 'running',
  pause: 'paused',
  rollback: 'rolled_back',
  complete: 'completed',
}

const summary = (v: Verdict) => v.reasons.map((r) => r.message).join('; ')

/**
 * Applies verdicts to the queue. Idempotent and ordered: a verdict whose seq is
 * not newer than the last applied one for its experiment is ignored and logged.
 */
export class Controller {
  constructor(
    private readonly queue: QueueService,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Checked before every ramp; without it ramps are not policy-gated. */
    private readonly gatekeeper?: PolicyGate,
  ) {}

  async handle(message: unknown): Promise<ApplyOutcome> {
    const parsed = parseWith(VerdictSchema, message)
    if (!parsed.ok) {
      this.log.error({ problems: parsed.problems }, 'controller: invalid verdict ignored')
      return { applied: false, reason: 'invalid' }
    }
    return this.apply(parsed.value)
  }

  async apply(v: Verdict): Promise<ApplyOutcome> {
    return (await this.applyWithRecord(v)).outcome
  }

  /**
   * `apply`, and the record the verdict was checked against (null for an unknown experiment), so
   * a caller that needs the state before the verdict (VerdictRefusals) does not read it again.
   */
  async applyWithRecord(v: Verdict): Promise<{ outcome: ApplyOutcome; before: ExperimentRecord | null }> {
    let record: ExperimentRecord
    try {
      record = await this.queue.get(v.experimentId)
    } catch {
      this.log.warn({ experiment: v.experimentId, verdict: v.id }, 'controller: verdict for unknown experiment ignored')
      return { outcome: { applied: false, reason: 'unknown_experiment' }, before: null }
    }
    return { outcome: await this.decide(v, record), before: record }
  }

  private async decide(v: Verdict, record: ExperimentRecord): Promise<ApplyOutcome> {
    if (v.seq <= record.lastAppliedVerdictSeq) {
      this.log.info({ experiment: v.experimentId, seq: v.seq, lastApplied: record.lastAppliedVerdictSeq }, 'controller: verdict older than last applied, ignored')
      return { applied: false, reason: 'older_than_last_applied' }
    }
    const to = TARGET[v.decision]
    const markOnly = async (reason: Exclude<ApplyOutcome, { applied: true }>['reason'], extra: Partial<ExperimentRecord> = {}) => {
      await this.queue.patch(v.experimentId, (r) => (v.seq > r.lastAppliedVerdictSeq ? { lastAppliedVerdictSeq: v.seq, ...extra } : null))
      return { applied: false as const, reason }
    }
    if (!to) return markOnly('no_change')
    // Evidence gathered at another step, or for a state we are no longer in, no longer applies.
    const applicable = v.decision === 'rollback' ? ['running', 'paused'].includes(record.state) : record.state === 'running' && record.step === v.step
    if (!applicable) return markOnly('not_applicable')
    if (v.decision === 'ramp' && this.gatekeeper) {
      // A refused ramp is not applied (nor offered for approval); the next ramp verdict tries again.
      const policy = await this.gatekeeper.check(record.spec, 'ramp', v.step + 1)
      if (!policy.allowed) {
        this.log.info({ experiment: v.experimentId, verdict: v.id, rules: policy.failures.map((f) => f.rule) }, 'controller: policy refused the ramp')
        return markOnly('policy_refused', { blockedBy: policy.failures })
      }
    }
    if (v.decision === 'ramp' && v.needsApproval) {
      this.log.info({ experiment: v.experimentId, verdict: v.id }, 'controller: ramp awaits approval')
      return markOnly('awaiting_approval', { pendingApproval: { verdictId: v.id, toStep: v.step + 1 } })
    }
    const actor: Actor = { type: 'verdict', id: v.id }
    const plan: TransitionPlan = (r) =>
      v.seq > r.lastAppliedVerdictSeq
        ? {
            request: {
              to,
              actor,
              reason: `${v.decision}: ${summary(v)}`,
              at: this.clock.now(),
              verdictId: v.id,
              verdictSeq: v.seq,
              // The ledger entry carries the verdict's reason codes and, for a completion, its result.
              codes: v.reasons.map((r) => r.code),
              ...(v.decision === 'complete' ? { result: v.result ?? null } : {}),
              ...(v.decision === 'ramp' ? { step: v.step + 1 } : {}),
            },
            patch: { lastAppliedVerdictSeq: v.seq, ...(v.decision === 'ramp' ? { blockedBy: null } : {}) },
          }
        : null
    const event = await this.queue.apply(v.experimentId, plan)
    return event ? { applied: true, to } : { applied: false, reason: 'older_than_last_applied' }
  }
}
