import { sharedMetrics, type CandidatePair } from '../domain/interference.js'
import type { PairInput } from '../domain/interference-assess.js'
import { controlOf } from '../domain/experiment.js'
import { toWarehouseTime } from '../domain/telemetry.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'

interface CellRow { experiment_a: string; experiment_b: string; metric: string; variant_a: string; variant_b: string; n: number | string; sum: number; sum_squares: number }
interface PreviousRow { experiment_a: string; experiment_b: string; metric: string; variant_a: string; variant_b: string; min_p: number }
interface SeriesRow { experiment_id: string; metric: string; bucket: string; segment: number | string; sum: number; n: number | string }

const ZERO = { n: 0, sum: 0, sumSquares: 0 }
const SEP = '\u0000'
const key = (...parts: string[]) => parts.join(SEP)

/**
 * A ClickHouse array literal, sent as the text of an `Array(...)` parameter (the engine parses
 * parameter values as text; the port's values are scalars). Strings are quoted and escaped.
 */
export function arrayParam(items: ReadonlyArray<string | readonly string[]>): string {
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  return `[${items.map((x) => (typeof x === 'string' ? q(x) : `(${x.map(q).join(',')})`)).join(',')}]`
}

/** The later start of a pair: where its window (and its control series) begins. */
export const pairFrom = (p: CandidatePair) => Math.max(p.a.startedAt ?? 0, p.b.startedAt ?? 0)

/**
 * The parameters of interference-cells.sql: experiments numbered in id order, the shared metrics
 * numbered, and flat lookup tables from small integer indices to measures and wanted cells (so
 * the engine groups on integers, not on strings). Measures 1..E are the experiments' cross-tabs;
 * E+1.. are (A, metric) for every shared metric of a pair, with A's aggregation.
 */
export function cellParams(pairs: readonly CandidatePair[]): Record<string, string> {
  const experiments = [...new Set(pairs.flatMap((p) => [p.a.spec.id, p.b.spec.id]))].sort()
  const E = experiments.length
  const expIndex = new Map(experiments.map((e, i) => [e, i + 1]))
  const metrics: string[] = []
  const metricIndex = new Map<string, number>()
  const measureIndex = new Map<string, number>()
  const sumMeasure: number[] = new Array<number>(E).fill(0)
  const cells: Array<[string, string, string]> = []
  const cellAt: Array<[number, number, number]> = [] // (measure, experiment b, cell)
  for (const p of pairs) {
    const a = p.a.spec.id
    const b = p.b.spec.id
    const eb = expIndex.get(b)!
    cells.push([a, b, ''])
    cellAt.push([expIndex.get(a)!, eb, cells.length])
    for (const m of sharedMetrics(p.a.spec, p.b.spec)) {
      if (!metricIndex.has(m.name)) metricIndex.set(m.name, metrics.push(m.name))
      let k = measureIndex.get(key(a, m.name))
      if (k === undefined) {
        k = sumMeasure.push(m.aggregation === 'sum' ? 1 : 0)
        measureIndex.set(key(a, m.name), k)
      }
      cells.push([a, b, m.name])
      cellAt.push([k, eb, cells.length])
    }
  }
  const M = metrics.length
  const measureOf = new Array<number>(E * M).fill(0)
  for (const [am, k] of measureIndex) {
    const [a, m] = am.split(SEP) as [string, string]
    measureOf[(expIndex.get(a)! - 1) * M + metricIndex.get(m)! - 1] = k
  }
  const cellOf = new Array<number>(sumMeasure.length * E).fill(0)
  for (const [k, eb, slot] of cellAt) cellOf[(k - 1) * E + eb - 1] = slot
  const ints = (xs: number[]) => `[${xs.join(',')}]`
  return {
    experiments: arrayParam(experiments),
    metrics: arrayParam(metrics),
    measureOf: ints(measureOf),
    sumMeasure: ints(sumMeasure),
    cellOf: ints(cellOf),
    cells: arrayParam(cells),
  }
}

/**
 * Reads what one run needs for every pair in three queries, however many pairs there are (the
 * first skipped when none of the experiments has an event yet):
 * the cross-tabs and cells of all (pair, shared metric) combinations, the control-arm bucket
 * sums of all experiments, and the previous p-values of all pairs (skipped when no pair has a
 * shared unit: then no p-value is computed). The pairs' inputs are assembled in memory.
 */
