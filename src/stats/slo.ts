/**
 * SLO guardrails an SRE can trust: the multiwindow, multi-burn-rate alerts of the Google SRE
 * Workbook (ch. 5 "Alerting on SLOs": page when the 1h and 5m burn rates are ≥ 14.4×, or the
 * 6h and 30m ones ≥ 6×) with two additions that keep a handful of events from paging:
 *   - a minimum sample per window: a window counts only once it holds at least
 *     `minBudgetEvents / (1 − SLO)` events, i.e. enough that the budget itself predicts
 *     `minBudgetEvents` bad ones (default 1); below it the rule reports INSUFFICIENT_SAMPLE;
 *   - significance: the long window's lower confidence bound of the burn rate must exceed 1×
 *     (the budget is burning faster than sustainable, not just noisy).
 * Bounds are exact Clopper–Pearson (1934) bounds on the bad-event proportion divided by the
 * budget 1 − SLO: P(bound wrong) ≤ α at every look, for any sample size (Wilson's is cheaper but
 * can undercover at the few-bad-events counts typical of SLOs).
 * The error-budget gate passes only when the upper bound of the burn rate is ≤ `maxBurn`.
 */
import { DEFAULT_BURN_RULES, type BurnRule, type WindowCounts } from './burn-rate.js'
import { validAlpha } from './sided.js'
import type { StatsStatus } from './status.js'
import { lnBeta } from './gamma.js'
import { incompleteBeta } from './student-t.js'

/** The workbook's two paging rules (fast: 5m & 1h at 14.4×, slow: 30m & 6h at 6×). */
export const SLO_PAGE_RULES: BurnRule[] = DEFAULT_BURN_RULES.filter((r) => r.severity === 'page')

/** Expected bad events at the budget rate a window must hold before it is judged. */
export const SLO_MIN_BUDGET_EVENTS = 1

/** P(Bin(n, p) ≤ k) = I_{1−p}(n − k, k + 1). */
function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0
  if (k >= n) return 1
  return incompleteBeta(1 - p, p, n - k, k + 1)
}

/** −d/dp P(Bin(n, p) ≤ k): the Beta(k + 1, n − k) density at p (0 ≤ k < n, 0 < p < 1). */
function binomialCdfSlope(k: number, n: number, p: number): number {
  return Math.exp(k * Math.log(p) + (n - k - 1) * Math.log1p(-p) - lnBeta(k + 1, n - k))
}

/**
 * p in [0, 1] where the decreasing f(p) crosses target: Newton's method on f with slope −g,
 * kept inside a bracket that every evaluation narrows, and a bisection step whenever Newton
 * would leave it. Bisection alone took 55–70 evaluations per bound, each an incomplete beta whose
 * continued fraction grows with the counts (31 of the scheduling-tick test's 58 s); Newton from the
 * point estimate needs a handful, to the same full double precision.
 */
function solveDecreasing(f: (p: number) => number, g: (p: number) => number, target: number, start: number): number {
  let lo = 0
  let hi = 1
  let p = Math.min(Math.max(start, 1e-300), 1 - 1e-16)
  for (let i = 0; i < 200 && hi - lo > 1e-16 * Math.max(hi, 1e-300); i++) {
    const v = f(p) - target
    if (v === 0) return p
    if (v > 0) lo = p
    else hi = p
    const slope = g(p)
    let next = slope > 0 && Number.isFinite(slope) ? p + v / slope : NaN
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi)
    if (Math.abs(next - p) <= 1e-16 * p) return next
    p = next
  }
  return 0.5 * (lo + hi)
}

/**
 * One-sided Clopper–Pearson bounds at level 1 − α each: the p with P(X ≤ bad | p) = α (upper)
 * and P(X ≥ bad | p) = α (lower); 0 bad gives lower 0, all bad gives upper 1.
 */
export function clopperPearsonBounds({ bad, total, alpha }: { bad: number; total: number; alpha: number }): [number, number] {
  const start = Math.min(Math.max(bad / total, 0.5 / total), 1 - 0.5 / total)
  const upper = bad >= total ? 1 : solveDecreasing((p) => binomialCdf(bad, total, p), (p) => binomialCdfSlope(bad, total, p), alpha, start)
  const lower = bad <= 0 ? 0 : solveDecreasing((p) => binomialCdf(bad - 1, total, p), (p) => binomialCdfSlope(bad - 1, total, p), 1 - alpha, start)
  return [lower, upper]
}

export interface BurnEstimate {
  status: StatsStatus
  burnRate: number | null
  /** one-sided lower / upper confidence bounds of the burn rate at level 1 − α each */
  lower: number | null
  upper: number | null
  total: number
}

