import { z } from 'zod'
import { Duration } from './duration.js'

/**
 * Metric definitions: what a spec's metric measures and how the warehouse reduces events to it.
 * One definition shape serves the spec (metrics.primary/secondary/guardrails) and the catalog
 * (metric-catalog.ts). docs/slis.md and README "Metric definitions" describe each field.
 *
 * Types and the unit-level value each one compares (events of `source`, default the metric name):
 *   mean        a unit's events reduced by `aggregation` (mean of values, or their sum)
 *   count       a unit's number of events
 *   proportion  1 when any of a unit's events has value > 0 (outcome events store 1/0), else 0
 *   ratio       Σ numerator events / Σ denominator events across units (delta method)
 *   quantile    the `quantile` level (e.g. 0.95) of all event values in an arm (Deng et al. 2018)
 */
export const MetricName = z
  .string()
  .regex(/^[a-z][a-z0-9_.]{0,62}$/, 'must start with a-z and use a-z, 0-9, "_" or "."')

export const MetricType = z.enum(['mean', 'proportion', 'ratio', 'quantile', 'count'])

/**
 * CUPED covariate (Deng, Xu, Kohavi & Walker 2013): each unit's value of `metric` (default: the
 * same metric, reduced the same way) over `prePeriod` before the unit's exposure. Exposure is the
 * unit's first event in the experiment, or its first event of `exposure` when given. Pre-period
 * events are read from every experiment (a unit is not in this one before its exposure); a unit
 * with none has covariate 0, as in gbstats.
 */
export const CovariateSpec = z.strictObject({
  metric: MetricName.optional(),
  prePeriod: Duration.default(14 * 86_400_000),
  exposure: MetricName.optional(),
})

/**
 * Event-level SLO: an event is bad when its value is above `max` or below `min`. `objective` is
 * the share of good events promised over the compliance `window`; the multiwindow burn rules
 * (5m/30m/1h/6h, stats/slo.ts) assume the workbook's 30-day window.
 */
export const SloSpec = z.strictObject({
  max: z.number().optional(),
  min: z.number().optional(),
  objective: z.number().gt(0).lt(1).default(0.99),
  window: Duration.default(30 * 86_400_000),
})

/** Fields every metric entry has, whatever its role. */
export const metricFields = {
  name: MetricName,
  /** Default mean; absent (not defaulted) so specs stored before types existed read back unchanged. */
  type: MetricType.optional(),
  /** Which way is good for the business. */
  direction: z.enum(['increase', 'decrease']).default('increase'),
  /** mean metrics: how a unit's events reduce to the unit-level value, their mean or their sum. */
  aggregation: z.enum(['mean', 'sum']).default('mean'),
  /** Event metric the values come from (default: name), e.g. two quantiles of one latency. */
  source: MetricName.optional(),
  /** ratio metrics: event metrics summed per unit for the numerator and the denominator. */
  numerator: MetricName.optional(),
  denominator: MetricName.optional(),
  /** quantile metrics: the level, in (0, 1). */
  quantile: z.number().gt(0).lt(1).optional(),
  covariate: CovariateSpec.optional(),
  slo: SloSpec.optional(),
}

export const MetricSpec = z.strictObject(metricFields)

export const GuardrailSpec = z.strictObject({
  ...metricFields,
  /** Non-inferiority margin: harm smaller than this is tolerated. */
  margin: z.number().min(0).default(0),
  /** relative: a share of the control's value (0.05 = 5%); absolute: on the metric's scale. */
  marginType: z.enum(['relative', 'absolute']).optional(),
  /** Smallest harm worth detecting, on the metric's own scale (e.g. 0.002 on an error rate): tunes the guardrail's τ (stats/msprt-tau.ts). */
  minHarmfulEffect: z.number().gt(0).optional(),
})

export type MetricType = z.infer<typeof MetricType>
export type MetricSpec = z.infer<typeof MetricSpec>
export type GuardrailSpec = z.infer<typeof GuardrailSpec>
export type CovariateSpec = z.infer<typeof CovariateSpec>
export type SloSpec = z.infer<typeof SloSpec>

/**
 * Combinations the shape cannot express, each reported at its path (relative to the metric).
 * (`aggregation: sum` on a type other than mean is refused; the default `mean` is ignored there.)
 */
export function metricProblems(m: MetricSpec): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = []
  const type = typeOf(m)
  const only = (field: keyof MetricSpec, types: MetricType[]) => {
    if (m[field] !== undefined && !types.includes(type)) out.push({ path: [field], message: `only for type ${types.join(' or ')} (this metric is ${type})` })
  }
  if (type === 'ratio') {
    if (m.numerator === undefined) out.push({ path: ['numerator'], message: 'a ratio metric needs numerator (an event metric)' })
    if (m.denominator === undefined) out.push({ path: ['denominator'], message: 'a ratio metric needs denominator (an event metric)' })
    if (m.numerator !== undefined && m.numerator === m.denominator) out.push({ path: ['denominator'], message: 'must differ from numerator' })
    if (m.source !== undefined) out.push({ path: ['source'], message: 'a ratio metric reads numerator and denominator, not source' })
  }
  only('numerator', ['ratio'])
  only('denominator', ['ratio'])
  if (type === 'quantile' && m.quantile === undefined) out.push({ path: ['quantile'], message: 'a quantile metric needs quantile, e.g. 0.95' })
  only('quantile', ['quantile'])
  if (m.aggregation === 'sum' && type !== 'mean') out.push({ path: ['aggregation'], message: `only for type mean (this metric is ${type})` })
  // CUPED needs a unit-level value to regress on; a quantile has none, a ratio's needs ΣD·X (not computed).
  if (m.covariate && (type === 'quantile' || type === 'ratio')) out.push({ path: ['covariate'], message: `CUPED is supported for mean, count and proportion metrics (this metric is ${type})` })
  if (m.slo) {
    if (m.slo.max === undefined && m.slo.min === undefined) out.push({ path: ['slo'], message: 'needs max or min (the bad-event threshold)' })
    if (m.slo.max !== undefined && m.slo.min !== undefined && m.slo.min > m.slo.max) out.push({ path: ['slo', 'min'], message: `must be <= max (${m.slo.max})` })
    if (type === 'ratio') out.push({ path: ['slo'], message: 'an SLO judges event values; a ratio metric has none (put it on the numerator metric)' })
  }
  return out
}

/** The metric's type (mean when not given). */
export const typeOf = (m: Pick<MetricSpec, 'type'>): MetricType => m.type ?? 'mean'

/** relative unless the guardrail says absolute. */
export const marginTypeOf = (g: Pick<GuardrailSpec, 'marginType'>): 'relative' | 'absolute' => g.marginType ?? 'relative'

/** The event metric a non-ratio metric reads. */
export const sourceOf = (m: MetricSpec): string => m.source ?? m.name

/** The event metric names a metric reads (ratio: both; others: its source). */
export function eventMetricsOf(m: MetricSpec): string[] {
  return typeOf(m) === 'ratio' ? [m.numerator!, m.denominator!] : [sourceOf(m)]
}
