import { maxOrNull, type Sums, type SumsLayout } from '../stats/incremental-sums.js'
import type { UnitsRow } from './evaluate-batch.js'

/** The passes the incremental reader holds (src/services/evaluate-incremental.ts). */
export type Kind = 'stats' | 'ratio' | 'cuped' | 'units' | 'misrouting'

/** Each held pass's increment: its touched units' aggregates old and new, from the cycle's touched table. */
export const INCREMENT: Record<Kind, string> = {
  stats: 'variant-stats-incremental', ratio: 'ratio-stats-incremental', cuped: 'cuped-stats-incremental',
  units: 'variant-units-incremental', misrouting: 'misrouting-summary-incremental',
}

/**
 * Each held pass's base: the batch query's aggregation bounded by received_at <= the watermark, one
 * aggregate per unit in storage order (the incremental text over every unit computed old and new for
 * all of them, without the storage order: 2.8× the batch's cost at 100M, bench/README.md).
 */
export const BASE: Record<Kind, string> = {
  stats: 'variant-stats-base', ratio: 'ratio-stats-base', cuped: 'cuped-stats-base',
  units: 'variant-units-base', misrouting: 'misrouting-summary-base',
}

export const LAYOUT: Record<Kind, SumsLayout> = {
  stats: { additive: ['n', 'sum', 'sum_squares', 'sum_cubes', 'outside'], count: 'n' },
  ratio: { additive: ['n', 'sum', 'sum_squares', 'denominator_sum', 'denominator_sum_squares', 'cross_sum'], count: 'n' },
  cuped: { additive: ['n', 'sum', 'sum_squares', 'covariate_sum', 'covariate_sum_squares', 'covariate_cross_sum', 'units_with_covariate'], count: 'n' },
  units: { additive: ['units', 'events'], max: ['last_event_ms'], count: 'units' },
  misrouting: { additive: ['units', 'misrouted'], count: 'units' },
}

/** A held group as the batch query's row. */
export function rowOf(kind: Kind, key: number | string, variant: string, s: Sums): Record<string, unknown> {
  switch (kind) {
    case 'misrouting':
      return { experiment_id: key, units: s.units, misrouted: s.misrouted }
    case 'units':
      return { experiment_id: key, variant, units: s.units, events: s.events, last_event_ms: maxOrNull(s.last_event_ms!) }
    case 'stats':
      return { key, variant, n: s.n, sum: s.sum, sum_squares: s.sum_squares, sum_cubes: s.sum_cubes, in_unit_interval: s.outside === 0 ? 1 : 0 }
    case 'cuped':
      return {
        key, variant, n: s.n, sum: s.sum, sum_squares: s.sum_squares, covariate_sum: s.covariate_sum,
        covariate_sum_squares: s.covariate_sum_squares, covariate_cross_sum: s.covariate_cross_sum, units_with_covariate: s.units_with_covariate,
      }
    case 'ratio':
      return { key, variant, n: s.n, sum: s.sum, sum_squares: s.sum_squares, denominator_sum: s.denominator_sum, denominator_sum_squares: s.denominator_sum_squares, cross_sum: s.cross_sum }
  }
}

/**
 * How long after its base an experiment's held entries are read from a base again: between half and
 * all of `rebaseMs`, fixed per experiment (a hash of its id), so the experiments based together in a
 * first cycle do not all re-base again in one cycle: each cycle re-bases a share of them.
 */
export function rebaseAfterMs(experiment: string, rebaseMs: number): number {
  let h = 2166136261
  for (let i = 0; i < experiment.length; i++) h = Math.imul(h ^ experiment.charCodeAt(i), 16777619) >>> 0
  return Math.round(rebaseMs * (0.5 + 0.5 * (h / 2 ** 32)))
}

/**
 * The held variant-units rows with each (experiment, variant)'s last event time raised to the newest
 * event received within the grace (variant-last-event-recent-batch.sql): freshness is judged on what
 * is visible now, the sums on what is settled. A variant seen only within the grace is a row with no
 * units (decide() counts a missing variant as 0 units, so SRM is unchanged), in the batch's order.
 */
export function withRecentLastEvents(held: UnitsRow[], recent: Array<Record<string, number | string | null>>): UnitsRow[] {
  const key = (e: string, v: string) => `${e}\u0000${v}`
  const out = new Map(held.map((r) => [key(r.experiment_id, r.variant), { ...r }]))
  for (const r of recent) {
    if (r.last_event_ms === null) continue
    const k = key(String(r.experiment_id), String(r.variant))
    const row = out.get(k)
    const ms = Number(r.last_event_ms)
    if (!row) out.set(k, { experiment_id: String(r.experiment_id), variant: String(r.variant), units: 0, events: 0, last_event_ms: ms })
    else if (row.last_event_ms === null || Number(row.last_event_ms) < ms) row.last_event_ms = ms
  }
  return [...out.values()].sort((a, b) => (key(a.experiment_id, a.variant) < key(b.experiment_id, b.variant) ? -1 : key(a.experiment_id, a.variant) > key(b.experiment_id, b.variant) ? 1 : 0))
}
