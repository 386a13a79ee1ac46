/**
 * One arm's quantile (e.g. p95 latency) and the variance of its estimate, for data with
 * one or several events per unit — Deng, Knoblich & Lu 2018, "Applying the Delta Method in
 * Metric Analytics" (KDD), §4.3 quantile metrics:
 *
 * 1. i.i.d. "outer" interval: with n events and level ν, the order statistics at ranks
 *    nν ∓ z·√(nν(1 − ν)) bracket the quantile with ≈ 1 − 2Φ(−z) coverage (the classical
 *    distribution-free interval). Its width gives Var_iid(Q̂) = ((U − L)/(2z))², which
 *    avoids estimating the density at the quantile.
 * 2. Clustered events: the fraction of events at or below Q̂, F̂ = Σbᵢ/Σeᵢ over units i
 *    (bᵢ = unit i's events ≤ Q̂, eᵢ = its events), is a ratio of unit means; its
 *    delta-method variance σ²_F replaces ν(1 − ν)/n, and Var(Q̂) scales by the same factor
 *    (Bahadur: Q̂ − Q ≈ (ν − F̂(Q))/f(Q), so Var(Q̂) ∝ Var(F̂) at a fixed density):
 *      Var(Q̂) = Var_iid(Q̂) · σ²_F / (ν(1 − ν)/n).
 *
 * This is also how GrowthBook's gbstats builds `QuantileStatistic` / `QuantileClusteredStatistic`
 * (its z is fixed at the 95% level and it carries an (n_star/n)·(n − 1)/n factor, kept here so both
 * agree); the agreement test compares them case by case.
 *
 * Input from SQL, per arm × metric × window (`QuantileArmStats`): the counts and the five
 * cluster sums merge by addition; `quantile`, `lower`, `upper` come from the exact order
 * statistics (or a mergeable sketch state, e.g. ClickHouse `quantilesTDigestState`) at the
 * levels `quantileBoundLevels()` returns; bᵢ needs Q̂ first, so the cluster sums are a second
 * pass (`countIf(value <= {quantile:Float64})` per unit).
 */
import { normalQuantileUpper } from './normal.js'
import type { StatsStatus } from './status.js'

/** z of the order-statistic bounds: the 95% two-sided level, as gbstats and its SQL use. */
export const QUANTILE_BOUND_Z = normalQuantileUpper(0.025)

/**
 * Fewest events beyond the quantile (n·min(ν, 1 − ν)) before a quantile is compared at all;
 * below it the normal approximation of Q̂ is poor (see quantile-sequential tests).
 */
export const QUANTILE_MIN_TAIL_EVENTS = 20

export interface QuantileArmStats {
  /** n: events in the arm (all units) */
  events: number
  /** K: units (clusters) that contributed at least one event */
  units: number
  /** Q̂: sample quantile at the level compared */
  quantile: number
  /** value of the order statistic at the lower bound level (quantileBoundLevels) */
  lower: number
  /** value of the order statistic at the upper bound level */
  upper: number
  /** events the bounds were computed over, when a sample of the events was used; default `events` */
  boundEvents?: number
  /** Σbᵢ, bᵢ = unit i's events with value ≤ Q̂ (omit the five sums for one event per unit) */
  belowSum?: number
  /** Σbᵢ² */
  belowSumSquares?: number
  /** Σeᵢ, eᵢ = unit i's events (equals `events`) */
  eventsSum?: number
  /** Σeᵢ² */
  eventsSumSquares?: number
  /** Σbᵢ·eᵢ */
  belowEventsCrossSum?: number
}

export interface QuantileEstimate {
  status: StatsStatus
  estimate: number | null
  /** Var(Q̂) */
  variance: number | null
  /** σ²_F / (ν(1 − ν)/n): 1 for independent events, > 1 when events of a unit are correlated */
  designEffect: number | null
  events: number
}

/** Levels at which SQL takes the lower/upper order statistics for n events: ν ∓ z·√(ν(1 − ν)/n). */
export function quantileBoundLevels({ events, level }: { events: number; level: number }): [number, number] {
  const h = QUANTILE_BOUND_Z * Math.sqrt((level * (1 - level)) / events)
  return [level - h, level + h]
}

