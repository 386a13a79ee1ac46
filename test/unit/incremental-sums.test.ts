import { describe, expect, it } from 'vitest'
import { applyIncrement, hasUnits, maxOrNull, type Sums } from '../../src/stats/incremental-sums.js'
import { prng } from '../support/random-scenario.js'

const layout = { additive: ['n', 'sum', 'sum_squares'], max: ['last'], count: 'n' }

/** Σ f(unit) over units, computed from scratch: the independent side of the comparison. */
const direct = (units: Map<string, number[]>) => {
  const xs = [...units.values()].filter((e) => e.length > 0).map((e) => e.reduce((a, b) => a + b, 0) / e.length)
  return { n: xs.length, sum: xs.reduce((a, b) => a + b, 0), sum_squares: xs.reduce((a, b) => a + b * b, 0) }
}

describe('incremental sums', () => {
  it('held sums moved by new − old of the touched units equal the sums from scratch (a per-unit mean, not additive in events)', () => {
    const rnd = prng(7)
    const units = new Map<string, number[]>()
    const held = new Map<string, Sums>()
    for (let round = 0; round < 30; round++) {
      const touched = new Map<string, { old: number[]; now: number[] }>()
      for (let k = 0; k < 20; k++) {
        const u = `u${Math.floor(rnd() * 40)}`
        const events = units.get(u) ?? []
        if (!touched.has(u)) touched.set(u, { old: [...events], now: events })
        events.push(Math.floor(rnd() * 100) / 7)
        units.set(u, events)
      }
      const mean = (e: number[]) => e.reduce((a, b) => a + b, 0) / e.length
      const part = (list: number[][]) => ({ n: list.length, sum: list.reduce((a, e) => a + mean(e), 0), sum_squares: list.reduce((a, e) => a + mean(e) ** 2, 0) })
      const o = part([...touched.values()].map((t) => t.old).filter((e) => e.length > 0))
      const n = part([...touched.values()].map((t) => t.now))
      applyIncrement(held, 'g', { n_old: o.n, n_new: n.n, sum_old: o.sum, sum_new: n.sum, sum_squares_old: o.sum_squares, sum_squares_new: n.sum_squares, last_max: round * 10 }, layout)
      const want = direct(units)
      const got = held.get('g')!
      expect(got.n).toBe(want.n)
      expect(Math.abs((got.sum ?? Number.NaN) - want.sum) / want.sum).toBeLessThan(1e-12)
      expect(Math.abs((got.sum_squares ?? Number.NaN) - want.sum_squares) / want.sum_squares).toBeLessThan(1e-12)
      expect(got.last).toBe(round * 10)
    }
  })

  it('a max keeps the larger value, strings (64-bit cells) are numbers, and a new group without units has none', () => {
    const held = new Map<string, Sums>()
    applyIncrement(held, 'a', { n_old: '0', n_new: '0', last_max: null }, layout)
    expect(hasUnits(held.get('a')!, layout)).toBe(false)
    expect(maxOrNull(held.get('a')!.last!)).toBeNull()
    applyIncrement(held, 'a', { n_old: '0', n_new: '3', sum_new: '1.5', last_max: '20' }, layout)
    applyIncrement(held, 'a', { n_old: '3', n_new: '3', sum_old: '1.5', sum_new: '2', last_max: '10' }, layout)
    expect(held.get('a')).toEqual({ n: 3, sum: 2, sum_squares: 0, last: 20 })
    expect(hasUnits(held.get('a')!, layout)).toBe(true)
  })
})
