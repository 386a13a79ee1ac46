import type { Logger } from 'pino'
import { type ExperimentSpec, ExperimentSpecSchema } from '../domain/experiment.js'
import { type ExperimentRecord, type TransitionRequest, newRecord, revisionGenesis, transition } from '../domain/experiment-record.js'
import type { LedgerKey } from '../domain/ledger-chain.js'
import type { Actor, LifecycleEvent } from '../domain/lifecycle.js'
import { type PolicyContext, type PolicyFailure, checkEnqueuePolicy } from '../domain/policy.js'
import type { ScheduleDecision } from '../domain/schedule.js'
import { planTickSteps } from '../domain/schedule-tick.js'
import { type Refusal, refusalChanged, refusalEntry, startRefusal } from '../domain/refusal.js'
import { parseWith } from '../domain/validation.js'
import { ConflictError, InputError, NotFoundError } from '../errors.js'
import { type Bus, TOPICS } from '../ports/bus.js'
import type { Clock } from '../ports/clock.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'
import { appendLedger } from './ledger.js'
import type { PolicyGate } from './policy.js'
import { Slicer } from './schedule-slices.js'

export interface QueueDeps {
  state: StateStore
  warehouse: Warehouse
  bus: Bus
  clock: Clock
  policy: PolicyContext
  /** The policy engine; without it, the built-in enqueue rules (no policy file). */
  gatekeeper?: PolicyGate
  log: Logger
  /** Priority points a waiting experiment gains per hour (aging). Default 1. */
  agingPerHour?: number
  /** Set: ledger entries are keyed (HMAC) with it. */
  ledgerKey?: LedgerKey | null
  /** Told of every transition and whether its ledger entry was written (metrics). */
  onTransition?: (event: LifecycleEvent, ledgerWritten: boolean) => void
}

export type EnqueueOutcome =
  | { accepted: true; record: ExperimentRecord }
  | { accepted: false; experimentId: string; failures: PolicyFailure[] }

/** What a caller wants to do to a record; null means "nothing to do". */
export type TransitionPlan = (record: ExperimentRecord) => { request: TransitionRequest; patch?: Partial<ExperimentRecord> } | null

const MAX_CAS_ATTEMPTS = 5
/** Starts applied at once in a tick (their ledger writes share a group commit). */
const PARALLEL_STARTS = 16

/** Queue commands: enqueue, transitions with a ledger entry each, and scheduling. */
export class QueueService {
  constructor(private readonly d: QueueDeps) {}

  async enqueue(input: unknown, actor: Actor): Promise<EnqueueOutcome> {
    const parsed = parseWith(ExperimentSpecSchema, input)
    if (!parsed.ok) throw new InputError('experiment spec is invalid', parsed.problems, 'INVALID_SPEC')
    const spec = parsed.value
    const now = this.d.clock.now()
    const existing = await this.d.state.get(spec.id)
    if (existing && existing.state !== 'rejected') {
      throw new ConflictError(`experiment ${spec.id} already exists (state ${existing.state})`, 'EXPERIMENT_EXISTS')
    }
    // A rejected spec may be fixed and sent again: a new revision with its own lifecycle.
    const revision = existing ? existing.version + 1 : 1
    const draft: ExperimentRecord = {
      ...newRecord(spec, now),
      version: existing?.version ?? 0,
      ledgerSeq: existing?.ledgerSeq ?? 0,
      // The revision's first entry chains from a genesis over this spec and the previous revision's head.
      ledgerHash: revisionGenesis(spec, revision, existing?.ledgerHash ?? ''),
      enqueuedBy: { ...actor },
    }
    const policy = this.d.gatekeeper ? await this.d.gatekeeper.check(spec, 'enqueue') : checkEnqueuePolicy(spec, this.d.policy)
    const to = policy.allowed ? 'queued' : 'rejected'
    const reason = policy.allowed ? 'enqueued; policy checks passed' : `policy refused: ${policy.failures.map((f) => f.rule).join(', ')}`
    const step = transition(draft, { to, actor, reason, at: now }, this.d.ledgerKey ?? undefined)
    if (!step.ok) throw new ConflictError(step.message, step.code)
    await this.commit(existing, step.record, step.event, true, { spec, revision })
    return policy.allowed ? { accepted: true, record: step.record } : { accepted: false, experimentId: spec.id, failures: policy.failures }
  }