/** True when both bound levels fall inside (0, 1) and enough events lie beyond the quantile. */
export function quantileSampleSufficient({ events, level, minTailEvents = QUANTILE_MIN_TAIL_EVENTS }: {
  events: number
  level: number
  minTailEvents?: number
}): boolean {
  const [lo, hi] = quantileBoundLevels({ events, level })
  return lo > 0 && hi < 1 && events * Math.min(level, 1 - level) >= minTailEvents
}

const fin = (x: number | undefined): x is number => typeof x === 'number' && Number.isFinite(x)

/**
 * Delta-method variance of F̂ = Σb/Σe over K units (ratio of unit means, Deng et al. 2018 §3):
 * (σ²_b − 2R·σ_be + R²·σ²_e) / (K·ē²), R = Σb/Σe, sample (co)variances with K − 1.
 */
export function clusteredFractionVariance(s: Required<Pick<QuantileArmStats, 'units' | 'belowSum' | 'belowSumSquares' | 'eventsSum' | 'eventsSumSquares' | 'belowEventsCrossSum'>>): number {
  const k = s.units
  const mb = s.belowSum / k
  const me = s.eventsSum / k
  const vb = (s.belowSumSquares / k - mb * mb) * (k / (k - 1))
  const ve = (s.eventsSumSquares / k - me * me) * (k / (k - 1))
  const cbe = (s.belowEventsCrossSum / k - mb * me) * (k / (k - 1))
  const r = mb / me
  return (vb - 2 * r * cbe + r * r * ve) / (k * me * me)
}

/** Quantile estimate of one arm with its (cluster-corrected when sums are given) variance. */
export function quantileEstimate({ arm, level, minTailEvents }: {
  arm: QuantileArmStats
  /** ν in (0, 1), e.g. 0.95 */
  level: number
  minTailEvents?: number
}): QuantileEstimate {
  const n = arm.events
  const fail = (status: StatsStatus): QuantileEstimate => ({ status, estimate: null, variance: null, designEffect: null, events: fin(n) ? n : 0 })
  const nStar = arm.boundEvents ?? n
  if (!(level > 0 && level < 1) || ![n, arm.units, arm.quantile, arm.lower, arm.upper, nStar].every(fin)) return fail('INVALID_INPUT')
  if (n < 0 || arm.units < 0 || arm.units > n || nStar <= 0 && n > 0 || arm.lower > arm.quantile || arm.quantile > arm.upper) return fail('INVALID_INPUT')
  const sums = [arm.belowSum, arm.belowSumSquares, arm.eventsSum, arm.eventsSumSquares, arm.belowEventsCrossSum]
  const clustered = sums.some((x) => x !== undefined)
  if (clustered && !sums.every(fin)) return fail('INVALID_INPUT')
  if (clustered && (arm.eventsSum !== n || arm.belowSum! < 0 || arm.belowSum! > n)) return fail('INVALID_INPUT')
  if (!quantileSampleSufficient({ events: n, level, ...(minTailEvents !== undefined ? { minTailEvents } : {}) }) || arm.units < 2) {
    return { ...fail('INSUFFICIENT_SAMPLE'), estimate: n > 0 ? arm.quantile : null }
  }
  const half = (arm.upper - arm.lower) / (2 * QUANTILE_BOUND_Z)
  const iid = ((nStar / n) * ((n - 1) / n)) * half * half
  let designEffect = 1
  if (clustered) {
    const sF = clusteredFractionVariance(arm as Required<QuantileArmStats>)
    designEffect = sF / ((level * (1 - level)) / n)
    if (!Number.isFinite(designEffect) || designEffect < 0) return fail('INVALID_INPUT')
  }
  const variance = iid * designEffect
  if (!(variance > 0)) return { status: 'ZERO_VARIANCE', estimate: arm.quantile, variance: 0, designEffect, events: n }
  return { status: 'ok', estimate: arm.quantile, variance, designEffect, events: n }
}
