import { type ExperimentRecord, exposureOf } from '../domain/experiment-record.js'

/** The public shape of an experiment in API answers and `runway status`. */
export function experimentView(r: ExperimentRecord) {
  return {
    id: r.spec.id,
    namespace: r.spec.namespace,
    layer: r.spec.layer,
    kind: r.spec.kind,
    owner: r.spec.owner,
    priority: r.spec.priority,
    state: r.state,
    step: r.step + 1,
    steps: r.spec.rollout.steps.length,
    exposure: exposureOf(r),
    allocation: r.allocation,
    enqueuedAt: new Date(r.enqueuedAt).toISOString(),
    enqueuedBy: r.enqueuedBy ?? null,
    startedAt: r.startedAt === null ? null : new Date(r.startedAt).toISOString(),
    endedAt: r.endedAt === null ? null : new Date(r.endedAt).toISOString(),
    lastAppliedVerdictSeq: r.lastAppliedVerdictSeq,
    pendingApproval: r.pendingApproval,
    /** Policy failures holding the last start or ramp, if any. */
    blockedBy: r.blockedBy ?? null,
    /** What an ended experiment found: shipped, no-effect-detected, regressed, stopped. */
    result: r.result ?? null,
  }
}
export type ExperimentView = ReturnType<typeof experimentView>
