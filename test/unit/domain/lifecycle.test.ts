import { describe, expect, it } from 'vitest'
import { transition } from '../../../src/domain/experiment-record.js'
import { LifecycleState, allowedTargets, canTransition, isTerminal } from '../../../src/domain/lifecycle.js'
import { T0, recordFixture } from '../../support/fixtures.js'

type State = LifecycleState

/**
 * The lifecycle as the design describes it, written out independently of the code:
 * draft → queued → scheduled → running(step k) ⇄ paused → completed | rolled_back |
 * rejected | cancelled | expired → archived. Rows are `from`, columns are `to`; X = allowed.
 *
 * - draft: enqueue (queued), refused by policy (rejected) or withdrawn (cancelled).
 * - queued: scheduled when its layer has room; rejected/cancelled; expired when it waits too long.
 * - scheduled: starts (running), is put back in the queue (queued), cancelled or expires.
 * - running: ramps (running → running), pauses, or ends in any outcome except rejected.
 * - paused: resumes or ends in any outcome except rejected.
 * - every ended state can only be archived; archived is final.
 */
const COLUMNS: State[] = ['draft', 'queued', 'scheduled', 'running', 'paused', 'completed', 'rolled_back', 'rejected', 'cancelled', 'expired', 'archived']
const MATRIX: Record<State, string> = {
  //           dr qu sc ru pa co rb rj ca ex ar
  draft:       '.  X  .  .  .  .  .  X  X  .  .',
  queued:      '.  .  X  .  .  .  .  X  X  X  .',
  scheduled:   '.  X  .  X  .  .  .  .  X  X  .',
  running:     '.  .  .  X  X  X  X  .  X  X  .',
  paused:      '.  .  .  X  .  X  X  .  X  X  .',
  completed:   '.  .  .  .  .  .  .  .  .  .  X',
  rolled_back: '.  .  .  .  .  .  .  .  .  .  X',
  rejected:    '.  .  .  .  .  .  .  .  .  .  X',
  cancelled:   '.  .  .  .  .  .  .  .  .  .  X',
  expired:     '.  .  .  .  .  .  .  .  .  .  X',
  archived:    '.  .  .  .  .  .  .  .  .  .  .',
}

function expectedAllowed(from: State, to: State): boolean {
  const cells = MATRIX[from].split(/\s+/)
  if (cells.length !== COLUMNS.length) throw new Error(`matrix row ${from} has ${cells.length} cells`)
  return cells[COLUMNS.indexOf(to)] === 'X'
}

const pairs = COLUMNS.flatMap((from) => COLUMNS.map((to) => ({ from, to, allowed: expectedAllowed(from, to) })))
const actor = { type: 'person' as const, id: 'alice' }

/** A record sitting in `from`, with an allocation when the state holds traffic. */
function recordIn(from: State) {
  const holds = from === 'scheduled' || from === 'running' || from === 'paused'
  return recordFixture({
    state: from,
    step: 0,
    startedAt: from === 'running' || from === 'paused' ? T0 : null,
    stepStartedAt: from === 'running' || from === 'paused' ? T0 : null,
    allocation: holds ? { start: 0, size: 5_000 } : null,
  })
}

describe('lifecycle state set', () => {
  it('has exactly the eleven states of the design', () => {
    expect([...LifecycleState.options].sort()).toEqual([...COLUMNS].sort())
  })

  it('the matrix lists 27 allowed moves out of 121', () => {
    expect(pairs.filter((p) => p.allowed)).toHaveLength(27)
    expect(pairs).toHaveLength(121)
  })

  it.each([
    ['completed', true], ['rolled_back', true], ['rejected', true], ['cancelled', true], ['expired', true], ['archived', true],
    ['draft', false], ['queued', false], ['scheduled', false], ['running', false], ['paused', false],
  ] as const)('isTerminal(%s) is %s', (state, terminal) => {
    expect(isTerminal(state)).toBe(terminal)
  })
})

describe('canTransition over the full 11×11 matrix', () => {
  it.each(pairs)('$from → $to allowed=$allowed', ({ from, to, allowed }) => {
    expect(canTransition(from, to)).toBe(allowed)
  })

  it.each(COLUMNS)('allowedTargets(%s) is exactly the row of the matrix', (from) => {
    const row = COLUMNS.filter((to) => expectedAllowed(from, to))
    expect([...allowedTargets(from)].sort()).toEqual(row.sort())
  })
})

describe('transition() enforces the same matrix on records', () => {
  it.each(pairs.filter((p) => p.allowed))('allows $from → $to', ({ from, to }) => {
    const result = transition(recordIn(from), { to, actor, reason: 'matrix', at: T0 + 1_000 })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.record.state).toBe(to)
    expect(result.event).toMatchObject({ from, to, seq: 1, actor, reason: 'matrix' })
  })

  it.each(pairs.filter((p) => !p.allowed))('refuses $from → $to', ({ from, to }) => {
    const record = recordIn(from)
    const before = structuredClone(record)
    const result = transition(record, { to, actor, reason: 'matrix', at: T0 + 1_000 })
    expect(result).toEqual({ ok: false, code: 'INVALID_TRANSITION', message: expect.stringContaining(`from ${from} to ${to}`) })
    expect(record).toEqual(before)
  })
})

describe('graph properties', () => {
  const reachable = (start: State) => {
    const seen = new Set<State>([start])
    const stack = [start]
    while (stack.length > 0) {
      for (const next of allowedTargets(stack.pop()!)) {
        if (!seen.has(next)) {
          seen.add(next)
          stack.push(next)
        }
      }
    }
    return seen
  }

  it('every state is reachable from draft', () => {
    expect([...reachable('draft')].sort()).toEqual([...COLUMNS].sort())
  })

  it.each(COLUMNS)('%s can always end up archived', (state) => {
    expect(reachable(state).has('archived')).toBe(true)
  })

  it('no terminal state leads back into the active lifecycle', () => {
    for (const s of COLUMNS.filter(isTerminal)) {
      expect([...reachable(s)].every(isTerminal)).toBe(true)
    }
  })
})
