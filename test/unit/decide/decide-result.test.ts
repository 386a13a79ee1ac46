/** Outcomes that say what happened: the result a completion carries, and how the record keeps it. */
import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/decide/decide.js'
import { resultOf, transition } from '../../../src/domain/experiment-record.js'
import { DAY, T0, bernoulli, evaluationFixture, runningRecord, specFixture } from '../../support/fixtures.js'

const N = 20_000
const flatErrors = { control: bernoulli(N, 0.01), treatment: bernoulli(N, 0.01) }
const lastStep = (spec = specFixture()) => runningRecord(spec, { step: 2, stepStartedAt: T0 + DAY })
const at = (conversion: { control: ReturnType<typeof bernoulli>; treatment: ReturnType<typeof bernoulli> }, now = T0 + 3 * DAY, spec = specFixture()) =>
  decide(evaluationFixture({ record: lastStep(spec), now, metrics: { conversion, error_rate: flatErrors } }))

describe('completion result', () => {
  it('shipped: conclusive in the wanted direction, guardrails clean', () => {
    const out = at({ control: bernoulli(N, 0.1), treatment: bernoulli(N, 0.13) })
    expect(out).toMatchObject({ decision: 'complete', result: 'shipped' })
  })

  it('regressed: conclusive in the wrong direction', () => {
    const out = at({ control: bernoulli(N, 0.13), treatment: bernoulli(N, 0.1) })
    expect(out).toMatchObject({ decision: 'complete', result: 'regressed' })
  })

  it('a decrease-is-good primary that went down is shipped', () => {
    const spec = specFixture({ metrics: { primary: { name: 'conversion', direction: 'decrease' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }] } })
    expect(at({ control: bernoulli(N, 0.13), treatment: bernoulli(N, 0.1) }, T0 + 3 * DAY, spec).result).toBe('shipped')
  })

  it('no-effect-detected: max duration with an inconclusive primary', () => {
    const out = at({ control: bernoulli(N, 0.1), treatment: bernoulli(N, 0.1) }, T0 + 14 * DAY)
    expect(out).toMatchObject({ decision: 'complete', result: 'no-effect-detected' })
  })

  it('decisions other than complete carry no result', () => {
    expect(at({ control: bernoulli(N, 0.1), treatment: bernoulli(N, 0.1) }).result).toBeNull()
  })
})

describe('record result', () => {
  const running = runningRecord()
  const actor = { type: 'verdict' as const, id: 'v1' }
  it('a completion stores the verdict result on the record and on its ledger entry, with the codes', () => {
    const t = transition(running, { to: 'completed', actor, reason: 'complete', at: T0 + DAY, result: 'shipped', codes: ['PRIMARY_CONCLUSIVE'] })
    expect(t.ok && t.record.result).toBe('shipped')
    expect(t.ok && t.event).toMatchObject({ result: 'shipped', codes: ['PRIMARY_CONCLUSIVE'] })
  })

  it('a rollback or cancel is stopped; archiving keeps the result and does not restate it', () => {
    const rb = transition(running, { to: 'rolled_back', actor, reason: 'harm', at: T0 + DAY })
    expect(rb.ok && rb.record.result).toBe('stopped')
    if (!rb.ok) throw new Error('rollback refused')
    const ar = transition(rb.record, { to: 'archived', actor: { type: 'person', id: 'a' }, reason: 'done', at: T0 + 2 * DAY })
    expect(ar.ok && ar.record.result).toBe('stopped')
    expect(ar.ok && ar.event.result).toBeNull()
  })

  it('replaying the ledger entries through resultOf gives the live result', () => {
    const t = transition(running, { to: 'completed', actor, reason: 'complete', at: T0 + DAY, result: 'regressed' })
    if (!t.ok) throw new Error('refused')
    expect(resultOf(t.event.to, t.event.result as 'regressed', running.result)).toBe(t.record.result)
    // a completion without a verdict result (older ledgers) reads as no-effect-detected both ways
    const bare = transition(running, { to: 'completed', actor, reason: 'complete', at: T0 + DAY })
    expect(bare.ok && bare.record.result).toBe('no-effect-detected')
  })
})
