import type { Reason } from '../domain/verdict.js'

/** Logged units against the gate's hash: how many were logged under a variant they should not have. */
export interface MisroutingEvidence {
  units: number
  misrouted: number
}

/**
 * Share of misrouted units above which an experiment pauses. 1%: a correct gate
 * misroutes none, so even a small share means the variant was decided somewhere
 * else (a cache, a client-side override, a logging bug), and the comparison is biased.
 */
export const DEFAULT_MAX_MISROUTED_SHARE = 0.01

/** Pure: a MISROUTING pause reason, or null when the share is within bounds (or too few units to say). */
export function misroutingReason(input: { evidence: MisroutingEvidence | null | undefined; minUnits: number; maxShare?: number }): Reason | null {
  const m = input.evidence
  if (!m || m.units < input.minUnits || m.units === 0) return null
  const maxShare = input.maxShare ?? DEFAULT_MAX_MISROUTED_SHARE
  const share = m.misrouted / m.units
  if (share <= maxShare) return null
  return {
    code: 'MISROUTING',
    message: `misrouting: ${m.misrouted} of ${m.units} logged units (${(share * 100).toPrecision(3)}%) carry a variant other than the gate's hash assigns (limit ${(maxShare * 100).toPrecision(3)}%)`,
    numbers: { units: m.units, misrouted: m.misrouted, share, maxShare },
  }
}
