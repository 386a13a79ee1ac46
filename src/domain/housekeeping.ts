import type { ExperimentRecord } from './experiment-record.js'
import { TERMINAL_STATES, type LifecycleState } from './lifecycle.js'

export interface HousekeepingConfig {
  /** A state held longer than this is reported as stuck. */
  stuckAfter: Partial<Record<LifecycleState, number>>
  /** Ended experiments are archived this long after they ended. */
  archiveAfter: number
  /**
   * Running experiments normally end by their evaluation; if evaluation stalls, they
   * expire this long past their maximum duration all the same.
   */
  expiryGrace: number
}

export const DEFAULT_HOUSEKEEPING: HousekeepingConfig = {
  stuckAfter: { queued: 7 * 86_400_000, scheduled: 3_600_000, paused: 3 * 86_400_000 },
  archiveAfter: 7 * 86_400_000,
  expiryGrace: 3_600_000,
}

export interface Stuck {
  experimentId: string
  state: LifecycleState
  since: number
  forMs: number
  limitMs: number
}

export interface HousekeepingPlan {
  expire: Array<{ experimentId: string; reason: string }>
  archive: Array<{ experimentId: string; reason: string }>
  stuck: Stuck[]
}

const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)}h`

/**
 * What the periodic housekeeping should do now: expire experiments past their
 * maximum duration (paused ones are not evaluated, so nothing else would end
 * them), archive ended ones after the retention, and report stuck states.
 */
export function planHousekeeping(records: ReadonlyArray<ExperimentRecord>, now: number, config: HousekeepingConfig = DEFAULT_HOUSEKEEPING): HousekeepingPlan {
  const plan: HousekeepingPlan = { expire: [], archive: [], stuck: [] }
  for (const r of records) {
    const id = r.spec.id
    const ran = r.startedAt === null ? 0 : now - r.startedAt
    if (r.state === 'paused' && ran >= r.spec.maxDuration) {
      plan.expire.push({ experimentId: id, reason: `paused past max duration: ${hours(ran)} since start ≥ ${hours(r.spec.maxDuration)}` })
    } else if (r.state === 'running' && ran >= r.spec.maxDuration + config.expiryGrace) {
      plan.expire.push({ experimentId: id, reason: `still running ${hours(ran - r.spec.maxDuration)} past max duration ${hours(r.spec.maxDuration)} (evaluation did not end it)` })
    } else if (r.state === 'queued' && now - r.enqueuedAt >= r.spec.maxDuration) {
      plan.expire.push({ experimentId: id, reason: `waited ${hours(now - r.enqueuedAt)} in the queue, longer than its max duration ${hours(r.spec.maxDuration)}` })
    }
    if (TERMINAL_STATES.includes(r.state) && r.state !== 'archived' && r.endedAt !== null && now - r.endedAt >= config.archiveAfter) {
      plan.archive.push({ experimentId: id, reason: `ended ${hours(now - r.endedAt)} ago; archived after ${hours(config.archiveAfter)}` })
    }
    const limit = config.stuckAfter[r.state]
    if (limit !== undefined && now - r.stateSince >= limit) {
      plan.stuck.push({ experimentId: id, state: r.state, since: r.stateSince, forMs: now - r.stateSince, limitMs: limit })
    }
  }
  return plan
}
