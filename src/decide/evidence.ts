import type { ExperimentRecord } from '../domain/experiment-record.js'
import type { Moments } from '../stats/moments.js'
import type { MisroutingEvidence } from './misrouting.js'

/** Units seen per variant and the newest event time, from the warehouse. */
export interface VariantUnits {
  variant: string
  units: number
  events: number
  lastEventMs: number | null
}

/** Per-variant sufficient statistics of one metric. */
export interface MetricMoments {
  metric: string
  byVariant: Record<string, Moments>
}

/** Everything the decision engine needs, as plain data. */
export interface EvaluationInput {
  record: ExperimentRecord
  now: number
  units: VariantUnits[]
  metrics: MetricMoments[]
  /** Logged units vs the gate's hash (sql/queries/misrouting-summary.sql); absent: not checked. */
  misrouting?: MisroutingEvidence | null
  /** Share of misrouted units that pauses (default DEFAULT_MAX_MISROUTED_SHARE). */
  maxMisroutedShare?: number
}

export interface Comparison {
  metric: string
  role: 'primary' | 'secondary' | 'guardrail'
  variant: string
  status: string
  controlMean: number | null
  treatmentMean: number | null
  effect: number | null
  relativeEffect: number | null
  /** The test behind `sequentialP`: msprt, confseq or gst. */
  method: string
  welchP: number | null
  /** The decision test's p-value at this look (always-valid for msprt and confseq). */
  sequentialP: number | null
  /** After Holm across the comparisons of the same role; set by decide(). */
  adjustedP?: number | null
  /** Group-sequential z boundary at this look. */
  boundary?: number | null
  ci: [number | null, number | null] | null
  /** α this comparison was tested at, after multiple-testing correction. */
  alpha: number
  significant: boolean
  harmful: boolean
  controlN: number
  treatmentN: number
}

export const EMPTY_MOMENTS: Moments = { n: 0, sum: 0, sumSquares: 0 }
