import { describe, expect, it } from 'vitest'
import { rebaseAfterMs, rowOf } from '../../../src/services/evaluate-incremental-rows.js'

const HOUR = 3_600_000

describe('rebaseAfterMs', () => {
  it('is between half and all of the re-base period, the same for an experiment every time', () => {
    for (let i = 0; i < 2_000; i++) {
      const ms = rebaseAfterMs(`x1000-${i}`, 6 * HOUR)
      expect(ms).toBeGreaterThanOrEqual(3 * HOUR)
      expect(ms).toBeLessThanOrEqual(6 * HOUR)
      expect(rebaseAfterMs(`x1000-${i}`, 6 * HOUR)).toBe(ms)
    }
  })

  it('spreads experiments based in one cycle over the period: no tenth of it takes more than a fifth of them', () => {
    const bands = new Array<number>(10).fill(0)
    for (let i = 0; i < 1_000; i++) bands[Math.min(9, Math.floor(((rebaseAfterMs(`x1000-${i}`, 6 * HOUR) - 3 * HOUR) / (3 * HOUR)) * 10))]!++
    expect(Math.max(...bands)).toBeLessThanOrEqual(200)
    expect(Math.min(...bands)).toBeGreaterThan(0)
  })
})

describe('rowOf', () => {
  it('gives a held CUPED group the batch row of cuped-stats-batch.sql', () => {
    const s = { n: 3, sum: 6, sum_squares: 14, covariate_sum: 2, covariate_sum_squares: 2, covariate_cross_sum: 5, units_with_covariate: 2 }
    expect(rowOf('cuped', 7, 'b', s)).toEqual({ key: 7, variant: 'b', ...s })
  })
})
