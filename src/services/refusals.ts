import { HOLD_CODES, onlyHolds, rampRefusal, verdictHold } from '../domain/refusal.js'
import { type Verdict, VerdictSchema } from '../domain/verdict.js'
import { parseWith } from '../domain/validation.js'
import type { ApplyOutcome, Controller } from './controller.js'
import type { QueueService } from './queue.js'

/**
 * Verdicts applied with their refused and held ramps recorded (issue 14 item 4): the
 * controller applies the verdict; then a ramp the policy refused (`policy_refused`, failures in
 * blockedBy) or a `continue` that holds the ramp (ERROR_BUDGET_GATE, GUARDRAIL_NO_DATA) goes on
 * the ledger when it is new (QueueService.recordRefusal), and is kept in blockedBy for the API.
 * A later `continue` without a hold lifts a hold from blockedBy (a policy refusal stays until a
 * ramp passes, as before). The verdict consumer calls this instead of `controller.handle`.
 */
export class VerdictRefusals {
  constructor(private readonly d: { controller: Pick<Controller, 'applyWithRecord' | 'handle'>; queue: QueueService }) {}

  async handle(message: unknown): Promise<ApplyOutcome> {
    const parsed = parseWith(VerdictSchema, message)
    // The controller logs and refuses an invalid verdict; nothing is recorded for it.
    if (!parsed.ok) return this.d.controller.handle(message)
    return this.apply(parsed.value)
  }

  async apply(v: Verdict): Promise<ApplyOutcome> {
    // The record the controller checked the verdict against: a policy refusal is new against its blockedBy.
    const { outcome, before } = await this.d.controller.applyWithRecord(v)
    if (!before || outcome.applied) return outcome
    if (outcome.reason === 'policy_refused') {
      await this.d.queue.recordRefusal(v.experimentId, (r) =>
        r.state === 'running' && r.step === v.step && r.blockedBy ? { refusal: rampRefusal(r.blockedBy, v), previous: before.blockedBy } : null,
      )
    } else if (outcome.reason === 'no_change' && v.decision === 'continue') {
      if (v.reasons.some((r) => HOLD_CODES.includes(r.code))) {
        await this.d.queue.recordRefusal(v.experimentId, (r) => {
          const hold = verdictHold(v, r)
          return hold ? { refusal: hold } : null
        })
      } else await this.d.queue.patch(v.experimentId, (r) => (r.state === 'running' && r.step === v.step && onlyHolds(r.blockedBy) ? { blockedBy: null } : null))
    }
    return outcome
  }
}