  async get(id: string): Promise<ExperimentRecord> {
    const r = await this.d.state.get(id)
    if (!r) throw new NotFoundError(`no experiment ${id}`)
    return r
  }

  list(): Promise<ExperimentRecord[]> {
    return this.d.state.list()
  }

  /**
   * Applies a planned transition with compare-and-set, retrying on a concurrent
   * write. Returns the ledger entry, or null when the plan found nothing to do.
   */
  async apply(id: string, plan: TransitionPlan): Promise<LifecycleEvent | null> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const record = await this.get(id)
      const planned = plan(record)
      if (!planned) return null
      const result = transition(record, planned.request, this.d.ledgerKey ?? undefined)
      if (!result.ok) throw new ConflictError(result.message, result.code)
      // A move ends whatever refusal held the experiment where it was: one after it is a first refusal again.
      const next = { ...result.record, blockedBy: null, ...planned.patch }
      if (await this.commit(record, next, result.event, false)) return result.event
    }
    throw new ConflictError(`experiment ${id} kept changing; gave up after ${MAX_CAS_ATTEMPTS} attempts`, 'CAS_EXHAUSTED')
  }

  /** Updates a record without a transition (e.g. bookkeeping); CAS-retried. */
  async patch(id: string, fn: (r: ExperimentRecord) => Partial<ExperimentRecord> | null): Promise<void> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const record = await this.get(id)
      const change = fn(record)
      if (!change) return
      const put = await this.d.state.put({ ...record, ...change, version: record.version + 1 }, record.version)
      if (put.ok) return
    }
    throw new ConflictError(`experiment ${id} kept changing; gave up after ${MAX_CAS_ATTEMPTS} attempts`, 'CAS_EXHAUSTED')
  }

  /**
   * Records a refused start or a held ramp: always in `blockedBy`, and on the ledger when the
   * refusal is new against `previous` (default: the stored blockedBy) — the first refusal, or
   * other codes (domain/refusal.ts). The entry keeps state and step (from === to): it is no
   * transition, so it is neither published on the lifecycle topic nor notified. Returns the
   * entry, or null when none was written. CAS-retried like `apply`.
   */
  async recordRefusal(id: string, plan: (r: ExperimentRecord) => { refusal: Refusal; previous?: PolicyFailure[] | null } | null): Promise<LifecycleEvent | null> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const record = await this.get(id)
      const planned = plan(record)
      if (!planned) return null
      const { failures } = planned.refusal
      if (!refusalChanged(planned.previous !== undefined ? planned.previous : record.blockedBy, failures)) {
        if (JSON.stringify(record.blockedBy) === JSON.stringify(failures)) return null
        const put = await this.d.state.put({ ...record, blockedBy: failures, version: record.version + 1 }, record.version)
        if (put.ok) return null
        continue
      }
      const { record: next, event } = refusalEntry(record, planned.refusal, this.d.clock.now(), this.d.ledgerKey ?? undefined)
      if (await this.commit(record, next, event, false, undefined, false)) return event
    }
    throw new ConflictError(`experiment ${id} kept changing; gave up after ${MAX_CAS_ATTEMPTS} attempts`, 'CAS_EXHAUSTED')
  }

  /** Options of the schedule plan, shared by the scheduler and the queue report. */
  scheduleOptions() {
    return { layerCapacity: this.d.policy.layerCapacity, now: this.d.clock.now(), agingPerHour: this.d.agingPerHour ?? 1 }
  }

  /** Every live record without copying where the store can share them (the scheduler reads them all each tick). */
  snapshot(): Promise<ReadonlyArray<ExperimentRecord>> {
    return this.d.state.snapshot?.() ?? this.d.state.list()
  }

  /**
   * Starts what fits: queued → scheduled (bucket range reserved) → running.
   * Experiments the policy refuses to start stay queued, hold no place in the plan,
   * and carry the refusal in `blockedBy` (written only on change, so a long freeze
   * does not rewrite every record each tick); a new refusal (first, or other rules)
   * is also a ledger entry (recordRefusal), once. The work runs in slices that give the
   * event loop a turn (schedule-slices.ts), so a long queue never stalls the API.
   */
  async scheduleTick(): Promise<LifecycleEvent[]> {
    const slicer = new Slicer()
    const records = await this.snapshot()
    const policy = this.d.gatekeeper ? await this.d.gatekeeper.startCheck(records) : null
    const plan = await slicer.run(planTickSteps(records, this.scheduleOptions(), policy))
    // A new refusal (first, or other rules) goes on the ledger, a changed message only on the
    // record; side by side, like the starts below, so a first tick over a long frozen queue
    // shares its ledger appends' group commits.
    const record = async ({ experimentId, blockedBy }: (typeof plan.blockedBy)[number]): Promise<void> => {
      if (!blockedBy) return this.patch(experimentId, (cur) => (cur.state === 'queued' ? { blockedBy } : null))
      const entry = await this.recordRefusal(experimentId, (cur) => (cur.state === 'queued' ? { refusal: startRefusal(blockedBy) } : null))
      if (entry) this.d.log.info({ experiment: experimentId, rules: blockedBy.map((f) => f.rule) }, 'policy holds the start')
    }
    for (let i = 0; i < plan.blockedBy.length; i += PARALLEL_STARTS) {
      await slicer.pause()
      await Promise.all(plan.blockedBy.slice(i, i + PARALLEL_STARTS).map(record))
    }
    const actor: Actor = { type: 'system', id: 'scheduler' }
    const start = async (s: ScheduleDecision): Promise<LifecycleEvent[]> => {
      const out: LifecycleEvent[] = []
      const a = await this.apply(s.experimentId, (r) =>
        r.state === 'queued'
          ? { request: { to: 'scheduled', actor, reason: `layer capacity reserved: buckets ${s.allocation.start}-${s.allocation.start + s.allocation.size - 1}`, at: this.d.clock.now(), allocation: s.allocation } }
          : null,
      )
      if (a) out.push(a)
      const b = await this.apply(s.experimentId, (r) =>
        r.state === 'scheduled'
          ? { request: { to: 'running', actor, reason: `started at step 1 (${r.spec.rollout.steps[0]!.exposure}% exposure)`, at: this.d.clock.now() } }
          : null,
      )
      if (b) out.push(b)
      return out
    }
    // Different experiments start side by side so that their ledger appends share a
    // journal group commit (one fdatasync), instead of one fsync after another;
    // the plan already settled which start and where, so their order does not matter.
    const events: LifecycleEvent[] = []
    for (let i = 0; i < plan.starts.length; i += PARALLEL_STARTS) {
      await slicer.pause()
      for (const e of await Promise.all(plan.starts.slice(i, i + PARALLEL_STARTS).map(start))) events.push(...e)
    }
    return events
  }

  /** Writes state, then the ledger; if the ledger write fails the state write is undone. */
  private async commit(
    previous: ExperimentRecord | null,
    next: ExperimentRecord,
    event: LifecycleEvent,
    throwOnConflict = true,
    enqueued?: { spec: ExperimentSpec; revision: number },
    /** false for a refusal entry: not a transition, so not published nor counted. */
    announce = true,
  ): Promise<boolean> {
    const put = await this.d.state.put(next, previous ? previous.version : null)
    if (!put.ok) {
      if (throwOnConflict) throw new ConflictError(`experiment ${next.spec.id} changed concurrently`, 'VERSION_CONFLICT', { actualVersion: put.actualVersion })
      return false
    }
    try {
      await appendLedger(this.d.warehouse, event, enqueued)
    } catch (error) {
      const undo = previous
        ? await this.d.state.put({ ...previous, version: next.version + 1 }, next.version)
        : await this.d.state.remove(next.spec.id, next.version)
      this.d.log.error({ err: error, experiment: next.spec.id, undone: undo.ok }, 'ledger write failed; transition not applied')
      if (announce) this.d.onTransition?.(event, false)
      throw error
    }
    this.d.log.info({ experiment: event.experimentId, from: event.from, to: event.to, step: event.step, actor: event.actor, reason: event.reason }, announce ? 'transition' : 'refusal recorded')
    if (!announce) return true
    this.d.onTransition?.(event, true)
    await this.d.bus.publish(TOPICS.lifecycle, event.experimentId, event)
    return true
  }
}
