import { bucketOf, variantForBucket, variantSalt } from '../domain/assignment.js'
import type { Fault, Interaction } from './scenario-parts.js'

type SharedSalt = Extract<Fault, { type: 'shared_salt' }>
type Variants = ReadonlyArray<{ name: string; weight: number }>

const within = (elapsed: number, from: number, until: number | undefined) => elapsed >= from && (until === undefined || elapsed < until)

/** The shared_salt fault in force at `elapsed` (the first listed when several overlap). */
export function sharedSaltAt(faults: readonly Fault[], elapsed: number): SharedSalt | undefined {
  return faults.find((f): f is SharedSalt => f.type === 'shared_salt' && within(elapsed, f.from, f.until))
}

/**
 * The variant a service serves an exposed unit: the gate's, or under a shared_salt fault the
 * one the gate's own function gives with the other experiment's variant salt (same buckets,
 * this experiment's weights), which is what a service configured with the wrong salt computes.
 */
export function servedVariant(fault: SharedSalt | undefined, gateVariant: string, unitId: string, variants: Variants): string {
  if (!fault) return gateVariant
  return variantForBucket(bucketOf(variantSalt(fault.with), unitId), variants)
}

/**
 * The interaction shift per metric for each unit of experiment `id`: the sum of the effects of
 * the interactions whose variant of `id` the unit is served and whose variant of the other
 * experiment it is served there too (`partner` answers what the other experiment serves the
 * same units: null where it does not expose them). undefined for a unit in none.
 */
export async function interactionShifts(input: {
  interactions: readonly Interaction[]
  id: string
  unitIds: readonly string[]
  /** The variant `id` serves each unit (null: not exposed). */
  served: ReadonlyArray<string | null>
  partner: (experimentId: string, unitIds: string[]) => Promise<Array<string | null>>
}): Promise<Array<Record<string, number> | undefined>> {
  const out: Array<Record<string, number> | undefined> = input.unitIds.map(() => undefined)
  const mine = input.interactions.filter((x) => x.experiments.includes(input.id))
  if (mine.length === 0) return out
  const partners = new Map<string, Array<string | null>>()
  for (const x of mine) {
    const k = x.experiments[0] === input.id ? 0 : 1
    const other = x.experiments[1 - k]!
    // One lookup per partner and tick, only for the units this experiment exposes.
    if (!partners.has(other)) {
      const exposed = input.unitIds.filter((_, u) => input.served[u] !== null)
      const answer = await input.partner(other, exposed)
      const full: Array<string | null> = []
      let j = 0
      for (let u = 0; u < input.unitIds.length; u++) full.push(input.served[u] === null ? null : answer[j++] ?? null)
      partners.set(other, full)
    }
    const there = partners.get(other)!
    input.unitIds.forEach((_, u) => {
      if (input.served[u] !== x.variants[k] || there[u] !== x.variants[1 - k]) return
      const shifts = (out[u] ??= {})
      shifts[x.metric] = (shifts[x.metric] ?? 0) + x.effect
    })
  }
  return out
}
