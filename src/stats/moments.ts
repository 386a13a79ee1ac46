import type { StatsStatus } from './status.js'

/**
 * Unit-level sufficient statistics of one metric in one arm: count, Σx and Σx².
 * Records merge by addition, which is what windowed aggregation needs.
 */
export interface Moments {
  n: number
  sum: number
  sumSquares: number
}

/** Element-wise sum of moment records (merging windows or shards). */
export function mergeMoments(...parts: Moments[]): Moments {
  let n = 0
  let sum = 0
  let sumSquares = 0
  for (const p of parts) {
    n += p.n
    sum += p.sum
    sumSquares += p.sumSquares
  }
  return { n, sum, sumSquares }
}

/** Moments of an explicit sample (for tests and simulations). */
export function momentsOf({ values }: { values: readonly number[] }): Moments {
  let sum = 0
  let sumSquares = 0
  for (const v of values) {
    sum += v
    sumSquares += v * v
  }
  return { n: values.length, sum, sumSquares }
}

/**
 * Validates one record: n finite and ≥ 0, sums finite, Σx² ≥ 0 and Cauchy–Schwarz
 * n·Σx² ≥ (Σx)² (with a relative tolerance for rounding in the warehouse), n ≥ 2.
 */
export function validateMoments(m: Moments): StatsStatus {
  if (!Number.isFinite(m.n) || !Number.isFinite(m.sum) || !Number.isFinite(m.sumSquares)) {
    return 'INVALID_INPUT'
  }
  if (m.n < 0 || m.sumSquares < 0) return 'INVALID_INPUT'
  if (m.n === 0 && (m.sum !== 0 || m.sumSquares !== 0)) return 'INVALID_INPUT'
  // Cauchy–Schwarz: Σx² · n ≥ (Σx)²; tolerance covers float rounding of large sums.
  const lhs = m.sumSquares * m.n
  const rhs = m.sum * m.sum
  if (lhs < rhs && rhs - lhs > 1e-9 * Math.max(rhs, 1)) return 'INVALID_INPUT'
  if (m.n < 2) return 'INSUFFICIENT_SAMPLE'
  return 'ok'
}

/** Sample mean Σx/n, or null when n = 0 or inputs are not finite. */
export function mean(m: Moments): number | null {
  if (!(m.n > 0) || !Number.isFinite(m.sum) || !Number.isFinite(m.n)) return null
  return m.sum / m.n
}

/**
 * Unbiased sample variance (Σx² − (Σx)²/n)/(n − 1), clamped at 0 because the
 * subtraction can go slightly negative by rounding when all values are equal.
 */
export function sampleVariance(m: Moments): number | null {
  if (!(m.n >= 2) || !Number.isFinite(m.sum) || !Number.isFinite(m.sumSquares)) return null
  const v = (m.sumSquares - (m.sum * m.sum) / m.n) / (m.n - 1)
  if (!Number.isFinite(v)) return null
  // A residue within ~100 ulps of Σx²/n is cancellation noise, not variance.
  const scale = m.sumSquares / m.n
  return v <= 1e-14 * scale ? 0 : v
}
