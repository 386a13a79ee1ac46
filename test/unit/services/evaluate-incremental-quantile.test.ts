import { describe, expect, it } from 'vitest'
import { applyUnitChanges, HeldQuantileMismatch, quantileArmRow, type QuantileArm } from '../../../src/services/evaluate-incremental-quantile.js'
import { prng } from '../../support/random-scenario.js'

/**
 * The held quantile arm against the batch query's arithmetic done directly on each unit's values
 * (quantile-stats-batch.sql: all values sorted for the order statistics, then per unit b = #values <= q
 * and e = #values, summed): no entry weights in the oracle.
 */
function oracle(key: number, variant: string, level: number, units: Map<string, number[]>) {
  const all = [...units.values()].flat().sort((a, b) => a - b)
  const n = all.length
  const at = (p: number) => all[Math.min(n, Math.max(1, Math.ceil(n * p - 1e-9))) - 1]!
  const h = 1.959963984540054 * Math.sqrt(level * (1 - level) / n)
  const q = at(level)
  const per = [...units.values()].filter((u) => u.length > 0).map((u) => ({ b: u.filter((x) => x <= q).length, e: u.length }))
  return {
    key, variant, events: n, units: per.length, quantile: q, lower: at(level - h), upper: at(level + h),
    below_sum: per.reduce((s, u) => s + u.b, 0), below_sum_squares: per.reduce((s, u) => s + u.b * u.b, 0), events_sum: n,
    events_sum_squares: per.reduce((s, u) => s + u.e * u.e, 0), below_events_cross_sum: per.reduce((s, u) => s + u.b * u.e, 0),
  }
}

describe('held quantile arm', () => {
  it('equals the batch arithmetic over rounds of new units, changed units and units leaving the arm (ties included)', () => {
    const rnd = prng(7)
    const units = new Map<string, number[]>()
    let arm: QuantileArm | undefined
    let rounds = 0
    for (let r = 0; r < 40; r++) {
      const changes: Array<{ old: number[]; new: number[] }> = []
      const seen = new Set<string>()
      for (let c = 0; c < 1 + Math.floor(rnd() * 12); c++) {
        const id = `u${Math.floor(rnd() * 30)}`
        const old = units.get(id) ?? []
        if (seen.has(id)) continue // one change per unit and cycle, as the increment's rows
        seen.add(id)
        // new unit, more values (few distinct: ties across and within units), or gone from the arm (switched variant)
        const next = old.length > 0 && rnd() < 0.15 ? [] : [...old, ...Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => Math.floor(rnd() * 8))]
        changes.push({ old, new: next })
        units.set(id, next)
      }
      arm = applyUnitChanges(arm, changes)
      if ([...units.values()].every((u) => u.length === 0)) continue
      for (const level of [0.5, 0.9, 0.95]) expect(quantileArmRow(3, 'b', level, arm)).toEqual(oracle(3, 'b', level, units))
      rounds++
    }
    expect(rounds).toBeGreaterThan(30)
    expect(arm!.units).toBeGreaterThan(10)
  })

  it('refuses to take out values the arm does not hold', () => {
    const arm = applyUnitChanges(undefined, [{ old: [], new: [1, 2] }])
    expect(() => applyUnitChanges(arm, [{ old: [3], new: [3, 4] }])).toThrow(HeldQuantileMismatch)
    expect(() => applyUnitChanges(arm, [{ old: [1, 2], new: [1, 2, 5] }, { old: [2], new: [] }])).toThrow(HeldQuantileMismatch)
  })

  it('an emptied arm has no row', () => {
    const arm = applyUnitChanges(applyUnitChanges(undefined, [{ old: [], new: [4] }]), [{ old: [4], new: [] }])
    expect(arm.units).toBe(0)
    expect(quantileArmRow(1, 'a', 0.5, arm)).toBeUndefined()
  })
})