/** Burn rate of one window with its bounds; INSUFFICIENT_SAMPLE below the minimum sample. */
export function burnEstimate({ window, slo, alpha = 0.05, minBudgetEvents = SLO_MIN_BUDGET_EVENTS, bounds = true }: {
  window: WindowCounts | undefined
  slo: number
  alpha?: number
  minBudgetEvents?: number
  /** compute the confidence bounds (false: point estimate and sample check only) */
  bounds?: boolean
}): BurnEstimate {
  const none = (status: StatsStatus, total = 0): BurnEstimate => ({ status, burnRate: null, lower: null, upper: null, total })
  if (!(slo > 0 && slo < 1) || !validAlpha(alpha) || !(minBudgetEvents >= 0) || !window) return none('INVALID_INPUT')
  const { bad, total } = window
  if (![bad, total].every(Number.isFinite) || bad < 0 || total < 0 || bad > total) return none('INVALID_INPUT')
  const budget = 1 - slo
  const burnRate = total > 0 ? bad / total / budget : null
  if (total === 0 || total < minBudgetEvents / budget) return { ...none('INSUFFICIENT_SAMPLE', total), burnRate }
  if (!bounds) return { status: 'ok', burnRate, lower: null, upper: null, total }
  const [lo, hi] = clopperPearsonBounds({ bad, total, alpha })
  return { status: 'ok', burnRate, lower: lo / budget, upper: hi / budget, total }
}

export interface SloRuleResult extends BurnRule {
  status: StatsStatus
  long: BurnEstimate
  short: BurnEstimate
  firing: boolean
}

/**
 * Multiwindow burn-rate guardrail: a rule fires when both windows have the minimum sample,
 * both burn rates are ≥ its threshold, and the long window's lower bound is > 1×.
 * `page` is true when any rule fires; a rule without enough data never fires and says so.
 * Bounds (a bisection each) are computed only for rules whose point estimates reach the
 * threshold, so a quiet service costs two divisions per window.
 */
export function sloGuardrail({ windows, slo, rules = SLO_PAGE_RULES, alpha = 0.05, minBudgetEvents = SLO_MIN_BUDGET_EVENTS }: {
  windows: Record<string, WindowCounts>
  slo: number
  rules?: BurnRule[]
  alpha?: number
  minBudgetEvents?: number
}): { rules: SloRuleResult[]; page: boolean; status: StatsStatus } {
  const results = rules.map((rule): SloRuleResult => {
    const args = { slo, alpha, minBudgetEvents, bounds: false }
    let long = burnEstimate({ window: windows[rule.longWindow], ...args })
    let short = burnEstimate({ window: windows[rule.shortWindow], ...args })
    const status = long.status !== 'ok' ? long.status : short.status
    const hot = status === 'ok' && long.burnRate! >= rule.threshold && short.burnRate! >= rule.threshold
    if (hot) {
      long = burnEstimate({ window: windows[rule.longWindow], ...args, bounds: true })
      short = burnEstimate({ window: windows[rule.shortWindow], ...args, bounds: true })
    }
    const firing = hot && long.lower! > 1
    return { ...rule, status, long, short, firing }
  })
  const page = results.some((r) => r.firing)
  // ok as soon as one rule could be judged; a page from any rule stands on its own
  const status = page || results.some((r) => r.status === 'ok') ? 'ok' : results[0]?.status ?? 'INVALID_INPUT'
  return { rules: results, page, status }
}

/** One-sided level of the error-budget gate's bound, for starts and ramps alike (95% upper bound). */
export const ERROR_BUDGET_ALPHA = 0.05

/**
 * Error-budget gate (before a start or a ramp): passes when the upper confidence bound of the burn
 * rate over the window is ≤ maxBurn (default 1×, the sustainable rate). Not enough events to
 * bound the burn below maxBurn simply does not pass; the reason is in `status` / `upper`.
 */
export function errorBudgetGate({ window, slo, alpha = ERROR_BUDGET_ALPHA, maxBurn = 1 }: {
  window: WindowCounts | undefined
  slo: number
  alpha?: number
  maxBurn?: number
}): BurnEstimate & { pass: boolean; maxBurn: number } {
  const e = burnEstimate({ window, slo, alpha, minBudgetEvents: 0 })
  const valid = Number.isFinite(maxBurn) && maxBurn > 0
  const status = valid ? e.status : 'INVALID_INPUT'
  return { ...e, status, maxBurn, pass: valid && e.status === 'ok' && e.upper! <= maxBurn }
}
