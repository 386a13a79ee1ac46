import { describe, expect, it } from 'vitest'
import type { Allocation, ExperimentRecord } from '../../../src/domain/experiment-record.js'
import type { LifecycleState } from '../../../src/domain/lifecycle.js'
import { findFreeRange, planSchedule, queueOrder } from '../../../src/domain/schedule.js'
import { MINUTE, T0, recordFixture, specFixture } from '../../support/fixtures.js'

function exp(
  id: string,
  opts: { priority?: number; enqueuedAt?: number; share?: number; layer?: string; namespace?: string; state?: LifecycleState; allocation?: Allocation | null } = {},
): ExperimentRecord {
  const spec = specFixture({ id, priority: opts.priority ?? 100, trafficShare: opts.share ?? 10, layer: opts.layer ?? 'checkout', namespace: opts.namespace ?? 'web' })
  return recordFixture({ spec, state: opts.state ?? 'queued', enqueuedAt: opts.enqueuedAt ?? T0, allocation: opts.allocation ?? null })
}

const full = () => 100
const overlaps = (a: Allocation, b: Allocation) => a.start < b.start + b.size && b.start < a.start + a.size

describe('queueOrder', () => {
  it('higher priority first, then earlier enqueue, then id', () => {
    const records = [
      exp('late-low', { priority: 10, enqueuedAt: T0 + 5 * MINUTE }),
      exp('b-same', { priority: 500, enqueuedAt: T0 + MINUTE }),
      exp('early-low', { priority: 10, enqueuedAt: T0 }),
      exp('a-same', { priority: 500, enqueuedAt: T0 + MINUTE }),
      exp('urgent', { priority: 1000, enqueuedAt: T0 + 9 * MINUTE }),
      exp('first-high', { priority: 500, enqueuedAt: T0 }),
    ]
    expect([...records].sort(queueOrder).map((r) => r.spec.id)).toEqual(['urgent', 'first-high', 'a-same', 'b-same', 'early-low', 'late-low'])
  })

  it('is a total order: sorting any permutation gives the same result', () => {
    const records = [exp('x', { priority: 5 }), exp('y', { priority: 5 }), exp('z', { priority: 7, enqueuedAt: T0 + 1 })]
    const sorted = [...records].sort(queueOrder).map((r) => r.spec.id)
    expect([...records].reverse().sort(queueOrder).map((r) => r.spec.id)).toEqual(sorted)
    expect(queueOrder(records[0]!, records[0]!)).toBe(0)
  })
})

describe('findFreeRange', () => {
  it('starts at 0 in an empty layer', () => {
    expect(findFreeRange([], 2_500)).toEqual({ start: 0, size: 2_500 })
  })

  it('takes the first gap large enough, ignoring input order', () => {
    const held = [{ start: 6_000, size: 1_000 }, { start: 0, size: 1_000 }, { start: 2_000, size: 500 }]
    expect(findFreeRange(held, 1_000)).toEqual({ start: 1_000, size: 1_000 })
    expect(findFreeRange(held, 1_001)).toEqual({ start: 2_500, size: 1_001 })
    expect(findFreeRange(held, 3_500)).toEqual({ start: 2_500, size: 3_500 })
    expect(findFreeRange(held, 3_501)).toBeNull()
  })

  it('uses the space after the last held range', () => {
    expect(findFreeRange([{ start: 0, size: 7_000 }], 3_000)).toEqual({ start: 7_000, size: 3_000 })
    expect(findFreeRange([{ start: 0, size: 7_000 }], 3_001)).toBeNull()
  })

  it('needs one contiguous range: fragmented free space is not enough', () => {
    const held = [{ start: 2_000, size: 3_000 }, { start: 7_000, size: 3_000 }]
    expect(findFreeRange(held, 2_000)).toEqual({ start: 0, size: 2_000 })
    expect(findFreeRange(held, 2_500)).toBeNull()
  })

  it('respects a capacity below the whole layer', () => {
    expect(findFreeRange([{ start: 0, size: 3_000 }], 2_000, 5_000)).toEqual({ start: 3_000, size: 2_000 })
    expect(findFreeRange([{ start: 0, size: 3_000 }], 2_001, 5_000)).toBeNull()
  })

  it('never returns a range that overlaps a held one or leaves the layer', () => {
    const held = [{ start: 100, size: 900 }, { start: 1_500, size: 2_000 }, { start: 5_000, size: 4_000 }]
    for (const size of [1, 100, 101, 499, 500, 501, 1_000, 1_500, 1_501]) {
      const r = findFreeRange(held, size)
      if (r === null) continue
      expect(held.some((h) => overlaps(h, r))).toBe(false)
      expect(r.start + r.size).toBeLessThanOrEqual(10_000)
      expect(r.size).toBe(size)
    }
  })
})

