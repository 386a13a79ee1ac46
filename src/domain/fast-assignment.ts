import { BUCKETS, bucketOf, layerSalt, variantSalt } from './assignment.js'
import type { GateExperiment } from './gate-config.js'
import { type Attributes, matchesTargeting } from './targeting.js'

/**
 * The hot path of local evaluation: the same answers as `assign()` and the
 * server's gate (a property test holds them equal), at over a million per second.
 * What makes it fast: the murmur3 state after the salt's whole 4-byte blocks is
 * computed once per experiment, ASCII unit ids are hashed from `charCodeAt`
 * without a TextEncoder, and cumulative variant thresholds are precomputed with
 * the reference's own floating-point steps. Non-ASCII ids take the reference path.
 */

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

/** Murmur3 state after the salt prefix ("salt:"): its full blocks mixed, its tail bytes pending. */
interface SaltPrefix {
  salt: string
  h: number
  tail: number[]
  len: number
}

function prefixOf(salt: string): SaltPrefix {
  const bytes = new TextEncoder().encode(`${salt}:`)
  let h = 0
  const blocks = bytes.length & ~3
  for (let i = 0; i < blocks; i += 4) h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))
  return { salt, h, tail: Array.from(bytes.subarray(blocks)), len: bytes.length }
}

function mixBlock(h: number, block: number): number {
  let k = Math.imul(block, C1)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, C2)
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/** bucketOf(salt, unitId) for the prefix's salt; -1 when the id is not ASCII. */
function asciiBucket(p: SaltPrefix, unitId: string): number {
  let h = p.h
  let k = 0
  let n = 0 // bytes in the pending block
  const tail = p.tail
  for (let i = 0; i < tail.length; i++) k |= tail[i]! << (8 * n++)
  const len = unitId.length
  for (let i = 0; i < len; i++) {
    const c = unitId.charCodeAt(i)
    if (c > 0x7f) return -1
    k |= c << (8 * n)
    if (++n === 4) {
      h = mixBlock(h, k)
      k = 0
      n = 0
    }
  }
  if (n > 0) {
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, C2)
    h ^= k
  }
  h ^= p.len + len
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) % BUCKETS
}

function bucket(p: SaltPrefix, unitId: string): number {
  const b = asciiBucket(p, unitId)
  return b >= 0 ? b : bucketOf(p.salt, unitId)
}

/**
 * Cumulative variant thresholds with the reference's own floating-point steps
 * (variantForBucket): bucket < thresholds[i] picks variant i. The SQL takes these too.
 */
export function variantThresholds(variants: ReadonlyArray<{ weight: number }>): number[] {
  const total = variants.reduce((s, v) => s + v.weight, 0)
  const out: number[] = []
  let acc = 0
  for (const v of variants) out.push((acc += (v.weight / total) * BUCKETS))
  return out
}

export type Evaluation =
  | { exposed: true; variant: string; reason: 'assigned' }
  | { exposed: false; variant: null; reason: 'not_running' | 'outside_allocation' | 'outside_exposure' | 'not_targeted' }

const NOT_RUNNING: Evaluation = { exposed: false, variant: null, reason: 'not_running' }
const OUTSIDE_ALLOCATION: Evaluation = { exposed: false, variant: null, reason: 'outside_allocation' }
const OUTSIDE_EXPOSURE: Evaluation = { exposed: false, variant: null, reason: 'outside_exposure' }
const NOT_TARGETED: Evaluation = { exposed: false, variant: null, reason: 'not_targeted' }

/** One experiment prepared for repeated evaluation. Immutable: a new config compiles anew. */
export interface CompiledExperiment {
  readonly experiment: GateExperiment
  evaluate(unitId: string, attributes?: Attributes): Evaluation
}

export function compileExperiment(e: GateExperiment): CompiledExperiment {
  const layer = prefixOf(layerSalt(e.namespace, e.layer))
  const variant = prefixOf(variantSalt(e.id))
  const thresholds = variantThresholds(e.variants)
  const names = e.variants.map((v) => v.name)
  const assigned: Evaluation[] = names.map((name) => ({ exposed: true, variant: name, reason: 'assigned' }))
  const start = e.allocation?.start ?? 0
  const size = e.allocation?.size ?? 0
  const exposedUpTo = (size * e.exposure) / 100
  const running = e.allocation !== null && e.exposure > 0
  const rules = e.targeting
  return {
    experiment: e,
    evaluate(unitId, attributes) {
      if (rules.length > 0 && !matchesTargeting(rules, attributes ?? {})) return NOT_TARGETED
      if (!running) return NOT_RUNNING
      const offset = bucket(layer, unitId) - start
      if (offset < 0 || offset >= size) return OUTSIDE_ALLOCATION
      if (offset >= exposedUpTo) return OUTSIDE_EXPOSURE
      const vb = bucket(variant, unitId)
      for (let i = 0; i < thresholds.length; i++) if (vb < thresholds[i]!) return assigned[i]!
      return assigned[assigned.length - 1]!
    },
  }
}
