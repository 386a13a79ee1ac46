/**
 * Which running experiments can share units, and so can interfere: experiments in
 * different layers of one namespace (each layer hashes the whole namespace's traffic
 * independently, so their units overlap), or experiments that declare a common service.
 * Experiments in the same layer hold disjoint bucket ranges and never share a unit.
 */
import { z } from 'zod'
import type { ExperimentRecord } from './experiment-record.js'
import type { ExperimentSpec } from './experiment.js'

export const InterferenceAction = z.enum(['flag', 'pause-lower-priority', 'block-start'])
export type InterferenceAction = z.infer<typeof InterferenceAction>

/** Per-namespace policy (policy-config.ts): what a flagged pair does, and the FDR of the flag. */
export const InterferencePolicy = z.strictObject({
  action: InterferenceAction.default('flag'),
  fdr: z.number().gt(0).lt(1).default(0.05),
})
export type InterferencePolicy = z.infer<typeof InterferencePolicy>
export const DEFAULT_INTERFERENCE_POLICY: InterferencePolicy = { action: 'flag', fdr: 0.05 }

export type PairReason = 'layers' | 'services' | 'layers+services'

export interface CandidatePair {
  /** Ids in lexical order, so a pair has one key. */
  a: ExperimentRecord
  b: ExperimentRecord
  reason: PairReason
}

export function sharedServices(a: ExperimentSpec, b: ExperimentSpec): string[] {
  const s = new Set(a.services)
  return [...new Set(b.services.filter((x) => s.has(x)))].sort()
}

/** Why two specs may share units, or null when they cannot. */
export function pairReason(a: ExperimentSpec, b: ExperimentSpec): PairReason | null {
  if (a.id === b.id) return null
  const sameLayer = a.namespace === b.namespace && a.layer === b.layer
  const layers = a.namespace === b.namespace && a.layer !== b.layer
  const services = !sameLayer && sharedServices(a, b).length > 0
  if (layers && services) return 'layers+services'
  if (layers) return 'layers'
  if (services) return 'services'
  return null
}

/** Every pair of running experiments that can share units, in a stable order. */
export function candidatePairs(records: readonly ExperimentRecord[]): CandidatePair[] {
  const running = records.filter((r) => r.state === 'running').sort((x, y) => (x.spec.id < y.spec.id ? -1 : 1))
  const out: CandidatePair[] = []
  for (let i = 0; i < running.length; i++) {
    for (let j = i + 1; j < running.length; j++) {
      const reason = pairReason(running[i]!.spec, running[j]!.spec)
      if (reason) out.push({ a: running[i]!, b: running[j]!, reason })
    }
  }
  return out
}

/** Metrics both experiments measure (same name), each once, with A's aggregation. */
export function sharedMetrics(a: ExperimentSpec, b: ExperimentSpec): Array<{ name: string; aggregation: string }> {
  const names = (s: ExperimentSpec) => [s.metrics.primary, ...s.metrics.guardrails, ...s.metrics.secondary]
  const inB = new Set(names(b).map((m) => m.name))
  const seen = new Set<string>()
  const out: Array<{ name: string; aggregation: string }> = []
  for (const m of names(a)) {
    if (!inB.has(m.name) || seen.has(m.name)) continue
    seen.add(m.name)
    out.push({ name: m.name, aggregation: m.aggregation })
  }
  return out
}

/**
 * The experiment a `pause-lower-priority` action pauses: the lower priority, ties broken by
 * the later start (the newcomer yields), then by id.
 */
export function lowerPriority(a: ExperimentRecord, b: ExperimentRecord): ExperimentRecord {
  if (a.spec.priority !== b.spec.priority) return a.spec.priority < b.spec.priority ? a : b
  const sa = a.startedAt ?? 0
  const sb = b.startedAt ?? 0
  if (sa !== sb) return sa > sb ? a : b
  return a.spec.id > b.spec.id ? a : b
}
