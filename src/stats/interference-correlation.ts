/**
 * Correlation of two experiments' control-arm series over shared windows (the baseline
 * correlation reported beside the interaction test): Pearson's r with the Fisher (1915,
 * 1921) z-transform interval tanh(atanh r ± z_{1−α/2}/√(n − 3)). Reported as data: a
 * common trend (traffic mix, time of day) correlates controls without any interference.
 */
import { normalQuantileUpper } from './normal.js'
import type { StatsStatus } from './status.js'
import { pearson } from './pearson.js'

export interface BaselineCorrelation {
  status: StatsStatus
  r: number | null
  ci: [number, number] | null
  n: number
}

export function baselineCorrelation({ x, y, alpha = 0.05 }: { x: number[]; y: number[]; alpha?: number }): BaselineCorrelation {
  const n = x.length
  if (n !== y.length || !x.every(Number.isFinite) || !y.every(Number.isFinite) || !(alpha > 0 && alpha < 1)) return { status: 'INVALID_INPUT', r: null, ci: null, n }
  if (n < 4) return { status: 'INSUFFICIENT_SAMPLE', r: null, ci: null, n }
  const r = pearson(x, y)
  if (r === null) return { status: 'ZERO_VARIANCE', r: null, ci: null, n }
  if (Math.abs(r) === 1) return { status: 'ok', r, ci: [r, r], n }
  const z = Math.atanh(r)
  const h = normalQuantileUpper(alpha / 2) / Math.sqrt(n - 3)
  return { status: 'ok', r, ci: [Math.tanh(z - h), Math.tanh(z + h)], n }
}
