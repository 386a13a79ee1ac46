/**
 * Deterministic assignment. bucket = murmurHash3_32(salt + ":" + unitId) mod 10,000,
 * the same function ClickHouse computes as `murmurHash3_32(concat(salt, ':', unit_id)) % 10000`,
 * so analysts can recompute who should have seen what.
 */
export const BUCKETS = 10_000

const encoder = new TextEncoder()

/** MurmurHash3 x86 32-bit (Appleby), seed 0, over the UTF-8 bytes of `text`. */
export function murmur3(text: string, seed = 0): number {
  const bytes = encoder.encode(text)
  const len = bytes.length
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  let h = seed >>> 0
  const blocks = len & ~3
  for (let i = 0; i < blocks; i += 4) {
    let k = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  let k = 0
  switch (len & 3) {
    case 3:
      k ^= bytes[blocks + 2]! << 16
    // falls through
    case 2:
      k ^= bytes[blocks + 1]! << 8
    // falls through
    case 1:
      k ^= bytes[blocks]!
      k = Math.imul(k, c1)
      k = (k << 15) | (k >>> 17)
      k = Math.imul(k, c2)
      h ^= k
  }
  h ^= len
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export function bucketOf(salt: string, unitId: string): number {
  return murmur3(`${salt}:${unitId}`) % BUCKETS
}

/** Salt of a layer's traffic split; experiments in one layer share it, so they never overlap. */
export const layerSalt = (namespace: string, layer: string) => `layer/${namespace}/${layer}`

/** Salt of an experiment's variant split; independent of the layer so ramps keep variants stable. */
export const variantSalt = (experimentId: string) => `variant/${experimentId}`

/** Picks the variant whose cumulative weight range holds the bucket. */
export function variantForBucket(bucket: number, variants: ReadonlyArray<{ name: string; weight: number }>): string {
  const total = variants.reduce((s, v) => s + v.weight, 0)
  let acc = 0
  for (const v of variants) {
    acc += (v.weight / total) * BUCKETS
    if (bucket < acc) return v.name
  }
  return variants[variants.length - 1]!.name
}

export interface AssignmentInput {
  namespace: string
  layer: string
  experimentId: string
  allocation: { start: number; size: number } | null
  exposurePercent: number
  variants: ReadonlyArray<{ name: string; weight: number }>
  unitId: string
}

export type Assignment =
  | { exposed: true; variant: string; layerBucket: number; variantBucket: number }
  | { exposed: false; reason: 'not_running' | 'outside_allocation' | 'outside_exposure'; layerBucket: number | null }

/**
 * A unit is exposed when its layer bucket falls in the first `exposure%` of the
 * experiment's allocation; ramping only adds units, never moves them.
 */
export function assign(input: AssignmentInput): Assignment {
  if (!input.allocation || input.exposurePercent <= 0) return { exposed: false, reason: 'not_running', layerBucket: null }
  const layerBucket = bucketOf(layerSalt(input.namespace, input.layer), input.unitId)
  const offset = layerBucket - input.allocation.start
  if (offset < 0 || offset >= input.allocation.size) return { exposed: false, reason: 'outside_allocation', layerBucket }
  if (offset >= (input.allocation.size * input.exposurePercent) / 100) return { exposed: false, reason: 'outside_exposure', layerBucket }
  const variantBucket = bucketOf(variantSalt(input.experimentId), input.unitId)
  return { exposed: true, variant: variantForBucket(variantBucket, input.variants), layerBucket, variantBucket }
}
