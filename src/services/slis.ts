import { metricsOf } from '../domain/experiment.js'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import { sourceOf, typeOf } from '../domain/metric.js'
import { InputError } from '../errors.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'

/** Windows a series can be rolled up to: fixed buckets, or one bucket since start / the last ramp. */
export const SLI_WINDOWS = { '1m': 60, '5m': 300, '1h': 3600, start: 0, ramp: 0 } as const
export type SliWindow = keyof typeof SLI_WINDOWS

export interface SliPoint {
  variant: string
  /** bucket start (ms); for start/ramp, the start of the range */
  bucketMs: number
  events: number
  sum: number
  sumSquares: number
  mean: number | null
  /** t-digest estimates (sql/migrations/0014_sli_minutes.sql; error: bench/README-sli.md) */
  p50: number | null
  p90: number | null
  p95: number | null
  p99: number | null
  /** newest received_at of the bucket's events (freshness) */
  lastReceivedMs: number | null
}

export interface SliSeries {
  experimentId: string
  metric: string
  /** the event metric read */
  source: string
  window: SliWindow
  fromMs: number
  toMs: number
  points: SliPoint[]
}

interface SeriesRow { variant: string; bucket_ms: number | string; events: number | string; sum: number; sum_squares: number; quantiles: number[]; last_received_ms: number | string | null }

/**
 * The SLI series of one metric of an experiment, from the per-minute projection: counts, Σx,
 * Σx² and quantiles per variant per bucket, over [start or last ramp, now].
 */
export async function sliSeries(warehouse: Warehouse, { record, metric, window, now }: { record: ExperimentRecord; metric: string; window: SliWindow; now: number }): Promise<SliSeries> {
  const all = metricsOf(record.spec).map((m) => m.metric)
  const spec = all.find((m) => m.name === metric)
  if (!spec) throw new InputError(`experiment ${record.spec.id} has no metric "${metric}"`, [{ path: 'metric', message: `one of: ${all.map((m) => m.name).join(', ')}` }])
  if (typeOf(spec) === 'ratio') throw new InputError(`metric "${metric}" is a ratio; ask for its numerator or denominator metric`, [{ path: 'metric', message: `try ${spec.numerator} or ${spec.denominator}` }])
  const fromMs = window === 'ramp' ? record.stepStartedAt ?? record.startedAt ?? record.enqueuedAt : record.startedAt ?? record.enqueuedAt
  const toMs = now + 60_000 // the current minute is included
  const rows = await warehouse.select<SeriesRow>(sqlQuery('sli-series'), {
    experiment: record.spec.id, metric: sourceOf(spec), bucket_seconds: SLI_WINDOWS[window], from_ms: fromMs, to_ms: toMs,
  })
  const q = (r: SeriesRow, i: number) => (Number(r.events) > 0 && Number.isFinite(r.quantiles[i]) ? r.quantiles[i]! : null)
  return {
    experimentId: record.spec.id, metric, source: sourceOf(spec), window, fromMs, toMs: now,
    points: rows.map((r) => ({
      variant: r.variant,
      bucketMs: Number(r.bucket_ms),
      events: Number(r.events),
      sum: Number(r.sum),
      sumSquares: Number(r.sum_squares),
      mean: Number(r.events) > 0 ? Number(r.sum) / Number(r.events) : null,
      p50: q(r, 0), p90: q(r, 1), p95: q(r, 2), p99: q(r, 3),
      lastReceivedMs: r.last_received_ms === null ? null : Number(r.last_received_ms),
    })),
  }
}
