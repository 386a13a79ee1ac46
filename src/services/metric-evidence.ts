import type { CupedArm } from '../decide/cuped-evidence.js'
import { cupedEvidence } from '../decide/cuped-evidence.js'
import { SLO_WINDOWS, type MetricMoments, type SloWindow } from '../decide/evidence.js'
import { sourceOf, typeOf, type MetricSpec } from '../domain/metric.js'
import type { ArmStats } from '../stats/arm-estimate.js'
import type { QuantileArmStats } from '../stats/quantile.js'
import type { WindowCounts } from '../stats/burn-rate.js'

type Num = number | string
const num = (x: Num | null | undefined) => Number(x ?? 0)

export interface StatsRow { variant: string; n: Num; sum: Num; sum_squares: Num }
/** variant-stats-batch.sql's rows also carry Σx³ (the skewness gate of a guardrail's look) and whether every unit value is in [0, 1]. */
export interface PlainStatsRow extends StatsRow { sum_cubes?: Num; in_unit_interval?: Num }
export interface RatioRow extends StatsRow { denominator_sum: Num; denominator_sum_squares: Num; cross_sum: Num }
export interface CupedRow extends StatsRow { covariate_sum: Num; covariate_sum_squares: Num; covariate_cross_sum: Num; units_with_covariate: Num }
export interface QuantileRow {
  variant: string; events: Num; units: Num; quantile: Num; lower: Num; upper: Num
  below_sum: Num; below_sum_squares: Num; events_sum: Num; events_sum_squares: Num; below_events_cross_sum: Num
}
export type WindowRow = { variant: string } & Record<`total_${SloWindow}` | `bad_${SloWindow}`, Num>

/** The rows one metric's evidence is built from, by query kind; a kind the metric does not need is absent. */
export interface MetricRows {
  stats?: PlainStatsRow[]
  ratio?: RatioRow[]
  cuped?: CupedRow[]
  quantile?: QuantileRow[]
  windows?: WindowRow[]
}
export type MetricQueryKind = keyof MetricRows

const moments = (r: StatsRow) => ({ n: num(r.n), sum: num(r.sum), sumSquares: num(r.sum_squares) })
const byVariant = <R extends { variant: string }, T>(rows: R[], f: (r: R) => T): Record<string, T> => Object.fromEntries(rows.map((r) => [r.variant, f(r)]))

/** Which queries a metric's evidence needs: one of ratio / cuped / stats, plus quantile and SLO windows by type. */
export function metricQueryKinds(metric: MetricSpec): MetricQueryKind[] {
  const type = typeOf(metric)
  const kinds: MetricQueryKind[] = [type === 'ratio' ? 'ratio' : metric.covariate ? 'cuped' : 'stats']
  if (type === 'quantile') kinds.push('quantile')
  if (metric.slo && type !== 'ratio') kinds.push('windows')
  return kinds
}

/**
 * One metric's evidence from its rows (the pure half of readMetricEvidence): the per-experiment
 * reader and the per-cycle batch reader (evaluate-batch.ts) both build it here, so they agree.
 */
export function metricEvidenceOf(metric: MetricSpec, { control, now }: { control: string; now: number }, rows: MetricRows): MetricMoments {
  const type = typeOf(metric)
  const out: MetricMoments = { metric: metric.name, type, byVariant: {} }
  if (type === 'ratio') {
    const rs = rows.ratio ?? []
    out.byVariant = byVariant(rs, moments)
    out.arms = byVariant(rs, (r): ArmStats => ({ ...moments(r), denominatorSum: num(r.denominator_sum), denominatorSumSquares: num(r.denominator_sum_squares), crossSum: num(r.cross_sum) }))
  } else if (metric.covariate) {
    const c = metric.covariate
    const rs = rows.cuped ?? []
    out.byVariant = byVariant(rs, moments)
    const arms = byVariant(rs, (r): CupedArm => ({
      ...moments(r), covariateSum: num(r.covariate_sum), covariateSumSquares: num(r.covariate_sum_squares),
      covariateCrossSum: num(r.covariate_cross_sum), unitsWithCovariate: num(r.units_with_covariate),
    }))
    out.arms = Object.fromEntries(Object.entries(arms).map(([v, { unitsWithCovariate: _, ...a }]) => [v, a]))
    out.cuped = cupedEvidence({ arms, type, control, covariate: c.metric ?? sourceOf(metric), exposure: c.exposure ?? null, prePeriodMs: c.prePeriod })
  } else {
    const rs = rows.stats ?? []
    // With Σx³ compare.ts gates a guardrail's look on the minimum sample for the measured skewness
    // (heavy tails: revenue, latency). Not for rates (every unit value in [0, 1], e.g. a unit's error
    // rate): their skewness is rarity, which minUnits and the proportion tests already handle, and
    // 355·s² at a 1% rate would hold a guardrail for ~15,000 units per arm.
    const withCubes = (r: PlainStatsRow) => (r.sum_cubes === undefined || num(r.in_unit_interval) === 1 ? moments(r) : { ...moments(r), sumCubes: num(r.sum_cubes) })
    out.byVariant = byVariant(rs, withCubes)
    out.arms = byVariant(rs, withCubes)
  }
  if (type === 'quantile') {
    out.quantile = {
      level: metric.quantile!,
      byVariant: byVariant(rows.quantile ?? [], (r): QuantileArmStats => ({
        events: num(r.events), units: num(r.units), quantile: num(r.quantile), lower: num(r.lower), upper: num(r.upper),
        belowSum: num(r.below_sum), belowSumSquares: num(r.below_sum_squares), eventsSum: num(r.events_sum),
        eventsSumSquares: num(r.events_sum_squares), belowEventsCrossSum: num(r.below_events_cross_sum),
      })),
    }
  }
  if (metric.slo && type !== 'ratio') {
    const { max, min, objective } = metric.slo
    const windows = (r: WindowRow) => Object.fromEntries((Object.keys(SLO_WINDOWS) as SloWindow[]).map((w): [SloWindow, WindowCounts] => [w, { bad: num(r[`bad_${w}`]), total: num(r[`total_${w}`]) }])) as Record<SloWindow, WindowCounts>
    out.slo = { max: max ?? null, min: min ?? null, objective, asOf: now, byVariant: byVariant(rows.windows ?? [], windows) }
  }
  return out
}

/**
 * One metric's evidence read from the warehouse (test/integration/slis-stats.test.ts checks it
 * against the raw events): the evaluation's batched SQL with a single spec, so there is one SQL path.
 */
export { readMetricEvidence } from './evaluate-batch.js'
