import type { Fault } from './scenario-parts.js'

type Misroute = Extract<Fault, { type: 'misroute' }>

const within = (elapsed: number, from: number, until: number | undefined) => elapsed >= from && (until === undefined || elapsed < until)

/** Whether a telemetry_stop holds at `elapsed` ms since scenario start. */
export function telemetryStopped(faults: readonly Fault[], elapsed: number): boolean {
  return faults.some((f) => f.type === 'telemetry_stop' && within(elapsed, f.at, f.until))
}

/** Probability that an event of `metric` at `elapsed` is lost: the telemetry_drops in force, independently. */
export function dropProbability(faults: readonly Fault[], elapsed: number, metric: string): number {
  let kept = 1
  for (const f of faults) {
    if (f.type === 'telemetry_drop' && within(elapsed, f.from, f.until) && (f.metrics === undefined || f.metrics.includes(metric))) kept *= 1 - f.fraction
  }
  return 1 - kept
}

/** The misroute fault in force at `elapsed` (the first listed when several overlap). */
export function misrouteAt(faults: readonly Fault[], elapsed: number): Misroute | undefined {
  return faults.find((f): f is Misroute => f.type === 'misroute' && within(elapsed, f.from, f.until))
}

/**
 * Probability that a unit the gate put in `variant` is logged under the fault's `to`: units of
 * `to` never are, the others with fraction / (1 − w), so that `fraction` of all exposed units is
 * misrouted (w: the weight share of `to`, 0 for a name the spec lacks).
 */
export function misrouteProbability(fault: Misroute, variant: string, weights: ReadonlyArray<{ name: string; weight: number }>): number {
  if (variant === fault.to) return 0
  const total = weights.reduce((a, v) => a + v.weight, 0)
  const share = (weights.find((v) => v.name === fault.to)?.weight ?? 0) / total
  return share >= 1 ? 0 : Math.min(1, fault.fraction / (1 - share))
}

/** Whether any of the faults still changes after `elapsed` (a fault that ends, or starts, later). */
export function faultsChangeAfter(faults: readonly Fault[], elapsed: number): boolean {
  return faults.some((f) => {
    const from = f.type === 'telemetry_stop' ? f.at : f.from
    return from > elapsed || (f.until !== undefined && f.until > elapsed)
  })
}
