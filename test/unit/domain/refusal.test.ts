import { describe, expect, it } from 'vitest'
import { transition } from '../../../src/domain/experiment-record.js'
import { entryHash } from '../../../src/domain/ledger-chain.js'
import { isRefusalEntry, refusalChanged, refusalCodes, refusalEntry, refusalOf, startRefusal, verdictHold } from '../../../src/domain/refusal.js'
import type { Verdict } from '../../../src/domain/verdict.js'
import { T0, recordFixture, specFixture } from '../../support/fixtures.js'

const freeze = { rule: 'freeze-window', path: 'freezes', message: 'no start during freeze window f' }
const quota = { rule: 'quota-team', path: 'team', message: 'team a already runs 1' }
const hold = (message: string) => ({ rule: 'ERROR_BUDGET_GATE', path: 'metrics.guardrails[0]', message })
const spec = specFixture({ rollout: { steps: [{ exposure: 10, minDuration: '1h' }, { exposure: 100, minDuration: '1h' }] } })
const running = (step: number) => recordFixture({ spec, state: 'running', step, ledgerSeq: 3, ledgerHash: 'h3', allocation: { start: 0, size: 1000 } })
const verdict = (over: Partial<Verdict>): Pick<Verdict, 'id' | 'seq' | 'decision' | 'step' | 'reasons'> => ({ id: 'v-1', seq: 4, decision: 'continue', step: 0, reasons: [], ...over })

describe('refusal codes and change', () => {
  it('a policy refusal is POLICY_REFUSED and its rules; a hold is its verdict codes', () => {
    expect(refusalCodes([freeze, quota, freeze])).toEqual(['POLICY_REFUSED', 'freeze-window', 'quota-team'])
    expect(refusalCodes([hold('a'), { rule: 'GUARDRAIL_NO_DATA', path: 'metrics.guardrails[0]', message: 'b' }])).toEqual(['ERROR_BUDGET_GATE', 'GUARDRAIL_NO_DATA'])
  })

  it('is new when nothing is held or the codes differ; other figures under the same codes are not', () => {
    expect(refusalChanged(null, [freeze])).toBe(true)
    expect(refusalChanged([], [freeze])).toBe(true)
    expect(refusalChanged([freeze], [{ ...freeze, message: 'another window' }])).toBe(false)
    expect(refusalChanged([hold('bound 4.7×')], [hold('bound 2.2×')])).toBe(false)
    expect(refusalChanged([freeze], [freeze, quota])).toBe(true)
    expect(refusalChanged([freeze, quota], [quota])).toBe(true)
    expect(refusalChanged([freeze], [hold('x')])).toBe(true)
  })
})

describe('verdictHold', () => {
  const budget = { code: 'ERROR_BUDGET_GATE' as const, metric: 'error_rate', message: 'ramp held: bound 4.7×', numbers: {} }
  it('a continue with ERROR_BUDGET_GATE or GUARDRAIL_NO_DATA at the record step holds the ramp, at the last step the completion', () => {
    expect(verdictHold(verdict({ reasons: [budget] }), running(0))).toEqual({
      phase: 'ramp',
      failures: [{ rule: 'ERROR_BUDGET_GATE', path: 'metrics.guardrails[0]', message: 'ramp held: bound 4.7×' }],
      actor: { type: 'verdict', id: 'v-1' },
      verdictId: 'v-1',
      verdictSeq: 4,
    })
    expect(verdictHold(verdict({ step: 1, reasons: [{ code: 'GUARDRAIL_NO_DATA', message: 'no data', numbers: {} }] }), running(1))?.phase).toBe('completion')
  })

  it('nothing for other decisions, other codes, another step or a record not running', () => {
    expect(verdictHold(verdict({ decision: 'ramp', reasons: [budget] }), running(0))).toBeNull()
    expect(verdictHold(verdict({ reasons: [{ code: 'STEP_DURATION_PENDING', message: 'wait', numbers: {} }] }), running(0))).toBeNull()
    expect(verdictHold(verdict({ step: 1, reasons: [budget] }), running(0))).toBeNull()
    expect(verdictHold(verdict({ reasons: [budget] }), { ...running(0), state: 'paused' })).toBeNull()
  })
})

