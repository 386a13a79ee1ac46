import { ConflictError, InputError } from '../errors.js'
import type { Actor, LifecycleEvent, LifecycleState } from '../domain/lifecycle.js'
import type { Clock } from '../ports/clock.js'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import type { PolicyFailure } from '../domain/policy.js'
import type { PolicyGate } from './policy.js'
import type { QueueService } from './queue.js'

export const PERSON_ACTIONS = ['pause', 'resume', 'rollback', 'cancel', 'approve', 'archive'] as const
export type PersonAction = (typeof PERSON_ACTIONS)[number]

const TARGET: Record<Exclude<PersonAction, 'approve'>, LifecycleState> = {
  pause: 'paused',
  resume: 'running',
  rollback: 'rolled_back',
  cancel: 'cancelled',
  archive: 'archived',
}

function refuse(failures: PolicyFailure[]): never {
  throw new ConflictError(`policy refuses: ${failures.map((f) => `${f.rule}: ${f.message}`).join('; ')}`, 'POLICY_REFUSED', { failures })
}

/**
 * What people do to experiments: pause, resume, roll back, cancel, approve a
 * ramp that waits for a human, archive. Each needs a reason and is a ledger
 * entry naming its actor.
 */
export class ActionService {
  constructor(
    private readonly queue: QueueService,
    private readonly clock: Clock,
    /** Approvals and resumes are checked like ramps and starts (freeze windows, error budget, exposure caps). */
    private readonly gatekeeper?: PolicyGate,
  ) {}

  private async policy(experimentId: string, phase: 'start' | 'ramp', targetStep: (r: ExperimentRecord) => number): Promise<void> {
    if (!this.gatekeeper) return
    const r = await this.queue.get(experimentId)
    const outcome = await this.gatekeeper.check(r.spec, phase, targetStep(r))
    if (!outcome.allowed) refuse(outcome.failures)
  }

  async act(experimentId: string, action: PersonAction, actor: Actor, reason: string): Promise<LifecycleEvent> {
    if (reason.trim() === '') throw new InputError(`${action} needs a reason`, [{ path: 'reason', message: 'is required' }])
    const at = this.clock.now()
    if (action === 'approve') {
      const r = await this.queue.get(experimentId)
      const failures = this.gatekeeper?.checkApprover?.(r.spec, r.enqueuedBy ?? null, actor) ?? []
      if (failures.length > 0) refuse(failures)
      await this.policy(experimentId, 'ramp', (x) => x.pendingApproval?.toStep ?? x.step + 1)
    }
    if (action === 'resume') await this.policy(experimentId, 'start', (r) => r.step)
    if (action === 'approve') {
      const event = await this.queue.apply(experimentId, (r) => {
        if (!r.pendingApproval) throw new ConflictError(`${experimentId} has no ramp waiting for approval`, 'NOTHING_TO_APPROVE')
        if (r.state !== 'running' || r.pendingApproval.toStep !== r.step + 1) {
          throw new ConflictError(`${experimentId}: the approval waits for step ${r.pendingApproval.toStep + 1}, but the experiment is ${r.state} at step ${r.step + 1}`, 'APPROVAL_OUTDATED')
        }
        return {
          request: { to: 'running', step: r.pendingApproval.toStep, actor, reason: `approved ramp to step ${r.pendingApproval.toStep + 1}: ${reason}`, at, verdictId: r.pendingApproval.verdictId },
          patch: { pendingApproval: null },
        }
      })
      return event!
    }
    const to = TARGET[action]
    const event = await this.queue.apply(experimentId, (r) => ({
      request: { to, actor, reason: `${action}: ${reason}`, at },
      // A person's decision supersedes a ramp that waited for approval.
      patch: action === 'resume' ? {} : { pendingApproval: null },
    }))
    return event!
  }
}
