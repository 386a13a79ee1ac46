import type { DecisionOutcome } from './decide.js'

/**
 * The evidence a verdict was decided on, in a compact stable shape for the
 * `verdicts.evidence` column: one row per metric × treatment with the
 * always-valid interval, and the SRM counts. Pure; the UI charts read it.
 */
export function verdictEvidence(outcome: Pick<DecisionOutcome, 'comparisons' | 'srm'>): string {
  return JSON.stringify({
    comparisons: outcome.comparisons.map((c) => ({
      metric: c.metric,
      role: c.role,
      variant: c.variant,
      method: c.method,
      status: c.status,
      controlMean: c.controlMean,
      treatmentMean: c.treatmentMean,
      effect: c.effect,
      ciLow: c.ci?.[0] ?? null,
      ciHigh: c.ci?.[1] ?? null,
      pValue: c.sequentialP,
      adjustedPValue: c.adjustedP ?? null,
      controlUnits: c.controlN,
      treatmentUnits: c.treatmentN,
      ...(c.estimator ? { estimator: c.estimator } : {}),
      ...(c.estimator === 'cuped' ? { cupedTheta: c.cupedTheta ?? null, varianceReduction: c.varianceReduction ?? null } : {}),
    })),
    srm: { pValue: outcome.srm.pValue, counts: outcome.srm.counts, test: outcome.srm.test },
  })
}
