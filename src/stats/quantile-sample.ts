/**
 * The SQL contract of quantile-compare, computed from raw events (for tests, simulations
 * and as the reference the warehouse query must reproduce). Order statistics use the
 * inverse empirical CDF: the value at 1-based rank ⌈n·p⌉ (numpy `inverted_cdf`,
 * ClickHouse `quantileExactLow`-style lower quantile), clamped to [1, n].
 */
import { quantileBoundLevels, type QuantileArmStats } from './quantile.js'

/** Value at rank ⌈n·p⌉ of an ascending array. */
export function orderStatistic(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length
  const rank = Math.min(n, Math.max(1, Math.ceil(n * p - 1e-9)))
  return sorted[rank - 1]!
}

/**
 * Quantile inputs of one arm from its events: `values[j]` belongs to unit `units[j]`
 * (small non-negative integers). Pass `sorted` when `values` is already ascending.
 */
export function quantileArmStatsOf({ values, units, level, sorted = false }: {
  values: ArrayLike<number>
  units: ArrayLike<number>
  level: number
  sorted?: boolean
}): Required<Omit<QuantileArmStats, 'boundEvents'>> {
  const n = values.length
  const asc = sorted ? values : Float64Array.from(values).sort()
  const q = orderStatistic(asc, level)
  const [lo, hi] = quantileBoundLevels({ events: n, level })
  const below = new Map<number, number>()
  const count = new Map<number, number>()
  for (let j = 0; j < n; j++) {
    const u = units[j]!
    count.set(u, (count.get(u) ?? 0) + 1)
    if (values[j]! <= q) below.set(u, (below.get(u) ?? 0) + 1)
  }
  let belowSum = 0
  let belowSumSquares = 0
  let eventsSumSquares = 0
  let belowEventsCrossSum = 0
  for (const [u, e] of count) {
    const b = below.get(u) ?? 0
    belowSum += b
    belowSumSquares += b * b
    eventsSumSquares += e * e
    belowEventsCrossSum += b * e
  }
  return {
    events: n, units: count.size, quantile: q,
    lower: orderStatistic(asc, lo), upper: orderStatistic(asc, hi),
    belowSum, belowSumSquares, eventsSum: n, eventsSumSquares, belowEventsCrossSum,
  }
}
