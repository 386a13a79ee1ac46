import type { MetricMoments, VariantUnits } from '../decide/evidence.js'
import { DEFAULT_MISROUTING_WINDOW_MS, type MisroutingEvidence } from '../decide/misrouting.js'
import { assignmentSqlParams } from '../domain/assignment-sql.js'
import { controlOf, metricsOf } from '../domain/experiment.js'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import { sourceOf, typeOf, type MetricSpec } from '../domain/metric.js'
import { toWarehouseTime } from '../domain/telemetry.js'
import type { QueryParams, Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import { metricEvidenceOf, metricQueryKinds, type MetricQueryKind, type MetricRows } from './metric-evidence.js'

/** What one experiment's evaluation reads before it calls decide(). */
export interface EvaluationReads {
  units: VariantUnits[]
  metrics: MetricMoments[]
  misrouting: MisroutingEvidence
}

type Num = number | string
export interface UnitsRow { experiment_id: string; variant: string; units: Num; events: Num; last_event_ms: Num | null }
export interface MisroutingRow { experiment_id: string; units: Num; misrouted: Num; recent_units: Num; recent_misrouted: Num }
interface UnknownRow { experiment_id: string; units: Num; recent_units: Num; events: Num; variants: string[] | string }

/** One metric of one experiment, numbered: the key the batch queries group by. */
export interface Spec { key: number; experiment: string; metric: MetricSpec }

/**
 * Rows for one of the cycle's queries from elsewhere (src/services/evaluate-incremental.ts: held
 * sums moved by increments); undefined runs the query. `specs` are the kind's specs (metric kinds),
 * `experiments` the cycle's (units, misrouting), `params` the query's own (misrouting: the assignments).
 */
export type SupplyRows = (q: { name: string; kind: MetricQueryKind | 'units' | 'misrouting'; specs: Spec[]; experiments: string[]; params?: Record<string, unknown> }) => Promise<unknown[] | undefined>

const QUERY: Record<MetricQueryKind, string> = {
  stats: 'variant-stats-batch', ratio: 'ratio-stats-batch', cuped: 'cuped-stats-batch', quantile: 'quantile-stats-batch', windows: 'sli-windows-batch',
}

/** Each kind's named parameters: one array per column, index i for spec i (the SQL zips them). */
export function kindParams(kind: MetricQueryKind, specs: Spec[], now: number): Record<string, unknown> {
  const col = <T>(f: (s: Spec) => T) => specs.map(f)
  const base = { keys: col((s) => s.key), experiments: col((s) => s.experiment) }
  const m = (s: Spec) => s.metric
  switch (kind) {
    case 'stats':
      return { ...base, metrics: col((s) => sourceOf(m(s))), types: col((s) => typeOf(m(s))), aggregations: col((s) => m(s).aggregation) }
    case 'ratio':
      return { ...base, numerators: col((s) => m(s).numerator!), denominators: col((s) => m(s).denominator!) }
    case 'cuped':
      return {
        ...base, metrics: col((s) => sourceOf(m(s))), types: col((s) => typeOf(m(s))), aggregations: col((s) => m(s).aggregation),
        covariates: col((s) => m(s).covariate!.metric ?? sourceOf(m(s))), exposures: col((s) => m(s).covariate!.exposure ?? ''), pre_period_ms: col((s) => m(s).covariate!.prePeriod),
      }
    case 'quantile':
      return { ...base, metrics: col((s) => sourceOf(m(s))), levels: col((s) => m(s).quantile!) }
    case 'windows':
      return {
        ...base, metrics: col((s) => sourceOf(m(s))), now_ms: now,
        has_max: col((s) => (m(s).slo!.max === undefined ? 0 : 1)), max: col((s) => m(s).slo!.max ?? 0),
        has_min: col((s) => (m(s).slo!.min === undefined ? 0 : 1)), min: col((s) => m(s).slo!.min ?? 0),
      }
  }
}

/** One query of a cycle: a sql/queries file and its named parameters. */
export interface PlannedQuery { name: string; params: Record<string, unknown> }

/** Each metric kind's batch query, once for all the specs that need it. */
function metricQueries(specs: Spec[], now: number): Array<PlannedQuery & { kind: MetricQueryKind; specs: Spec[] }> {
  const byKind = new Map<MetricQueryKind, Spec[]>()
  for (const s of specs) for (const kind of metricQueryKinds(s.metric)) byKind.set(kind, [...(byKind.get(kind) ?? []), s])
  return [...byKind].map(([kind, list]) => ({ kind, specs: list, name: QUERY[kind], params: kindParams(kind, list, now) }))
}

/** Runs the metric queries; rows by spec key. */
async function readMetricRows(select: <T>(name: string, params: Record<string, unknown>) => Promise<T[]>, specs: Spec[], now: number, supply?: SupplyRows): Promise<Map<number, MetricRows>> {
  const metricRows = new Map<number, MetricRows>(specs.map((s) => [s.key, {}]))
  for (const q of metricQueries(specs, now)) {
    const supplied = (await supply?.({ name: q.name, kind: q.kind, specs: q.specs, experiments: [] })) as Array<{ key: Num; variant: string }> | undefined
    const rows = supplied ?? await select<{ key: Num; variant: string }>(q.name, q.params)
    const grouped = groupBy(rows, (r) => Number(r.key))
    for (const s of q.specs) (metricRows.get(s.key)! as Record<MetricQueryKind, unknown[]>)[q.kind] = grouped.get(s.key) ?? []
  }
  return metricRows
}

const plainSelect = (warehouse: Warehouse) => <T>(name: string, params: Record<string, unknown>) => warehouse.select<T>(sqlQuery(name), params as QueryParams)

/**
 * One metric's evidence, by type: unit moments (all), ratio cross-products, CUPED covariate
 * sums with θ and variance reduction, quantile arm stats, SLO window counts ending at `now`,
 * read with the same batch queries as a cycle (one spec) and built by metricEvidenceOf.
 */
export async function readMetricEvidence(warehouse: Warehouse, { experiment, metric, control, now }: {
  experiment: string
  metric: MetricSpec
  control: string
  now: number
}): Promise<MetricMoments> {
  const rows = await readMetricRows(plainSelect(warehouse), [{ key: 0, experiment, metric }], now)
  return metricEvidenceOf(metric, { control, now }, rows.get(0)!)
}

const groupBy = <R, K>(rows: R[], key: (r: R) => K): Map<K, R[]> => {
  const out = new Map<K, R[]>()
  for (const r of rows) { const k = key(r); const list = out.get(k); if (list) list.push(r); else out.set(k, [r]) }
  return out
}

function planOf(records: readonly ExperimentRecord[], now: number, misroutingWindowMs: number) {
  const experiments = records.map((r) => r.spec.id)
  const specs: Spec[] = []
  for (const r of records) for (const { metric } of metricsOf(r.spec)) specs.push({ key: specs.length, experiment: r.spec.id, metric })
  const assignment = records.map((r) => assignmentSqlParams({ ...r.spec, allocation: r.allocation, exposure: r.spec.rollout.steps[r.step]?.exposure ?? 0 }))
  const since = toWarehouseTime(now - misroutingWindowMs)
  const misroutingParams = {
    experiments, since,
    layer_salts: assignment.map((a) => a.layer_salt), variant_salts: assignment.map((a) => a.variant_salt),
    alloc_starts: assignment.map((a) => a.alloc_start), alloc_sizes: assignment.map((a) => a.alloc_size),
    exposures: assignment.map((a) => a.exposure), variants: assignment.map((a) => a.variants), thresholds: assignment.map((a) => a.thresholds),
  }
  // Which variant_bucket range [lo, hi) the gate gives each variant, by the SQL's own rule (the first
  // threshold above the bucket, else the last variant), per bucket: misrouting-summary-batch.sql looks a
  // unit's logged variant up here (transform) instead of carrying each experiment's arrays to every unit.
  const ranges = records.flatMap((r, i) => variantBucketRanges(assignment[i]!.variants, assignment[i]!.thresholds).map((x) => ({ key: variantKey(r.spec.id, x.variant), ...x })))
  Object.assign(misroutingParams, { variant_keys: ranges.map((x) => x.key), variant_lo: ranges.map((x) => x.lo), variant_hi: ranges.map((x) => x.hi) })
  return {
    specs,
    units: { name: 'variant-units-batch', params: { experiments } },
    misrouting: { name: 'misrouting-summary-batch', params: misroutingParams },
    unknown: { name: 'unknown-variant-dead-letters-batch', params: { experiments, since } },
  }
}

/** An unambiguous (experiment, variant) key, as misrouting-summary-batch.sql builds it (length in bytes first). */
const variantKey = (experiment: string, variant: string) => `${Buffer.byteLength(experiment)}:${experiment}:${variant}`

const BUCKETS = 10_000
type Ranges = Array<{ variant: string; lo: number; hi: number }>
// Most experiments share a few layouts (2–4 equal arms): the 10,000-bucket scan is done once per layout.
const rangeCache = new Map<string, Ranges>()

/** Each variant's bucket range under the gate; an empty range is [0, 0). Throws if a variant's buckets are not contiguous. */
export function variantBucketRanges(variants: readonly string[], thresholds: readonly number[]): Ranges {
  const key = JSON.stringify([variants, thresholds])
  const hit = rangeCache.get(key)
  if (hit) return hit
  if (rangeCache.size > 10_000) rangeCache.clear()
  const out = scanBuckets(variants, thresholds)
  rangeCache.set(key, out)
  return out
}

function scanBuckets(variants: readonly string[], thresholds: readonly number[]): Ranges {
  const first = new Map<number, number>()
  const last = new Map<number, number>()
  const count = new Map<number, number>()
  for (let b = 0; b < BUCKETS; b++) {
    const i = thresholds.findIndex((t) => b < t)
    const k = i === -1 ? variants.length - 1 : i
    if (!first.has(k)) first.set(k, b)
    last.set(k, b)
    count.set(k, (count.get(k) ?? 0) + 1)
  }
  return variants.map((variant, k) => {
    if (variants.indexOf(variant) !== k) throw new Error(`variant ${variant} named twice`)
    const lo = first.get(k)
    if (lo === undefined) return { variant, lo: 0, hi: 0 }
    const hi = last.get(k)! + 1
    if (hi - lo !== count.get(k)) throw new Error(`variant ${variant}: buckets not contiguous`)
    return { variant, lo, hi }
  })
}

/**
 * Every query one cycle over `records` runs, in order, with its parameters (no I/O):
 * test/integration/evaluate-batch-oracle.test.ts runs each against the previous SQL text
 * (test/fixtures/sql-oracle/) and compares the rows; bench/eval-cycle.ts times both.
 */
export function evaluationQueryPlan(records: readonly ExperimentRecord[], { now, misroutingWindowMs = DEFAULT_MISROUTING_WINDOW_MS }: { now: number; misroutingWindowMs?: number }): PlannedQuery[] {
  if (records.length === 0) return []
  const plan = planOf(records, now, misroutingWindowMs)
  return [plan.units, ...metricQueries(plan.specs, now).map(({ name, params }) => ({ name, params })), plan.misrouting, plan.unknown]
}

/**
 * Reads the evidence of every given running experiment in a fixed number of queries per cycle
 * (at most nine: units, five metric kinds, two misrouting counts, unknown-variant dead letters),
 * whatever the number of experiments or metrics: what decide() needs for each. It is the only
 * SQL path of evaluation: the evaluate-cycle job calls it once per cycle and
 * EvaluateService.evaluate(id) with one record. The per-cycle cost is then the data scanned,
 * not experiments × queries (issue 16 item 3). Rows become evidence through metric-evidence.ts's
 * metricEvidenceOf.
 */
export async function readEvaluationBatch(
  warehouse: Warehouse,
  records: readonly ExperimentRecord[],
  { now, misroutingWindowMs = DEFAULT_MISROUTING_WINDOW_MS, onQuery, supply }: {
    now: number
    misroutingWindowMs?: number
    /** Rows of some queries from elsewhere (the incremental reader); the rest are run. */
    supply?: SupplyRows
    /** Told each query's name and duration (bench/eval-cycle.ts shows where a cycle's time goes). */
    onQuery?: (name: string, ms: number) => void
  },
): Promise<Map<string, EvaluationReads>> {
  const out = new Map<string, EvaluationReads>()
  if (records.length === 0) return out
  const select = async <T>(name: string, params: Record<string, unknown>) => {
    const t = performance.now()
    const rows = await warehouse.select<T>(sqlQuery(name), params as QueryParams)
    onQuery?.(name, performance.now() - t)
    return rows
  }
  const plan = planOf(records, now, misroutingWindowMs)
  // One after another, as the per-experiment path does: the embedded engine serves one query at a time.
  const suppliedUnits = (await supply?.({ name: plan.units.name, kind: 'units', specs: [], experiments: plan.units.params.experiments })) as UnitsRow[] | undefined
  const unitRows = suppliedUnits ?? await select<UnitsRow>(plan.units.name, plan.units.params)
  const metricRows = await readMetricRows(select, plan.specs, now, supply)
  const suppliedSummary = (await supply?.({ name: plan.misrouting.name, kind: 'misrouting', specs: [], experiments: plan.units.params.experiments, params: plan.misrouting.params })) as MisroutingRow[] | undefined
  const summary = suppliedSummary ?? await select<MisroutingRow>(plan.misrouting.name, plan.misrouting.params)
  const unknown = await select<UnknownRow>(plan.unknown.name, plan.unknown.params)
  const specs = plan.specs

  const unitsOf = groupBy(unitRows, (r) => r.experiment_id)
  const summaryOf = new Map(summary.map((r) => [r.experiment_id, r]))
  const unknownOf = new Map(unknown.map((r) => [r.experiment_id, r]))
  const specsOf = groupBy(specs, (s) => s.experiment)
  for (const r of records) {
    const id = r.spec.id
    const control = controlOf(r.spec)
    const u = unknownOf.get(id)
    const variants = u?.variants ?? []
    out.set(id, {
      units: (unitsOf.get(id) ?? []).map((x) => ({ variant: x.variant, units: Number(x.units), events: Number(x.events), lastEventMs: x.last_event_ms === null ? null : Number(x.last_event_ms) })),
      metrics: (specsOf.get(id) ?? []).map((s) => metricEvidenceOf(s.metric, { control, now }, metricRows.get(s.key)!)),
      misrouting: {
        units: Number(summaryOf.get(id)?.units ?? 0),
        misrouted: Number(summaryOf.get(id)?.misrouted ?? 0),
        unknownVariant: { units: Number(u?.units ?? 0), recentUnits: Number(u?.recent_units ?? 0), events: Number(u?.events ?? 0), variants: typeof variants === 'string' ? (JSON.parse(variants) as string[]) : variants },
        recent: { units: Number(summaryOf.get(id)?.recent_units ?? 0), misrouted: Number(summaryOf.get(id)?.recent_misrouted ?? 0), windowMs: misroutingWindowMs },
      },
    })
  }
  return out
}
