import type { Reason } from '../domain/verdict.js'

/** Logged units against the gate's hash: how many were logged under a variant they should not have. */
export interface MisroutingEvidence {
  units: number
  misrouted: number
  /** Telemetry dead-lettered for naming a variant the experiment does not have (sql/queries/unknown-variant-dead-letters.sql). */
  unknownVariant?: { units: number; events: number }
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
  if (!m) return null
  // Units logged under a variant that does not exist were misrouted too, though ingest dead-lettered their events.
  const unknown = m.unknownVariant ?? { units: 0, events: 0 }
  const units = m.units + unknown.units
  const misrouted = m.misrouted + unknown.units
  if (units < input.minUnits || units === 0) return null
  const maxShare = input.maxShare ?? DEFAULT_MAX_MISROUTED_SHARE
  const share = misrouted / units
  if (share <= maxShare) return null
  const extra = unknown.units > 0 ? `, of which ${unknown.units} (${unknown.events} events, dead-lettered) under a variant the experiment does not have` : ''
  return {
    code: 'MISROUTING',
    message: `misrouting: ${misrouted} of ${units} logged units (${(share * 100).toPrecision(3)}%) carry a variant other than the gate's hash assigns${extra} (limit ${(maxShare * 100).toPrecision(3)}%)`,
    numbers: { units, misrouted, share, maxShare, unknownVariantUnits: unknown.units, unknownVariantEvents: unknown.events },
  }
}
