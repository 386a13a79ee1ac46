/**
 * Error-budget burn rates (point estimates; slo.ts adds minimum samples and exact bounds), multiwindow and multi-burn-rate (Google SRE Workbook, ch. 5
 * "Alerting on SLOs"): burn rate = error rate / (1 − SLO). An alert fires only when both
 * its long and its short window burn faster than its threshold — the long window gives
 * significance, the short one makes the alert reset quickly once the problem stops.
 */
import type { StatsStatus } from './status.js'

export interface WindowCounts {
  /** bad events (errors, SLO-violating requests) in the window */
  bad: number
  total: number
}

export interface BurnRule {
  severity: 'page' | 'ticket'
  /** window names, keys into `windows` */
  longWindow: string
  shortWindow: string
  threshold: number
}

/** The workbook's defaults for a 30-day budget. */
export const DEFAULT_BURN_RULES: BurnRule[] = [
  { severity: 'page', longWindow: '1h', shortWindow: '5m', threshold: 14.4 },
  { severity: 'page', longWindow: '6h', shortWindow: '30m', threshold: 6 },
  { severity: 'ticket', longWindow: '3d', shortWindow: '6h', threshold: 1 },
]

export interface BurnAlert extends BurnRule {
  status: StatsStatus
  longBurnRate: number | null
  shortBurnRate: number | null
  firing: boolean
}

export function burnRate({ window, slo }: { window: WindowCounts | undefined; slo: number }): { status: StatsStatus; burnRate: number | null } {
  if (!(slo > 0 && slo < 1) || !window) return { status: 'INVALID_INPUT', burnRate: null }
  const { bad, total } = window
  if (![bad, total].every(Number.isFinite) || bad < 0 || total < 0 || bad > total) return { status: 'INVALID_INPUT', burnRate: null }
  if (total === 0) return { status: 'INSUFFICIENT_SAMPLE', burnRate: null }
  return { status: 'ok', burnRate: bad / total / (1 - slo) }
}

/** Evaluates every rule; `page` / `ticket` are true when any rule of that severity fires. */
export function burnRateAlerts({ windows, slo, rules = DEFAULT_BURN_RULES }: {
  windows: Record<string, WindowCounts>
  slo: number
  rules?: BurnRule[]
}): { alerts: BurnAlert[]; page: boolean; ticket: boolean } {
  const alerts = rules.map((rule): BurnAlert => {
    const long = burnRate({ window: windows[rule.longWindow], slo })
    const short = burnRate({ window: windows[rule.shortWindow], slo })
    const status = long.status !== 'ok' ? long.status : short.status
    const firing = status === 'ok' && long.burnRate! >= rule.threshold && short.burnRate! >= rule.threshold
    return { ...rule, status, longBurnRate: long.burnRate, shortBurnRate: short.burnRate, firing }
  })
  return { alerts, page: alerts.some((a) => a.firing && a.severity === 'page'), ticket: alerts.some((a) => a.firing && a.severity === 'ticket') }
}
