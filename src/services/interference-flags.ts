import type { InterferenceRow } from '../domain/interference-assess.js'
import type { Reason } from '../domain/verdict.js'
import type { QueryParams, Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import { describe } from './interference.js'

type Num = number | string
type N = Num | null
interface FlagRow {
  experiment_a: string; experiment_b: string; kind: 'interaction' | 'assignment'; metric: string; variant_a: string; variant_b: string
  units: Num; delta: N; ci_low: N; ci_high: N; adjusted_p: N; p_value: N; chi_square: N; df: N
}

const num = (x: N) => (x === null ? null : Number(x))

/**
 * The INTERFERENCE_FLAGGED reasons of the given experiments' verdicts, from the latest
 * interference run's flagged rows (sql/queries/interference-flags.sql, one query for all of them):
 * one reason per flagged row an experiment is in, naming the other experiment and the numbers.
 * They inform; acting on a flag is the interference job's policy (pause-lower-priority).
 */
export async function readInterferenceFlags(warehouse: Warehouse, experiments: readonly string[]): Promise<Map<string, Reason[]>> {
  const out = new Map<string, Reason[]>()
  if (experiments.length === 0) return out
  const rows = await warehouse.select<FlagRow>(sqlQuery('interference-flags'), { experiments: [...experiments] } as unknown as QueryParams)
  const wanted = new Set(experiments)
  for (const r of rows) {
    const row = {
      kind: r.kind, metric: r.metric, variantA: r.variant_a, variantB: r.variant_b, units: Number(r.units),
      delta: num(r.delta), ciLow: num(r.ci_low), ciHigh: num(r.ci_high), adjustedP: num(r.adjusted_p),
      pValue: num(r.p_value), chiSquare: num(r.chi_square), df: num(r.df),
    }
    const numbers: Reason['numbers'] = row.kind === 'assignment'
      ? { chiSquare: row.chiSquare, df: row.df, pValue: row.pValue, units: row.units }
      : { delta: row.delta, ciLow: row.ciLow, ciHigh: row.ciHigh, adjustedP: row.adjustedP, units: row.units }
    for (const [self, other, variant] of [[r.experiment_a, r.experiment_b, r.variant_a], [r.experiment_b, r.experiment_a, r.variant_b]] as const) {
      if (!wanted.has(self)) continue
      const reason: Reason = {
        code: 'INTERFERENCE_FLAGGED',
        ...(row.kind === 'interaction' ? { metric: row.metric, variant } : {}),
        message: `interference with ${other}: ${describe(row as unknown as InterferenceRow)}`,
        numbers: { ...numbers },
      }
      out.set(self, [...(out.get(self) ?? []), reason])
    }
  }
  return out
}