describe('refusalEntry', () => {
  it('links the chain without moving the experiment', () => {
    const record = recordFixture({ spec, state: 'queued', ledgerSeq: 1, ledgerHash: 'h1', version: 2 })
    const { record: next, event } = refusalEntry(record, startRefusal([freeze]), T0 + 5)
    expect(event).toMatchObject({ seq: 2, from: 'queued', to: 'queued', step: 0, exposure: 0, prevHash: 'h1', codes: ['POLICY_REFUSED', 'freeze-window'], actor: { type: 'policy', id: 'scheduler' }, reason: 'start refused: freeze-window: no start during freeze window f', result: null })
    const { prevHash, hash, ...fields } = event
    expect(hash).toBe(entryHash(prevHash, fields))
    expect(next).toEqual({ ...record, version: 3, ledgerSeq: 2, ledgerHash: hash, blockedBy: [freeze] })
    expect(isRefusalEntry(event)).toBe(true)
  })

  it('a real ramp is not a refusal entry', () => {
    const r = transition(running(0), { to: 'running', actor: { type: 'verdict', id: 'v' }, reason: 'ramp', at: T0, codes: ['STEP_DURATION_MET', 'HEALTHY'] })
    expect(r.ok && isRefusalEntry(r.event)).toBe(false)
    const held = refusalEntry(running(0), verdictHold(verdict({ reasons: [{ code: 'ERROR_BUDGET_GATE', message: 'x', numbers: {} }] }), running(0))!, T0)
    expect(held.event).toMatchObject({ from: 'running', to: 'running', step: 0, exposure: 10, allocation: { start: 0, size: 1000 }, verdictId: 'v-1', verdictSeq: 4 })
    expect(isRefusalEntry(held.event)).toBe(true)
  })
})

describe('refusalOf (what a rebuild restores into blockedBy)', () => {
  const queued = recordFixture({ spec, state: 'queued', ledgerSeq: 1, ledgerHash: 'h1' })

  it('is the failures the entry stored, which its hash covers', () => {
    const { event } = refusalEntry(queued, startRefusal([freeze, quota]), T0)
    expect(event.blockedBy).toEqual([freeze, quota])
    expect(refusalOf(event)).toEqual([freeze, quota])
    const { prevHash, hash, ...fields } = event
    expect(entryHash(prevHash, { ...fields, blockedBy: [{ ...freeze, path: 'elsewhere' }, quota] })).not.toBe(hash)
  })

  it('reads rules and messages back from the reason of an entry stored before entries kept the failures (no paths)', () => {
    const semi = { rule: 'quota-team', path: 'team', message: 'team a runs 1; limit 1' }
    const { event } = refusalEntry(queued, startRefusal([freeze, semi]), T0)
    const old = { ...event, blockedBy: undefined }
    expect(refusalOf(old)).toEqual([
      { rule: 'freeze-window', path: '', message: freeze.message },
      { rule: 'quota-team', path: '', message: semi.message },
    ])
    const held = refusalEntry(running(0), verdictHold(verdict({ reasons: [{ code: 'ERROR_BUDGET_GATE', message: 'bound 4.7×', numbers: {} }, { code: 'GUARDRAIL_NO_DATA', message: 'a 3+2 units', numbers: {} }] }), running(0))!, T0)
    expect(refusalOf({ ...held.event, blockedBy: null })).toEqual([
      { rule: 'ERROR_BUDGET_GATE', path: '', message: 'bound 4.7×' },
      { rule: 'GUARDRAIL_NO_DATA', path: '', message: 'a 3+2 units' },
    ])
  })
})
