import type { ExperimentSpec } from './experiment.js'
import { type Actor, type LifecycleEvent, type LifecycleState, canTransition } from './lifecycle.js'
import { chainEntry, genesisHash, type LedgerKey, specHash } from './ledger-chain.js'
import type { PolicyFailure } from './policy.js'
import type { ExperimentResult } from './verdict.js'

/** A contiguous range of a layer's 10,000 buckets held by one experiment. */
export interface Allocation {
  start: number
  size: number
}

/** The live state of one experiment: spec plus where it is in its lifecycle. */
export interface ExperimentRecord {
  spec: ExperimentSpec
  state: LifecycleState
  /** Index into spec.rollout.steps. */
  step: number
  enqueuedAt: number
  startedAt: number | null
  stepStartedAt: number | null
  endedAt: number | null
  /** When the current state was entered (stuck-state detection). */
  stateSince: number
  /** How it ended (completed, rolled_back, …), kept when archived. */
  endState: LifecycleState | null
  allocation: Allocation | null
  /** Compare-and-set version: bumped by every write. */
  version: number
  /** Ledger sequence of the last transition. */
  ledgerSeq: number
  /** Hash of the last ledger entry (the chain head): the next entry's prevHash. */
  ledgerHash: string
  /** Highest verdict seq the controller has applied (or skipped). */
  lastAppliedVerdictSeq: number
  /** Information fractions at which group-sequential looks were spent, in order. */
  gstFractions: number[]
  /** A ramp a verdict asked for that waits for a human. */
  pendingApproval: { verdictId: string; toStep: number } | null
  /**
   * The policy rules that refused this experiment's last start or ramp attempt, cleared
   * once one passes: a start waits in the queue, a ramp waits for the next verdict.
   */
  blockedBy: PolicyFailure[] | null
  /** Who enqueued the current spec revision (the actor of its first ledger entry). */
  enqueuedBy: Actor | null
  /** What the experiment found, set when it ends (resultOf); kept when archived. */
  result: ExperimentResult | null
}

const STOPPED_STATES: readonly LifecycleState[] = ['rolled_back', 'cancelled', 'expired']

/**
 * The result an end state carries: a completion says what its verdict found (no verdict
 * result: nothing conclusive, no-effect-detected); a rollback, cancel or expiry is `stopped`;
 * any other move leaves the result as it was. Live transitions and the ledger replay both use it.
 */
export function resultOf(to: LifecycleState, requested: ExperimentResult | null | undefined, previous: ExperimentResult | null): ExperimentResult | null {
  if (to === 'completed') return requested ?? 'no-effect-detected'
  if (STOPPED_STATES.includes(to)) return 'stopped'
  if (to === 'rejected' || to === 'queued') return null
  return previous
}

export function newRecord(spec: ExperimentSpec, now: number): ExperimentRecord {
  return {
    spec,
    state: 'draft',
    step: 0,
    enqueuedAt: now,
    startedAt: null,
    stepStartedAt: null,
    endedAt: null,
    stateSince: now,
    endState: null,
    allocation: null,
    version: 0,
    ledgerSeq: 0,
    ledgerHash: revisionGenesis(spec, 1),
    lastAppliedVerdictSeq: 0,
    gstFractions: [],
    pendingApproval: null,
    blockedBy: null,
    enqueuedBy: null,
    result: null,
  }
}

/** Where a spec revision's chain starts; `priorHead` links it to the previous revision's entries. */
export function revisionGenesis(spec: ExperimentSpec, revision: number, priorHead = ''): string {
  return genesisHash({ experimentId: spec.id, revision, specHash: specHash(spec), priorHead })
}

/** Current exposure in percent of the experiment's allocation; 0 unless running. */
export function exposureOf(record: ExperimentRecord): number {
  if (record.state !== 'running') return 0
  return record.spec.rollout.steps[record.step]?.exposure ?? 0
}

export interface TransitionRequest {
  to: LifecycleState
  actor: Actor
  reason: string
  at: number
  /** For ramps: the step to move to. */
  step?: number
  allocation?: Allocation | null
  verdictId?: string | null
  verdictSeq?: number | null
  /** The verdict's reason codes, stored on the ledger entry. */
  codes?: readonly string[]
  /** For a completion: what the verdict found. */
  result?: ExperimentResult | null
}

export type TransitionResult =
  | { ok: true; record: ExperimentRecord; event: LifecycleEvent }
  | { ok: false; code: 'INVALID_TRANSITION'; message: string }

/** Applies one lifecycle move, returning the new record and its ledger entry (keyed when `key` is given). */
export function transition(record: ExperimentRecord, req: TransitionRequest, key?: LedgerKey): TransitionResult {
  const from = record.state
  const id = record.spec.id
  if (!canTransition(from, req.to)) {
    return { ok: false, code: 'INVALID_TRANSITION', message: `${id}: cannot move from ${from} to ${req.to}` }
  }
  const lastStep = record.spec.rollout.steps.length - 1
  let step = record.step
  if (from === 'running' && req.to === 'running') {
    const target = req.step ?? record.step + 1
    if (target !== record.step + 1 || target > lastStep) {
      return { ok: false, code: 'INVALID_TRANSITION', message: `${id}: cannot ramp from step ${record.step} to step ${target} (last step is ${lastStep})` }
    }
    step = target
  }
  const next: ExperimentRecord = {
    ...record,
    state: req.to,
    step,
    stateSince: req.to === from ? record.stateSince : req.at,
    version: record.version + 1,
    ledgerSeq: record.ledgerSeq + 1,
    allocation: req.allocation !== undefined ? req.allocation : record.allocation,
    pendingApproval: req.to === 'running' && from === 'running' ? null : record.pendingApproval,
    result: resultOf(req.to, req.result, record.result ?? null),
  }
  if (req.to === 'running' && from === 'scheduled') {
    next.startedAt = req.at
    next.stepStartedAt = req.at
  } else if (req.to === 'running' && from === 'running') {
    next.stepStartedAt = req.at
  } else if (req.to === 'running' && from === 'paused') {
    // Resuming starts the step's minimum duration again: the paused time gave no evidence.
    next.stepStartedAt = req.at
  }
  if (req.to === 'queued') next.allocation = null // waiting experiments hold no traffic
  if (['completed', 'rolled_back', 'rejected', 'cancelled', 'expired'].includes(req.to)) {
    next.endState = req.to
    next.endedAt = req.at
    next.allocation = null
    next.pendingApproval = null
  }
  const fields = {
    experimentId: id,
    seq: next.ledgerSeq,
    at: req.at,
    from,
    to: req.to,
    step: next.step,
    exposure: exposureOf(next),
    actor: req.actor,
    reason: req.reason,
    verdictId: req.verdictId ?? null,
    verdictSeq: req.verdictSeq ?? null,
    allocation: next.allocation,
    codes: [...(req.codes ?? [])],
    result: next.result !== (record.result ?? null) ? next.result : null,
  }
  // With a ledger key the entry is an HMAC (ledger-chain.ts): nobody without the key can re-hash a rewrite.
  const event: LifecycleEvent = chainEntry(record.ledgerHash, fields, key)
  next.ledgerHash = event.hash
  return { ok: true, record: next, event }
}
