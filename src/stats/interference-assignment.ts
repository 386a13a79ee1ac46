/**
 * Assignment independence of two experiments over the units they share: Pearson's χ² test
 * of independence on the r × c cross-tab of A's variants by B's variants (Pearson 1900;
 * no Yates correction, as scipy.stats.chi2_contingency(correction=False)). Independent
 * hashing makes every cell's share the product of the two margins; dependence means the
 * two randomizations are correlated (the same salt, a shared bucketing) — Eppo calls it
 * assignment dependence, an SRM across experiments. Rows or columns with no units are
 * dropped (their expected counts are 0). Status INSUFFICIENT_SAMPLE when an expected count
 * is below 5 (the statistic is still returned) or fewer than 2 rows or columns remain.
 */
import { chiSquareSf } from './gamma.js'
import type { StatsStatus } from './status.js'

export interface AssignmentIndependence {
  status: StatsStatus
  chiSquare: number | null
  df: number | null
  pValue: number | null
  units: number
}

export function assignmentIndependence({ table }: { table: number[][] }): AssignmentIndependence {
  const invalid: AssignmentIndependence = { status: 'INVALID_INPUT', chiSquare: null, df: null, pValue: null, units: 0 }
  if (table.length === 0 || !table.every((r) => r.length === table[0]!.length)) return invalid
  if (!table.every((r) => r.every((c) => Number.isFinite(c) && c >= 0))) return invalid
  const rowSum = table.map((r) => r.reduce((a, b) => a + b, 0))
  const colSum = table[0]!.map((_, j) => table.reduce((a, r) => a + r[j]!, 0))
  const total = rowSum.reduce((a, b) => a + b, 0)
  const rows = rowSum.map((s, i) => [s, i] as const).filter(([s]) => s > 0).map(([, i]) => i)
  const cols = colSum.map((s, j) => [s, j] as const).filter(([s]) => s > 0).map(([, j]) => j)
  if (rows.length < 2 || cols.length < 2) return { status: 'INSUFFICIENT_SAMPLE', chiSquare: null, df: null, pValue: null, units: total }
  let chiSquare = 0
  let small = false
  for (const i of rows) {
    for (const j of cols) {
      const e = (rowSum[i]! * colSum[j]!) / total
      if (e < 5) small = true
      const d = table[i]![j]! - e
      chiSquare += (d * d) / e
    }
  }
  const df = (rows.length - 1) * (cols.length - 1)
  return { status: small ? 'INSUFFICIENT_SAMPLE' : 'ok', chiSquare, df, pValue: chiSquareSf(chiSquare, df), units: total }
}
