import type { MetricSpec } from '../domain/metric.js'
import type { ExperimentResult } from '../domain/verdict.js'
import type { Comparison } from './evidence.js'

/** True when a conclusive primary moved the way the metric's direction wants. */
export const wantedWay = (metric: MetricSpec, c: Comparison) => c.effect !== null && (metric.direction === 'increase' ? c.effect > 0 : c.effect < 0)

/**
 * What a completing experiment found: `shipped` when a treatment's primary is conclusive in the
 * wanted direction and every guardrail is measured and clean; `regressed` when the conclusive
 * primaries all went the wrong way; otherwise (inconclusive, or guardrails without data)
 * `no-effect-detected`. Rollbacks and cancels are `stopped` (domain/experiment-record.ts resultOf).
 */
export function completionResult({ primary, metric, guardrailsClean }: { primary: Comparison[]; metric: MetricSpec; guardrailsClean: boolean }): ExperimentResult {
  const conclusive = primary.filter((c) => c.significant)
  if (conclusive.length === 0) return 'no-effect-detected'
  const winners = conclusive.filter((c) => wantedWay(metric, c))
  if (winners.length === 0) return 'regressed'
  return guardrailsClean ? 'shipped' : 'no-effect-detected'
}
