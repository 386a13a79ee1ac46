import type { Reason } from '../domain/verdict.js'

/** Logged units against the gate's hash: how many were logged under a variant they should not have. */
export interface MisroutingEvidence {
  units: number
  misrouted: number
  /** Telemetry dead-lettered for naming a variant the experiment does not have (sql/queries/unknown-variant-dead-letters-batch.sql). */
  /** `recentUnits`: of those, units dead-lettered within the recent window (they count in it as misrouted). */
  unknownVariant?: { units: number; events: number; recentUnits?: number; variants?: string[] }
  /** The same count over units seen in the recent window only (the recent counts of sql/queries/misrouting-summary.sql). */
  recent?: { units: number; misrouted: number; windowMs: number } | null
}

/**
 * Share of misrouted units above which an experiment pauses. 1%: a correct gate
 * misroutes none, so even a small share means the variant was decided somewhere
 * else (a cache, a client-side override, a logging bug), and the comparison is biased.
 */
export const DEFAULT_MAX_MISROUTED_SHARE = 0.01

/**
 * The recent window's limit is half the cumulative one: the window holds fewer units, so its
 * share is noisier, and a fault running at the cumulative limit (1%) would otherwise be caught
 * only by the luck of the draw. A correct gate misroutes none, so the lower limit costs no false
 * pauses; stray units (a stale SDK config) stay far below it.
 */
export const RECENT_SHARE_FACTOR = 0.5
/** How far back the recent window reaches (the evaluation passes it to the SQL). */
export const DEFAULT_MISROUTING_WINDOW_MS = 3_600_000

const pct = (x: number) => `${(x * 100).toPrecision(3)}%`
const names = (vs: string[] | undefined) => (vs ?? []).filter((v) => v !== '').map((v) => JSON.stringify(v)).join(', ')

/**
 * Pure: a MISROUTING pause reason, or null when the share is within bounds (or too few units to say).
 * Cumulative first (since the start), then the recent window, each with at least minUnits units.
 */
export function misroutingReason(input: { evidence: MisroutingEvidence | null | undefined; minUnits: number; maxShare?: number }): Reason | null {
  const m = input.evidence
  if (!m) return null
  // Units logged under a variant that does not exist were misrouted too, though ingest dead-lettered their events.
  const unknown = m.unknownVariant ?? { units: 0, events: 0 }
  const units = m.units + unknown.units
  const misrouted = m.misrouted + unknown.units
  const maxShare = input.maxShare ?? DEFAULT_MAX_MISROUTED_SHARE
  const unknownNumbers = { unknownVariantUnits: unknown.units, unknownVariantEvents: unknown.events }
  if (units >= input.minUnits && units > 0 && misrouted / units > maxShare) {
    const share = misrouted / units
    const listed = names(unknown.variants)
    const extra = unknown.units > 0 ? `, of which ${unknown.units} (${unknown.events} events, dead-lettered) under ${listed ? `unknown variant ${listed}` : 'a variant'} the experiment does not have` : ''
    return {
      code: 'MISROUTING',
      message: `misrouting: ${misrouted} of ${units} logged units (${pct(share)}) carry a variant other than the gate's hash assigns${extra} (limit ${pct(maxShare)})`,
      numbers: { units, misrouted, share, maxShare, ...unknownNumbers },
    }
  }
  // Unknown-variant units seen recently are recent misrouted units too: a fault that starts late is caught by the window.
  const recentUnknown = unknown.recentUnits ?? 0
  const recent = m.recent && recentUnknown > 0 ? { ...m.recent, units: m.recent.units + recentUnknown, misrouted: m.recent.misrouted + recentUnknown } : m.recent
  return recentMisroutingReason({ recent, minUnits: input.minUnits, maxShare: maxShare * RECENT_SHARE_FACTOR, unknownVariants: unknown.variants, unknownNumbers })
}

/** Pure: the recent window's MISROUTING reason (null below minUnits or within the limit). */
export function recentMisroutingReason(input: {
  recent: MisroutingEvidence['recent']
  minUnits: number
  maxShare: number
  unknownVariants?: string[]
  unknownNumbers?: Record<string, number>
}): Reason | null {
  const r = input.recent
  if (!r || r.units < input.minUnits || r.units === 0) return null
  const share = r.misrouted / r.units
  if (share <= input.maxShare) return null
  const hours = Number((r.windowMs / 3_600_000).toPrecision(3))
  const listed = names(input.unknownVariants)
  return {
    code: 'MISROUTING',
    message: `misrouting in the last ${hours}h: ${r.misrouted} of ${r.units} recently logged units (${pct(share)}) carry a variant other than the gate's hash assigns${listed ? `; telemetry under unknown variant ${listed} dead-lettered` : ''} (recent-window limit ${pct(input.maxShare)})`,
    numbers: { recentUnits: r.units, recentMisrouted: r.misrouted, recentShare: share, recentMaxShare: input.maxShare, windowSeconds: r.windowMs / 1000, ...(input.unknownNumbers ?? {}) },
  }
}
