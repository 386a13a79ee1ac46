import type { Reason } from '../domain/verdict.js'
import { ERROR_BUDGET_ALPHA, errorBudgetGate } from '../stats/slo.js'
import type { MetricMoments, SloWindow } from './evidence.js'

/** Burn rate the upper bound must stay at or under for a ramp (the policy file's default errorBudget.threshold). */
export const DEFAULT_RAMP_MAX_BURN = 1.5
/** The window the gate reads: the longest that still reflects the current step at the first steps' 1h minimum durations. */
export const RAMP_BUDGET_WINDOW: SloWindow = '1h'

const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? 'n/a' : Number(x.toPrecision(digits)).toString())

/**
 * The error-budget gate on a ramp (issue 14 item 4): for every metric with an SLO, each treatment
 * arm's burn rate over the window must have its one-sided upper Clopper–Pearson bound at or under
 * `maxBurn` (stats/slo.ts errorBudgetGate). A point estimate lets a lucky window at low exposure
 * through while the true burn is above the threshold; the bound does not: few events give a wide
 * bound and hold the ramp until the step has seen enough. A window without events is no evidence
 * either way and is left to GUARDRAIL_NO_DATA and the staleness check. The policy's `error-budget`
 * rule (domain/policy.ts) judges a service's burn at start and ramp with the same gate. Pure.
 */
export function rampBudgetReasons({ metrics, treatments, maxBurn = DEFAULT_RAMP_MAX_BURN, window = RAMP_BUDGET_WINDOW, alpha = ERROR_BUDGET_ALPHA }: {
  metrics: MetricMoments[]
  treatments: string[]
  maxBurn?: number
  window?: SloWindow
  alpha?: number
}): Reason[] {
  const out: Reason[] = []
  for (const m of metrics) {
    if (!m.slo) continue
    for (const v of treatments) {
      const counts = m.slo.byVariant[v]?.[window]
      if (!counts || counts.total === 0) continue
      const g = errorBudgetGate({ window: counts, slo: m.slo.objective, alpha, maxBurn })
      if (g.pass) continue
      out.push({
        code: 'ERROR_BUDGET_GATE',
        metric: m.metric,
        variant: v,
        message: `ramp held: ${m.metric} error budget in ${v} over ${window} burns at ${fmt(g.burnRate)}× with upper bound ${fmt(g.upper)}× > ${fmt(maxBurn)}× (${counts.bad} of ${counts.total} events bad, objective ${fmt(m.slo.objective * 100, 4)}%, ${fmt((1 - alpha) * 100)}% bound)`,
        numbers: { burnRate: g.burnRate, burnUpper: g.upper, maxBurn, bad: counts.bad, total: counts.total, objective: m.slo.objective, alpha },
      })
    }
  }
  return out
}
