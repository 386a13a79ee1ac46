import type { ExperimentRecord } from '../domain/experiment-record.js'
import type { MetricType } from '../domain/metric.js'
import type { ArmStats } from '../stats/arm-estimate.js'
import type { WindowCounts } from '../stats/burn-rate.js'
import type { Moments } from '../stats/moments.js'
import type { QuantileArmStats } from '../stats/quantile.js'
import type { MisroutingEvidence } from './misrouting.js'

/** Units seen per variant and the newest event time, from the warehouse. */
export interface VariantUnits {
  variant: string
  units: number
  events: number
  lastEventMs: number | null
}

/** The windows the multiwindow burn rules read (stats/slo.ts SLO_PAGE_RULES), in ms. */
export const SLO_WINDOWS = { '5m': 300_000, '30m': 1_800_000, '1h': 3_600_000, '6h': 21_600_000 } as const
export type SloWindow = keyof typeof SLO_WINDOWS

/**
 * CUPED evidence of one metric (Deng, Xu, Kohavi & Walker 2013), from the per-unit pre-period
 * covariate sums in `arms` (sql/queries/cuped-stats-batch.sql). θ is the joint-sample slope
 * (stats/cuped-theta.ts cupedThetaJoint, as gbstats), so stats/compare compareArms({ theta })
 * reproduces gbstats' regression-adjusted test from the same arms.
 */
export interface CupedEvidence {
  /** event metric the covariate reads, the exposure metric (null: first event in the experiment) */
  covariate: string
  exposure: string | null
  prePeriodMs: number
  theta: number | null
  byVariant: Record<string, {
    /** ȳ − θ(x̄ − x̄_pooled) and its variance; raw: the unadjusted mean's variance */
    adjustedMean: number | null
    adjustedVariance: number | null
    rawVariance: number | null
    /** 1 − adjusted/raw variance of the arm's mean */
    varianceReduction: number | null
    /** units with at least one pre-period event */
    unitsWithCovariate: number
  }>
  /** 1 − Var_adj/Var_raw of the treatment − control difference, first treatment; null without data */
  varianceReduction: number | null
}

/** Quantile arm stats per variant at the metric's level (stats/quantile.ts, exact order statistics). */
export interface QuantileEvidence {
  level: number
  byVariant: Record<string, QuantileArmStats>
}

/**
 * Event-level SLO counts per variant and window, ending at the evaluation's `now`: an event is bad
 * when value > max or < min. Windows shorter than the data are still reported (the burn rules'
 * minimum sample decides whether they count).
 */
export interface SloEvidence {
  max: number | null
  min: number | null
  objective: number
  /** end of every window (ms) */
  asOf: number
  byVariant: Record<string, Record<SloWindow, WindowCounts>>
}

/**
 * Per-variant sufficient statistics of one metric, as the warehouse returns them.
 * `byVariant` keeps the unit-level moments older code reads (mean/count/proportion: the unit
 * values; ratio: the per-unit numerator; quantile: per-unit means of the values). `arms` has the
 * full ArmStats (ratio: ΣD, ΣD², ΣY·D; CUPED: ΣX, ΣX², ΣY·X) for stats/compare compareArms.
 */
export interface MetricMoments {
  metric: string
  /** absent: mean (older callers) */
  type?: MetricType
  byVariant: Record<string, Moments>
  arms?: Record<string, ArmStats>
  cuped?: CupedEvidence
  quantile?: QuantileEvidence
  slo?: SloEvidence
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
  /** The ramp's error-budget gate threshold on the burn rate's upper bound (default DEFAULT_RAMP_MAX_BURN). */
  rampMaxBurn?: number
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
  /** Guardrails: how τ was chosen (min-harmful-effect, planned-n, default-n, tau, mde). */
  tauBasis?: string
  /** A proportion arm at 0% or 100%: pooled test, Newcombe interval. */
  degenerate?: boolean
  /** Tested on another estimator than the unit mean: `ratio` (controlMean/treatmentMean are the ratios) or `cuped` (they stay the raw means; effect and interval are adjusted). */
  estimator?: 'ratio' | 'cuped'
  /** CUPED: 1 − Var_adj/Var_raw of the difference, and the θ used. */
  varianceReduction?: number | null
  cupedTheta?: number | null
  /** Tail guardrails: the quantile level compared (controlMean/treatmentMean are the quantiles). */
  quantileLevel?: number
  /** Below the skew-based minimum sample per look: units each arm needs. */
  minLookUnits?: number | null
}

export const EMPTY_MOMENTS: Moments = { n: 0, sum: 0, sumSquares: 0 }