describe('planSchedule', () => {
  it('schedules queued experiments in queue order with disjoint ranges', () => {
    const records = [exp('low', { priority: 1, share: 30 }), exp('high', { priority: 9, share: 20 }), exp('mid', { priority: 5, share: 50 })]
    const { schedule, waiting } = planSchedule(records, { layerCapacity: full, now: T0, agingPerHour: 0 })
    expect(schedule).toEqual([
      { experimentId: 'high', allocation: { start: 0, size: 2_000 } },
      { experimentId: 'mid', allocation: { start: 2_000, size: 5_000 } },
      { experimentId: 'low', allocation: { start: 7_000, size: 3_000 } },
    ])
    expect(waiting).toEqual([])
  })

  it('only queued experiments are candidates', () => {
    const states: LifecycleState[] = ['draft', 'completed', 'rejected', 'cancelled', 'archived', 'paused']
    const records = states.map((state, i) => exp(`e${i}`, { state }))
    expect(planSchedule(records, { layerCapacity: full, now: T0, agingPerHour: 0 })).toEqual({ schedule: [], waiting: [] })
  })

  it('ranges held by scheduled, running and paused experiments are avoided; ended ones are free', () => {
    const records = [
      exp('running', { state: 'running', allocation: { start: 0, size: 2_000 } }),
      exp('paused', { state: 'paused', allocation: { start: 2_000, size: 2_000 } }),
      exp('scheduled', { state: 'scheduled', allocation: { start: 4_000, size: 1_000 } }),
      exp('done', { state: 'completed', allocation: { start: 5_000, size: 5_000 } }),
      exp('new', { share: 50 }),
    ]
    expect(planSchedule(records, { layerCapacity: full, now: T0, agingPerHour: 0 }).schedule).toEqual([{ experimentId: 'new', allocation: { start: 5_000, size: 5_000 } }])
  })

  it('a higher-priority experiment that does not fit blocks lower ones in its layer', () => {
    const records = [
      exp('running', { state: 'running', share: 60, allocation: { start: 0, size: 6_000 } }),
      exp('big', { priority: 900, share: 50 }),
      exp('small', { priority: 1, share: 10 }),
    ]
    const { schedule, waiting } = planSchedule(records, { layerCapacity: full, now: T0, agingPerHour: 0 })
    expect(schedule).toEqual([])
    expect(waiting).toEqual([
      { experimentId: 'big', layer: 'web/checkout', position: 1, effectivePriority: 900, reason: expect.stringContaining('40.00% free of 100%, needs 50%') },
      { experimentId: 'small', layer: 'web/checkout', position: 2, effectivePriority: 1, reason: expect.stringContaining('behind big, which has a higher (aged) priority') },
    ])
  })

  it('a blocked layer does not hold back other layers or namespaces', () => {
    const records = [
      exp('running', { state: 'running', share: 100, allocation: { start: 0, size: 10_000 } }),
      exp('stuck', { priority: 900, share: 10 }),
      exp('other-layer', { priority: 1, share: 10, layer: 'search' }),
      exp('other-ns', { priority: 1, share: 10, namespace: 'mobile' }),
    ]
    const { schedule, waiting } = planSchedule(records, { layerCapacity: full, now: T0, agingPerHour: 0 })
    expect(schedule.map((s) => s.experimentId).sort()).toEqual(['other-layer', 'other-ns'])
    expect(waiting.map((w) => w.experimentId)).toEqual(['stuck'])
  })

  it('never exceeds the layer capacity, counting what it schedules in the same pass', () => {
    const records = Array.from({ length: 8 }, (_, i) => exp(`e${i}`, { share: 15, enqueuedAt: T0 + i }))
    const { schedule, waiting } = planSchedule(records, { layerCapacity: (ns, layer) => (ns === 'web' && layer === 'checkout' ? 50 : 100), now: T0, agingPerHour: 0 })
    expect(schedule.map((s) => s.experimentId)).toEqual(['e0', 'e1', 'e2'])
    expect(schedule.reduce((sum, s) => sum + s.allocation.size, 0)).toBeLessThanOrEqual(5_000)
    expect(waiting.map((w) => w.experimentId)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7'])
    expect(waiting[0]!.reason).toContain('5.00% free of 50%, needs 15%')
  })

  it('capacity counts ranges already held', () => {
    const records = [exp('running', { state: 'running', allocation: { start: 0, size: 4_000 } }), exp('a', { share: 20 })]
    expect(planSchedule(records, { layerCapacity: () => 50, now: T0, agingPerHour: 0 }).schedule).toEqual([])
    expect(planSchedule(records, { layerCapacity: () => 60, now: T0, agingPerHour: 0 }).schedule).toEqual([{ experimentId: 'a', allocation: { start: 4_000, size: 2_000 } }])
  })

  it('fuzz: scheduled ranges never overlap each other or held ones and stay within capacity', () => {
    let seed = 12_345
    const rand = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32)
    for (let round = 0; round < 200; round++) {
      const capacity = 20 + Math.floor(rand() * 81)
      const running = exp('held', { state: 'running', share: 10, allocation: { start: Math.floor(rand() * 9_000), size: 1_000 } })
      const queued = Array.from({ length: 6 }, (_, i) => exp(`q${i}`, { share: 1 + Math.floor(rand() * 40), priority: Math.floor(rand() * 3), enqueuedAt: T0 + i }))
      const { schedule, waiting } = planSchedule([running, ...queued], { layerCapacity: () => capacity, now: T0, agingPerHour: 0 })
      const ranges = [running.allocation!, ...schedule.map((s) => s.allocation)]
      for (let i = 0; i < ranges.length; i++) {
        for (let j = i + 1; j < ranges.length; j++) expect(overlaps(ranges[i]!, ranges[j]!)).toBe(false)
        expect(ranges[i]!.start + ranges[i]!.size).toBeLessThanOrEqual(10_000)
      }
      expect(ranges.reduce((s, r) => s + r.size, 0)).toBeLessThanOrEqual(capacity * 100)
      expect(schedule.length + waiting.length).toBe(6)
    }
  })
})

