import { describe, expect, it } from 'vitest'
import { type ExperimentRecord, type TransitionRequest, exposureOf, newRecord, revisionGenesis, transition } from '../../../src/domain/experiment-record.js'
import { type LifecycleEvent, LifecycleEventSchema } from '../../../src/domain/lifecycle.js'
import { HOUR, MINUTE, T0, recordFixture, runningRecord, specFixture } from '../../support/fixtures.js'

const person = { type: 'person' as const, id: 'alice' }
const system = { type: 'system' as const, id: 'scheduler' }
const verdict = { type: 'verdict' as const, id: 'v-7' }

function apply(record: ExperimentRecord, req: Omit<TransitionRequest, 'actor' | 'reason'> & Partial<TransitionRequest>) {
  const result = transition(record, { actor: person, reason: 'test', ...req })
  if (!result.ok) throw new Error(result.message)
  return result
}

describe('newRecord', () => {
  it('starts as a draft at step 0 with nothing held', () => {
    const spec = specFixture()
    expect(newRecord(spec, T0)).toEqual({
      spec, state: 'draft', step: 0, enqueuedAt: T0, startedAt: null, stepStartedAt: null, endedAt: null, endState: null, stateSince: T0,
      allocation: null, version: 0, ledgerSeq: 0, lastAppliedVerdictSeq: 0, gstFractions: [], pendingApproval: null, blockedBy: null, enqueuedBy: null, result: null,
      ledgerHash: revisionGenesis(spec, 1), // the first revision's chain starts here
    })
  })
})

describe('exposureOf', () => {
  it('is the current step exposure only while running', () => {
    const r = runningRecord()
    expect(exposureOf(r)).toBe(5)
    expect(exposureOf({ ...r, step: 1 })).toBe(25)
    expect(exposureOf({ ...r, step: 2 })).toBe(100)
  })

  it.each(['draft', 'queued', 'scheduled', 'paused', 'completed', 'archived'] as const)('is 0 when %s', (state) => {
    expect(exposureOf({ ...runningRecord(), state, step: 1 })).toBe(0)
  })
})

describe('ramp rules (running → running)', () => {
  const at = T0 + 2 * HOUR

  it('moves to step + 1 by default', () => {
    const { record, event } = apply(runningRecord(), { to: 'running', at })
    expect(record.step).toBe(1)
    expect(event).toMatchObject({ from: 'running', to: 'running', step: 1, exposure: 25 })
  })

  it('accepts an explicit step + 1', () => {
    expect(apply(runningRecord(specFixture(), { step: 1 }), { to: 'running', at, step: 2 }).record.step).toBe(2)
  })

  it.each([
    { from: 0, to: 0 },
    { from: 0, to: 2 },
    { from: 1, to: 0 },
    { from: 1, to: 3 },
    { from: 0, to: -1 },
  ])('refuses step $from → $to (not step + 1)', ({ from, to }) => {
    const result = transition(runningRecord(specFixture(), { step: from }), { to: 'running', actor: person, reason: 'ramp', at, step: to })
    expect(result).toMatchObject({ ok: false, code: 'INVALID_TRANSITION', message: expect.stringContaining(`step ${from} to step ${to}`) })
  })

  it('never ramps past the last step', () => {
    const last = runningRecord(specFixture(), { step: 2 })
    expect(transition(last, { to: 'running', actor: person, reason: 'ramp', at })).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' })
    expect(transition(last, { to: 'running', actor: person, reason: 'ramp', at, step: 3 })).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' })
  })

  it('a single-step rollout cannot ramp at all', () => {
    const spec = specFixture({ rollout: { steps: [{ exposure: 100 }] } })
    expect(transition(runningRecord(spec), { to: 'running', actor: person, reason: 'ramp', at }).ok).toBe(false)
  })

  it('restarts the step clock, keeps startedAt and clears a pending approval', () => {
    const r = { ...runningRecord(specFixture(), { startedAt: T0, stepStartedAt: T0 }), pendingApproval: { verdictId: 'v-1', toStep: 1 } }
    const { record } = apply(r, { to: 'running', at })
    expect(record).toMatchObject({ startedAt: T0, stepStartedAt: at, endedAt: null, pendingApproval: null, allocation: r.allocation })
  })
})

