/**
 * Stable result codes. Degenerate inputs are data, not exceptions: every result carries
 * `status`, and numeric fields that cannot be computed are `null` (never NaN).
 */
export type StatsStatus =
  | 'ok'
  /** n < 2 in some arm (or too few units / looks for the method). */
  | 'INSUFFICIENT_SAMPLE'
  /** The standard error is 0: every unit has the same value. */
  | 'ZERO_VARIANCE'
  /** Negative n, non-finite sums, sumSquares inconsistent with sum, bad parameters. */
  | 'INVALID_INPUT'
  /** Relative lift asked for but the control mean is 0 (or not separable from 0). */
  | 'ZERO_CONTROL_MEAN'
  /** Ratio metric whose denominator sum is 0. */
  | 'ZERO_DENOMINATOR'

/** Worst-first precedence used when several checks fail at once. */
const PRECEDENCE: StatsStatus[] = [
  'INVALID_INPUT',
  'INSUFFICIENT_SAMPLE',
  'ZERO_DENOMINATOR',
  'ZERO_CONTROL_MEAN',
  'ZERO_VARIANCE',
  'ok',
]

/** The most severe of several statuses (INVALID_INPUT beats INSUFFICIENT_SAMPLE beats …). */
export function worstStatus(...statuses: StatsStatus[]): StatsStatus {
  let best = PRECEDENCE.length - 1
  for (const s of statuses) best = Math.min(best, PRECEDENCE.indexOf(s))
  return PRECEDENCE[best] ?? 'ok'
}

/** A finite number or null: the only numeric shapes a result may expose. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null
}