describe('aging', () => {
  const H = 3_600_000
  it('an experiment that waited long enough overtakes a newer, higher-priority one', () => {
    const old = { ...exp('old', { priority: 10, share: 60 }), enqueuedAt: T0 - 100 * H }
    const fresh = { ...exp('fresh', { priority: 100, share: 60 }), enqueuedAt: T0 }
    // 10 + 100 h × 1/h = 110 > 100: old starts, fresh waits behind it
    const { schedule, waiting } = planSchedule([old, fresh], { layerCapacity: full, now: T0 })
    expect(schedule.map((d) => d.experimentId)).toEqual(['old'])
    expect(waiting).toMatchObject([{ experimentId: 'fresh', position: 2, effectivePriority: 100 }])
    // without aging the order flips
    expect(planSchedule([old, fresh], { layerCapacity: full, now: T0, agingPerHour: 0 }).schedule.map((d) => d.experimentId)).toEqual(['fresh'])
  })

  it('an experiment that may not start (policy) waits with its reason and blocks nobody', () => {
    const a = exp('a', { priority: 100, share: 60 })
    const b = exp('b', { priority: 1, share: 60 })
    const { schedule, waiting } = planSchedule([a, b], { layerCapacity: full, now: T0, cannotStart: new Map([['a', 'freeze window until Monday']]) })
    expect(schedule.map((d) => d.experimentId)).toEqual(['b'])
    expect(waiting).toEqual([{ experimentId: 'a', layer: 'web/checkout', position: 1, effectivePriority: 100, reason: 'freeze window until Monday' }])
  })
})
