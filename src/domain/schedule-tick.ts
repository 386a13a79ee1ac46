import type { ExperimentRecord } from './experiment-record.js'
import type { PolicyFailure, PolicyOutcome } from './policy.js'
import { STEP, type ScheduleDecision, type ScheduleOptions, planScheduleSteps } from './schedule.js'

/** The start rules as one scheduling tick asks them. */
export interface StartCheck {
  /** Whether `record` may start now, counting what this tick already started. */
  check(record: ExperimentRecord): PolicyOutcome
  /** `record` starts in this tick: later checks count it against the quotas. */
  hold(record: ExperimentRecord): void
}

export interface TickPlan {
  /** Experiments to start, in this order, with their bucket ranges. */
  starts: ScheduleDecision[]
  /** Queued experiments whose stored `blockedBy` differs from what the policy says now. */
  blockedBy: Array<{ experimentId: string; blockedBy: PolicyFailure[] | null }>
}

/**
 * Whether the stored refusal equals the new one. Frozen shared records (memory state)
 * keep their identity between ticks, as do cached outcomes, so an answer is kept per
 * pair: a long freeze does not serialize thousands of refusals every tick.
 */
const sameMemo = new WeakMap<object, { failures: PolicyFailure[]; same: boolean }>()
function sameFailures(stored: PolicyFailure[] | null, failures: PolicyFailure[] | null): boolean {
  if (stored === null || failures === null) return stored === failures
  const hit = sameMemo.get(stored)
  if (hit && hit.failures === failures) return hit.same
  const same = JSON.stringify(stored) === JSON.stringify(failures)
  if (Object.isFrozen(stored)) sameMemo.set(stored, { failures, same })
  return same
}

/**
 * One scheduling tick, decided: the policy holds back what it refuses (such an
 * experiment keeps no place in the plan), the plan picks what fits, and each pick is
 * checked again just before its start, since one started earlier in the same tick may
 * have filled a quota. Without a policy (`null`) every queued experiment may start.
 * Yields every STEP experiments so that the shell can cut a long queue into slices.
 */
export function* planTickSteps(records: ReadonlyArray<ExperimentRecord>, opts: ScheduleOptions, policy: StartCheck | null): Generator<void, TickPlan> {
  const byId = new Map<string, ExperimentRecord>()
  const refused = new Set<string>()
  const blockedBy = new Map<string, PolicyFailure[] | null>()
  let n = 0
  for (const r of records) {
    if (r.state !== 'queued') continue
    byId.set(r.spec.id, r)
    if (!policy) continue
    if (++n % STEP === 0) yield
    const outcome = policy.check(r)
    if (!outcome.allowed) refused.add(r.spec.id)
    blockedBy.set(r.spec.id, outcome.allowed ? null : outcome.failures)
  }
  const candidates = refused.size === 0 ? records : records.filter((r) => !refused.has(r.spec.id))
  const { schedule } = yield* planScheduleSteps(candidates, { ...opts, explain: false })
  const starts: ScheduleDecision[] = []
  for (const s of schedule) {
    const r = byId.get(s.experimentId)!
    if (policy) {
      const again = policy.check(r)
      blockedBy.set(r.spec.id, again.allowed ? null : again.failures)
      if (!again.allowed) continue
      policy.hold(r)
    }
    starts.push(s)
  }
  const changed: TickPlan['blockedBy'] = []
  for (const [id, failures] of blockedBy) {
    if (++n % STEP === 0) yield
    if (!sameFailures(byId.get(id)!.blockedBy ?? null, failures)) changed.push({ experimentId: id, blockedBy: failures })
  }
  return { starts, blockedBy: changed }
}