describe('timestamps and allocation bookkeeping', () => {
  const alloc = { start: 2_000, size: 3_000 }

  it('queued → scheduled takes the allocation it is given', () => {
    const { record, event } = apply(recordFixture({ state: 'queued' }), { to: 'scheduled', at: T0 + MINUTE, actor: system, allocation: alloc })
    expect(record.allocation).toEqual(alloc)
    expect(event.allocation).toEqual(alloc)
    expect(record.startedAt).toBeNull()
  })

  it('scheduled → running sets startedAt and stepStartedAt, keeps the allocation, exposes step 0', () => {
    const at = T0 + 5 * MINUTE
    const { record, event } = apply(recordFixture({ state: 'scheduled', allocation: alloc }), { to: 'running', at, actor: system })
    expect(record).toMatchObject({ state: 'running', step: 0, startedAt: at, stepStartedAt: at, endedAt: null, allocation: alloc })
    expect(event).toMatchObject({ step: 0, exposure: 5, allocation: alloc })
  })

  it('running → paused keeps the allocation and clocks, exposure drops to 0', () => {
    const r = { ...runningRecord(specFixture(), { step: 1, stepStartedAt: T0 + HOUR }), allocation: alloc }
    const { record, event } = apply(r, { to: 'paused', at: T0 + 2 * HOUR })
    expect(record).toMatchObject({ state: 'paused', step: 1, startedAt: T0, stepStartedAt: T0 + HOUR, endedAt: null, allocation: alloc })
    expect(event).toMatchObject({ step: 1, exposure: 0, allocation: alloc })
  })

  it('paused → running resumes the same step and restarts only the step clock', () => {
    const paused = { ...runningRecord(specFixture(), { step: 1, stepStartedAt: T0 + HOUR }), state: 'paused' as const }
    const at = T0 + 5 * HOUR
    const { record, event } = apply(paused, { to: 'running', at })
    expect(record).toMatchObject({ state: 'running', step: 1, startedAt: T0, stepStartedAt: at })
    expect(event.exposure).toBe(25)
  })

  it.each(['completed', 'rolled_back', 'cancelled', 'expired'] as const)('running → %s sets endedAt, releases the allocation and any pending approval', (to) => {
    const r = { ...runningRecord(), pendingApproval: { verdictId: 'v-1', toStep: 1 } }
    const at = T0 + 3 * HOUR
    const { record, event } = apply(r, { to, at })
    expect(record).toMatchObject({ state: to, endedAt: at, allocation: null, pendingApproval: null, startedAt: T0 })
    expect(event).toMatchObject({ exposure: 0, allocation: null })
  })

  it('an explicit allocation on a terminal move is still released', () => {
    const { record } = apply(runningRecord(), { to: 'completed', at: T0 + HOUR, allocation: alloc })
    expect(record.allocation).toBeNull()
  })

  it.each(['rejected', 'cancelled'] as const)('draft → %s sets endedAt', (to) => {
    expect(apply(recordFixture(), { to, at: T0 + MINUTE }).record.endedAt).toBe(T0 + MINUTE)
  })

  it('archiving keeps the original endedAt', () => {
    const ended = { ...runningRecord(), state: 'completed' as const, endedAt: T0 + HOUR, allocation: null }
    const { record } = apply(ended, { to: 'archived', at: T0 + 10 * HOUR })
    expect(record).toMatchObject({ state: 'archived', endedAt: T0 + HOUR, allocation: null })
  })

  it('scheduled → queued gives the reserved range back (a queued experiment holds no traffic)', () => {
    const { record, event } = apply(recordFixture({ state: 'scheduled', allocation: alloc }), { to: 'queued', at: T0 + MINUTE, actor: system })
    expect(record.allocation).toBeNull()
    expect(event.allocation).toBeNull()
  })

  it('does not mutate the input record', () => {
    const r = runningRecord()
    const before = structuredClone(r)
    apply(r, { to: 'running', at: T0 + 2 * HOUR })
    apply(r, { to: 'completed', at: T0 + 2 * HOUR })
    expect(r).toEqual(before)
  })
})

describe('ledger events', () => {
  it('a full life produces consecutive seqs, chained from/to, and schema-valid events', () => {
    const alloc = { start: 0, size: 10_000 }
    const steps: Array<Omit<TransitionRequest, 'reason'> & { reason?: string }> = [
      { to: 'queued', actor: person, at: T0 },
      { to: 'scheduled', actor: system, at: T0 + MINUTE, allocation: alloc },
      { to: 'running', actor: system, at: T0 + 2 * MINUTE },
      { to: 'running', actor: verdict, at: T0 + 2 * HOUR, verdictId: 'v-7', step: 1 },
      { to: 'paused', actor: verdict, at: T0 + 3 * HOUR, verdictId: 'v-8' },
      { to: 'running', actor: person, at: T0 + 4 * HOUR },
      { to: 'running', actor: person, at: T0 + 7 * HOUR },
      { to: 'completed', actor: verdict, at: T0 + 40 * HOUR, verdictId: 'v-20' },
      { to: 'archived', actor: system, at: T0 + 100 * HOUR },
    ]
    let record = recordFixture()
    const events: LifecycleEvent[] = []
    for (const [i, req] of steps.entries()) {
      const result = apply(record, { reason: `move ${i}`, ...req })
      expect(result.record.version).toBe(record.version + 1)
      expect(result.record.ledgerSeq).toBe(record.ledgerSeq + 1)
      record = result.record
      events.push(result.event)
    }
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(events.map((e) => e.from)).toEqual(['draft', 'queued', 'scheduled', 'running', 'running', 'paused', 'running', 'running', 'completed'])
    expect(events.map((e) => e.exposure)).toEqual([0, 0, 5, 25, 0, 25, 100, 0, 0])
    expect(events.map((e) => e.step)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2])
    expect(events.map((e) => e.verdictId)).toEqual([null, null, null, 'v-7', 'v-8', null, null, 'v-20', null])
    for (const [i, e] of events.entries()) {
      expect(e).toMatchObject({ experimentId: 'checkout-button', actor: steps[i]!.actor, reason: `move ${i}`, at: steps[i]!.at })
      expect(LifecycleEventSchema.parse(e)).toEqual(e)
    }
    expect(record).toMatchObject({ state: 'archived', startedAt: T0 + 2 * MINUTE, stepStartedAt: T0 + 7 * HOUR, endedAt: T0 + 40 * HOUR, version: 9, ledgerSeq: 9 })
  })

  it('seq continues from the record ledgerSeq, not from 1', () => {
    const r = { ...runningRecord(), ledgerSeq: 41, version: 57 }
    const { record, event } = apply(r, { to: 'paused', at: T0 + HOUR })
    expect(event.seq).toBe(42)
    expect(record).toMatchObject({ ledgerSeq: 42, version: 58 })
  })

  it('a refused move produces no event and leaves seq and version alone', () => {
    const r = recordFixture({ state: 'queued', ledgerSeq: 4, version: 4 })
    const result = transition(r, { to: 'running', actor: person, reason: 'skip the queue', at: T0 })
    expect(result.ok).toBe(false)
    expect('event' in result).toBe(false)
    expect(r).toMatchObject({ ledgerSeq: 4, version: 4, state: 'queued' })
  })
})