export async function readPairs(warehouse: Warehouse, pairs: readonly CandidatePair[], bucketSeconds: number): Promise<Array<Omit<PairInput, 'fdr'>>> {
  if (pairs.length === 0) return []
  const shared = pairs.map((p) => sharedMetrics(p.a.spec, p.b.spec))
  const series = new Map<string, [string, string, string]>()
  pairs.forEach((p, i) => {
    for (const m of shared[i]!) for (const r of [p.a, p.b]) series.set(key(r.spec.id, m.name), [r.spec.id, controlOf(r.spec), m.name])
  })
  const params = cellParams(pairs)
  const anyEvent = (await warehouse.select(sqlQuery('interference-any-events'), { experiments: params.experiments! })).length > 0
  const cellRows = anyEvent ? await warehouse.select<CellRow>(sqlQuery('interference-cells'), params) : []
  const cellBy = new Map(cellRows.map((r) => [key(r.experiment_a, r.experiment_b, r.metric, r.variant_a, r.variant_b), r]))
  const previous = cellRows.length === 0 ? [] : await warehouse.select<PreviousRow>(sqlQuery('interference-previous'), {
    pairs: arrayParam(pairs.map((p) => [p.a.spec.id, p.b.spec.id])),
  })
  const prevBy = new Map(previous.map((r) => [key(r.experiment_a, r.experiment_b, r.metric, r.variant_a, r.variant_b), Number(r.min_p)]))
  const starts = [...new Set(pairs.map(pairFrom))].sort((x, y) => x - y)
  const seriesRows = series.size === 0 ? [] : await warehouse.select<SeriesRow>(sqlQuery('interference-baseline'), {
    series: arrayParam([...series.values()]),
    starts: arrayParam(starts.map(toWarehouseTime)),
    bucketSeconds,
  })
  // (experiment, metric) → bucket → per segment [sum, n]; a pair keeps segments after its start.
  const seriesBy = new Map<string, Map<string, Array<[number, number, number]>>>()
  for (const r of seriesRows) {
    const k = key(r.experiment_id, r.metric)
    const buckets = seriesBy.get(k) ?? new Map<string, Array<[number, number, number]>>()
    const segs = buckets.get(r.bucket) ?? []
    segs.push([Number(r.segment), Number(r.sum), Number(r.n)])
    buckets.set(r.bucket, segs)
    seriesBy.set(k, buckets)
  }
  const meansFrom = (experiment: string, metric: string, segment: number) => {
    const out = new Map<string, number>()
    for (const [bucket, segs] of seriesBy.get(key(experiment, metric)) ?? []) {
      let s = 0
      let n = 0
      for (const [seg, sum, count] of segs) if (seg >= segment) { s += sum; n += count }
      if (n > 0) out.set(bucket, s / n)
    }
    return out
  }

  return pairs.map((p, i) => {
    const a = p.a.spec.id
    const b = p.b.spec.id
    const variantsA = p.a.spec.variants.map((v) => v.name)
    const variantsB = p.b.spec.variants.map((v) => v.name)
    const cell = (metric: string, va: string, vb: string) => {
      const r = cellBy.get(key(a, b, metric, va, vb))
      return r ? { n: Number(r.n), sum: Number(r.sum), sumSquares: Number(r.sum_squares) } : ZERO
    }
    const table = variantsA.map((va) => variantsB.map((vb) => cell('', va, vb).n))
    const controlA = controlOf(p.a.spec)
    const controlB = controlOf(p.b.spec)
    // Segment numbers count the starts <= ts: the events at or after this pair's start are those past its index.
    const segment = starts.indexOf(pairFrom(p)) + 1
    const interactions: PairInput['interactions'] = []
    const baseline: PairInput['baseline'] = []
    for (const m of shared[i]!) {
      for (const ta of variantsA.slice(1)) {
        for (const tb of variantsB.slice(1)) {
          const prev = prevBy.get(key(a, b, m.name, ta, tb))
          interactions.push({
            metric: m.name, variantA: ta, variantB: tb, previousP: prev ?? null,
            cells: { tt: cell(m.name, ta, tb), tc: cell(m.name, ta, controlB), ct: cell(m.name, controlA, tb), cc: cell(m.name, controlA, controlB) },
          })
        }
      }
      const xa = meansFrom(a, m.name, segment)
      const xb = meansFrom(b, m.name, segment)
      const buckets = [...xa.keys()].filter((k) => xb.has(k)).sort()
      baseline.push({ metric: m.name, x: buckets.map((k) => xa.get(k)!), y: buckets.map((k) => xb.get(k)!) })
    }
    return { a, b, assignment: { variantsA, variantsB, table }, interactions, baseline }
  })
}
