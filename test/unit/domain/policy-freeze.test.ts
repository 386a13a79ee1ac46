import { describe, expect, it } from 'vitest'
import { activeFreezes, describeFreeze, inFreeze } from '../../../src/domain/freeze.js'
import { FreezeWindow } from '../../../src/domain/policy-config.js'
import { specFixture } from '../../support/fixtures.js'
import { check, failedRules } from '../../support/policy.js'

const at = (iso: string) => Date.parse(iso)
const window = (input: unknown) => FreezeWindow.parse(input)
// 2026-03-07 is a Saturday.
const weekend = window({ name: 'weekend', weekly: { days: ['sat', 'sun'], from: '00:00', to: '24:00' } })
const nights = window({ name: 'nights', weekly: { days: ['fri'], from: '22:00', to: '06:00' } })
const blackFriday = window({ name: 'black-friday', start: '2026-11-27T00:00:00Z', end: '2026-11-30T00:00:00+00:00' })

describe('inFreeze', () => {
  it('absolute windows are [start, end)', () => {
    expect(inFreeze(blackFriday, at('2026-11-26T23:59:59Z'))).toBe(false)
    expect(inFreeze(blackFriday, at('2026-11-27T00:00:00Z'))).toBe(true)
    expect(inFreeze(blackFriday, at('2026-11-29T23:59:59Z'))).toBe(true)
    expect(inFreeze(blackFriday, at('2026-11-30T00:00:00Z'))).toBe(false)
  })

  it('absolute windows honour offsets', () => {
    const w = window({ name: 'x', start: '2026-01-01T10:00:00+02:00', end: '2026-01-01T11:00:00+02:00' })
    expect(inFreeze(w, at('2026-01-01T08:30:00Z'))).toBe(true)
    expect(inFreeze(w, at('2026-01-01T10:30:00Z'))).toBe(false)
  })

  it('weekly windows in UTC, whole days with 00:00-24:00', () => {
    expect(inFreeze(weekend, at('2026-03-06T23:59:00Z'))).toBe(false) // Friday
    expect(inFreeze(weekend, at('2026-03-07T00:00:00Z'))).toBe(true) // Saturday
    expect(inFreeze(weekend, at('2026-03-08T23:59:00Z'))).toBe(true) // Sunday
    expect(inFreeze(weekend, at('2026-03-09T00:00:00Z'))).toBe(false) // Monday
  })

  it('a window whose end is not after its start runs past midnight into the next day', () => {
    expect(inFreeze(nights, at('2026-03-06T21:59:00Z'))).toBe(false) // Fri 21:59
    expect(inFreeze(nights, at('2026-03-06T22:00:00Z'))).toBe(true) // Fri 22:00
    expect(inFreeze(nights, at('2026-03-07T05:59:00Z'))).toBe(true) // Sat 05:59
    expect(inFreeze(nights, at('2026-03-07T06:00:00Z'))).toBe(false) // Sat 06:00
    expect(inFreeze(nights, at('2026-03-05T23:00:00Z'))).toBe(false) // Thu night is not listed
  })

  it('a same-day window excludes its end minute', () => {
    const lunch = window({ name: 'lunch', weekly: { days: ['mon'], from: '12:00', to: '13:00' } })
    expect(inFreeze(lunch, at('2026-03-09T12:00:00Z'))).toBe(true)
    expect(inFreeze(lunch, at('2026-03-09T12:59:59Z'))).toBe(true)
    expect(inFreeze(lunch, at('2026-03-09T13:00:00Z'))).toBe(false)
    expect(inFreeze(lunch, at('2026-03-10T12:30:00Z'))).toBe(false)
  })

  it('activeFreezes keeps file order', () => {
    expect(activeFreezes([blackFriday, weekend, nights], at('2026-03-07T01:00:00Z')).map((w) => w.name)).toEqual(['weekend', 'nights'])
  })

  it('describes windows for messages', () => {
    expect(describeFreeze(weekend)).toBe('weekend (weekly sat,sun 00:00-24:00 UTC)')
    expect(describeFreeze(blackFriday)).toBe('black-friday (2026-11-27T00:00:00.000Z to 2026-11-30T00:00:00.000Z)')
  })

  it.each([
    [{ name: 'x', start: '2026-11-27', end: '2026-11-28T00:00:00Z' }],
    [{ name: 'x', start: '2026-11-28T00:00:00Z', end: '2026-11-27T00:00:00Z' }],
    [{ name: 'x', weekly: { days: ['someday'], from: '00:00', to: '01:00' } }],
    [{ name: 'x', weekly: { days: ['mon'], from: '25:00', to: '01:00' } }],
    [{ name: 'x', weekly: { days: [], from: '00:00', to: '01:00' } }],
  ])('refuses a malformed window %j', (input) => {
    expect(FreezeWindow.safeParse(input).success).toBe(false)
  })
})

describe('freeze-window rule', () => {
  const policy = { defaults: { freezes: [{ name: 'weekend', weekly: { days: ['sat', 'sun'] as const, from: '00:00', to: '24:00' } }] } }

  it('blocks start and ramp inside a window, with the window in the message', () => {
    const now = at('2026-03-07T12:00:00Z')
    for (const phase of ['start', 'ramp'] as const) {
      const f = check(specFixture(), { phase, policy, now }).failures
      expect(f).toEqual([{ rule: 'freeze-window', path: 'freezes', message: `no ${phase} during freeze window weekend (weekly sat,sun 00:00-24:00 UTC)` }])
    }
  })

  it('passes outside the window, and never blocks enqueue', () => {
    expect(failedRules(specFixture(), { phase: 'start', policy, now: at('2026-03-09T12:00:00Z') })).toEqual([])
    expect(failedRules(specFixture(), { phase: 'enqueue', policy, now: at('2026-03-07T12:00:00Z') })).toEqual([])
  })

  it('namespace freezes add to the global ones', () => {
    const p = { ...policy, namespaces: { payments: { freezes: [{ name: 'quarter-close', start: '2026-03-06T00:00:00Z', end: '2026-03-10T00:00:00Z' }] } } }
    const now = at('2026-03-07T12:00:00Z')
    expect(check(specFixture({ namespace: 'payments' }), { phase: 'start', policy: p, now }).failures.map((f) => f.message)).toEqual([
      expect.stringContaining('weekend'),
      expect.stringContaining('quarter-close'),
    ])
    expect(failedRules(specFixture({ namespace: 'web' }), { phase: 'start', policy: p, now: at('2026-03-09T12:00:00Z') })).toEqual([])
  })
})
