import { describe, expect, it } from 'vitest'
import { DEFAULT_HOUSEKEEPING, planHousekeeping } from '../../../src/domain/housekeeping.js'
import { DAY, HOUR, T0, recordFixture, specFixture } from '../../support/fixtures.js'

const spec = specFixture({ maxDuration: '10d' })
const rec = (over: Parameters<typeof recordFixture>[0]) => recordFixture({ spec, ...over })

describe('planHousekeeping', () => {
  it('expires a paused experiment past its max duration, counted from its start', () => {
    const paused = rec({ state: 'paused', startedAt: T0, stateSince: T0 + DAY })
    expect(planHousekeeping([paused], T0 + 10 * DAY - 1).expire).toEqual([])
    const plan = planHousekeeping([paused], T0 + 10 * DAY)
    expect(plan.expire).toEqual([{ experimentId: spec.id, reason: expect.stringContaining('paused past max duration') }])
  })

  it('leaves running experiments to evaluation until the grace after max duration has passed', () => {
    const running = rec({ state: 'running', startedAt: T0, stateSince: T0 })
    expect(planHousekeeping([running], T0 + 10 * DAY + DEFAULT_HOUSEKEEPING.expiryGrace - 1).expire).toEqual([])
    expect(planHousekeeping([running], T0 + 10 * DAY + DEFAULT_HOUSEKEEPING.expiryGrace).expire).toHaveLength(1)
  })

  it('expires a queued experiment that waited longer than its max duration', () => {
    const queued = rec({ state: 'queued', enqueuedAt: T0, stateSince: T0 })
    expect(planHousekeeping([queued], T0 + 10 * DAY).expire[0]!.reason).toMatch(/waited 240.0h in the queue/)
    expect(planHousekeeping([queued], T0 + 10 * DAY - 1).expire).toEqual([])
  })

  it('archives ended experiments after the retention, never twice', () => {
    const ended = ['completed', 'rolled_back', 'rejected', 'cancelled', 'expired'] as const
    const records = ended.map((state, i) => rec({ spec: { ...spec, id: `e${i}` }, state, endedAt: T0, stateSince: T0 }))
    const config = { ...DEFAULT_HOUSEKEEPING, archiveAfter: 2 * DAY }
    expect(planHousekeeping(records, T0 + 2 * DAY - 1, config).archive).toEqual([])
    expect(planHousekeeping(records, T0 + 2 * DAY, config).archive.map((a) => a.experimentId)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4'])
    const archived = rec({ state: 'archived', endedAt: T0, stateSince: T0 })
    expect(planHousekeeping([archived], T0 + 100 * DAY, config).archive).toEqual([])
  })

  it('reports a state held past its limit as stuck, with how long and the limit', () => {
    const scheduled = rec({ state: 'scheduled', stateSince: T0 })
    expect(planHousekeeping([scheduled], T0 + HOUR - 1).stuck).toEqual([])
    expect(planHousekeeping([scheduled], T0 + 2 * HOUR).stuck).toEqual([{ experimentId: spec.id, state: 'scheduled', since: T0, forMs: 2 * HOUR, limitMs: HOUR }])
    // running has no stuck limit: evaluation moves it
    expect(planHousekeeping([rec({ state: 'running', startedAt: T0, stateSince: T0 })], T0 + 5 * DAY).stuck).toEqual([])
  })
})
