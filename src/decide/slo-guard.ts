import type { Reason } from '../domain/verdict.js'
import { sloGuardrail, type SloRuleResult } from '../stats/slo.js'
import type { MetricMoments } from './evidence.js'

const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? 'n/a' : Number(x.toPrecision(digits)).toString())

export interface SloFinding {
  metric: string
  variant: string
  page: boolean
  status: string
  firing: SloRuleResult[]
}

/** One variant's multiwindow burn-rate verdict on one metric's SLO (stats/slo.ts, Google SRE Workbook ch. 5). */
function judge(m: MetricMoments, variant: string): SloFinding | null {
  const slo = m.slo
  const windows = slo?.byVariant[variant]
  if (!slo || !windows) return null
  const r = sloGuardrail({ windows: windows as Record<string, { bad: number; total: number }>, slo: slo.objective })
  return { metric: m.metric, variant, page: r.page, status: r.status, firing: r.rules.filter((x) => x.firing) }
}

const ruleText = (r: SloRuleResult) =>
  `${r.longWindow} burn ${fmt(r.long.burnRate)}× (lower bound ${fmt(r.long.lower)}×) & ${r.shortWindow} burn ${fmt(r.short.burnRate)}× ≥ ${r.threshold}×`

const ruleNumbers = (f: SloFinding, prefix = '') =>
  Object.fromEntries(
    f.firing.flatMap((r) => [
      [`${prefix}burn_${r.longWindow}`, r.long.burnRate],
      [`${prefix}burnLower_${r.longWindow}`, r.long.lower],
      [`${prefix}burn_${r.shortWindow}`, r.short.burnRate],
      [`${prefix}events_${r.longWindow}`, r.long.total],
      [`${prefix}events_${r.shortWindow}`, r.short.total],
      [`${prefix}threshold_${r.longWindow}_${r.shortWindow}`, r.threshold],
    ]),
  )

/**
 * SLO guardrails over the windowed SLIs: a treatment whose SLO pages (a multiwindow burn rule
 * fires with the minimum sample per window) gives SLO_BURN, naming the SLO, the windows and the
 * rates. If control pages as well the breach is not the experiment's: SLO_BURN_CONTROL (an alert
 * that pauses, never a rollback that blames the variant).
 */
export function sloReasons({ metrics, control, treatments }: { metrics: MetricMoments[]; control: string; treatments: string[] }): { treatment: Reason[]; bothArms: Reason[] } {
  const treatment: Reason[] = []
  const bothArms: Reason[] = []
  for (const m of metrics) {
    if (!m.slo) continue
    const c = judge(m, control)
    const objective = `${m.metric} SLO ${m.slo.max !== null ? `≤ ${m.slo.max}` : `≥ ${m.slo.min}`} for ${fmt(m.slo.objective * 100, 4)}% of events`
    for (const v of treatments) {
      const t = judge(m, v)
      if (!t?.page) continue
      if (c?.page) {
        bothArms.push({
          code: 'SLO_BURN_CONTROL',
          metric: m.metric,
          variant: v,
          message: `SLO breached in control too: not caused by the experiment (${objective}; ${v}: ${t.firing.map(ruleText).join('; ')}; ${control}: ${c.firing.map(ruleText).join('; ')})`,
          numbers: { objective: m.slo.objective, ...ruleNumbers(t), ...ruleNumbers(c, 'control_') },
        })
      } else {
        treatment.push({
          code: 'SLO_BURN',
          metric: m.metric,
          variant: v,
          message: `${objective} breached in ${v}: ${t.firing.map(ruleText).join('; ')} (control does not page)`,
          numbers: { objective: m.slo.objective, ...ruleNumbers(t) },
        })
      }
    }
  }
  return { treatment, bothArms }
}
