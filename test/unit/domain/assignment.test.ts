import { describe, expect, it } from 'vitest'
import { type Assignment, type AssignmentInput, assign, variantForBucket } from '../../../src/domain/assignment.js'

const N = 100_000
const units = Array.from({ length: N }, (_, i) => `user-${i}`)
const FULL = { start: 0, size: 10_000 }
const RAMP_ALLOCATION = { start: 2_500, size: 5_000 }

const input = (overrides: Partial<AssignmentInput> = {}): Omit<AssignmentInput, 'unitId'> => ({
  namespace: 'web',
  layer: 'checkout',
  experimentId: 'exp-a',
  allocation: FULL,
  exposurePercent: 100,
  variants: [
    { name: 'control', weight: 50 },
    { name: 'treatment', weight: 50 },
  ],
  ...overrides,
})

/** assign() for every unit, memoised per input: several tests read the same run. */
const runs = new Map<string, Assignment[]>()
function assignRaw(base: Omit<AssignmentInput, 'unitId'>): Assignment[] {
  const key = JSON.stringify(base)
  let run = runs.get(key)
  if (!run) {
    run = units.map((unitId) => assign({ ...base, unitId }))
    runs.set(key, run)
  }
  return run
}

/** Variant name per unit, or null when not exposed. */
const assignAll = (base: Omit<AssignmentInput, 'unitId'>): Array<string | null> => assignRaw(base).map((a) => (a.exposed ? a.variant : null))

function shares(assigned: Array<string | null>, names: string[]): number[] {
  const exposed = assigned.filter((v) => v !== null)
  return names.map((n) => exposed.filter((v) => v === n).length / exposed.length)
}

describe('variant split over 100,000 units', () => {
  it.each([
    [[50, 50]],
    [[10, 90]],
    [[20, 30, 50]],
    [[25, 25, 25, 25]],
    [[1, 99]],
  ])('weights %j are met within 1 percentage point', (weights) => {
    const names = weights.map((_, i) => `v${i}`)
    const assigned = assignAll(input({ variants: names.map((name, i) => ({ name, weight: weights[i]! })) }))
    expect(assigned.every((v) => v !== null)).toBe(true)
    shares(assigned, names).forEach((share, i) => {
      expect(Math.abs(share - weights[i]! / 100)).toBeLessThan(0.01)
    })
  })

  it('unnormalised weights split like their normalised form', () => {
    const assigned = assignAll(input({ variants: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }] }))
    const [a, b] = shares(assigned, ['a', 'b'])
    expect(Math.abs(a! - 0.25)).toBeLessThan(0.01)
    expect(Math.abs(b! - 0.75)).toBeLessThan(0.01)
  })
})

describe('determinism', () => {
  it('the same unit always gets the same assignment, whatever else was assigned in between', () => {
    const base = input({ exposurePercent: 40, allocation: { start: 1_000, size: 6_000 } })
    const first = units.slice(0, 2_000).map((unitId) => assign({ ...base, unitId }))
    const reversed = units.slice(0, 2_000).reverse().map((unitId) => assign({ ...base, unitId })).reverse()
    expect(reversed).toEqual(first)
    expect(assign({ ...base, unitId: 'user-7' })).toEqual(assign({ ...base, unitId: 'user-7' }))
  })

  it('the variant depends on the experiment, not on the layer it runs in', () => {
    const a = assignAll(input({ layer: 'checkout' }))
    const b = assignAll(input({ layer: 'search' }))
    expect(b).toEqual(a)
  })
})

/** Pearson chi-square of a 2×2 table against independence (df = 1). */
function chiSquare2x2(t: [[number, number], [number, number]]): number {
  const total = t[0][0] + t[0][1] + t[1][0] + t[1][1]
  const rows = [t[0][0] + t[0][1], t[1][0] + t[1][1]]
  const cols = [t[0][0] + t[1][0], t[0][1] + t[1][1]]
  let chi = 0
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      const e = (rows[r]! * cols[c]!) / total
      chi += (t[r]![c]! - e) ** 2 / e
    }
  }
  return chi
}
/** χ²(1) critical value at p = 0.001. */
const CHI2_1DF_P001 = 10.828

describe('independence across layers', () => {
  it('the variants of two experiments in different layers are independent (2×2 χ², p > 0.001)', () => {
    const a = assignAll(input({ layer: 'checkout', experimentId: 'exp-a' }))
    const b = assignAll(input({ layer: 'search', experimentId: 'exp-b' }))
    const t: [[number, number], [number, number]] = [[0, 0], [0, 0]]
    a.forEach((va, i) => {
      t[va === 'control' ? 0 : 1][b[i] === 'control' ? 0 : 1]++
    })
    expect(chiSquare2x2(t)).toBeLessThan(CHI2_1DF_P001)
    for (const row of t) for (const cell of row) expect(Math.abs(cell / N - 0.25)).toBeLessThan(0.01)
  })

  it('exposure in one layer says nothing about exposure in another: joint ≈ product of marginals', () => {
    const a = assignAll(input({ layer: 'checkout', experimentId: 'exp-a', allocation: { start: 0, size: 5_000 } }))
    const b = assignAll(input({ layer: 'search', experimentId: 'exp-b', allocation: { start: 2_000, size: 3_000 } }))
    const pa = a.filter((v) => v !== null).length / N
    const pb = b.filter((v) => v !== null).length / N
    const joint = a.filter((v, i) => v !== null && b[i] !== null).length / N
    expect(Math.abs(pa - 0.5)).toBeLessThan(0.01)
    expect(Math.abs(pb - 0.3)).toBeLessThan(0.01)
    expect(Math.abs(joint - pa * pb)).toBeLessThan(0.01)
    const t: [[number, number], [number, number]] = [[0, 0], [0, 0]]
    a.forEach((va, i) => {
      t[va === null ? 0 : 1][b[i] === null ? 0 : 1]++
    })
    expect(chiSquare2x2(t)).toBeLessThan(CHI2_1DF_P001)
  })

  it('the variant split is independent of the layer bucket: a 25% exposure is still 50/50', () => {
    const [c, tr] = shares(assignAll(input({ allocation: RAMP_ALLOCATION, exposurePercent: 25 })), ['control', 'treatment'])
    expect(Math.abs(c! - 0.5)).toBeLessThan(0.02)
    expect(Math.abs(tr! - 0.5)).toBeLessThan(0.02)
  })
})

describe('allocation and exposure', () => {
  it('only units whose layer bucket is in the allocation are exposed', () => {
    const results = assignRaw(input({ allocation: { start: 3_000, size: 2_000 } }))
    const wrong = results.filter((a) => a.layerBucket === null || a.exposed !== (a.layerBucket >= 3_000 && a.layerBucket < 5_000))
    expect(wrong).toEqual([])
    const outside = results.filter((a) => !a.exposed)
    expect(new Set(outside.map((a) => (a.exposed ? 'exposed' : a.reason)))).toEqual(new Set(['outside_allocation']))
    expect(Math.abs((N - outside.length) / N - 0.2)).toBeLessThan(0.01)
  })

  it('two experiments with disjoint ranges in one layer never share a unit', () => {
    const a = assignAll(input({ experimentId: 'exp-a', allocation: { start: 0, size: 5_000 } }))
    const b = assignAll(input({ experimentId: 'exp-b', allocation: { start: 5_000, size: 5_000 } }))
    expect(a.some((v, i) => v !== null && b[i] !== null)).toBe(false)
    expect(a.every((v, i) => v !== null || b[i] !== null)).toBe(true)
  })

  it.each([5, 25, 50, 100])('exposure %i percent of a 50 percent allocation exposes the first part of the range', (exposure) => {
    const { start, size } = RAMP_ALLOCATION
    const edge = start + (size * exposure) / 100
    const results = assignRaw(input({ allocation: RAMP_ALLOCATION, exposurePercent: exposure }))
    const exposed = results.filter((a) => a.exposed)
    expect(exposed.filter((a) => a.layerBucket < start || a.layerBucket >= edge)).toEqual([])
    const held = results.filter((a) => !a.exposed && a.layerBucket! >= start && a.layerBucket! < start + size)
    expect(held.filter((a) => a.exposed || a.reason !== 'outside_exposure' || a.layerBucket! < edge)).toEqual([])
    expect(Math.abs(exposed.length / N - (0.5 * exposure) / 100)).toBeLessThan(0.01)
  })

  it('ramping 5% → 25% → 100% keeps every exposed unit exposed with the same variant', () => {
    const at = (exposurePercent: number) => assignAll(input({ allocation: RAMP_ALLOCATION, exposurePercent }))
    const s5 = at(5)
    const s25 = at(25)
    const s100 = at(100)
    const kept = s5.filter((v) => v !== null).length
    expect(s5.filter((v, i) => v !== null && (s25[i] !== v || s100[i] !== v))).toEqual([])
    expect(s25.filter((v, i) => v !== null && s100[i] !== v)).toEqual([])
    expect(Math.abs(kept / N - 0.025)).toBeLessThan(0.01)
    expect(s25.filter((v) => v !== null).length).toBeGreaterThan(4 * kept)
  })
})

describe('not running', () => {
  it('no allocation → not exposed, reason not_running, no bucket computed', () => {
    expect(assign({ ...input({ allocation: null }), unitId: 'user-1' })).toEqual({ exposed: false, reason: 'not_running', layerBucket: null })
  })

  it('0% exposure (paused, scheduled) → not exposed for anyone', () => {
    const results = units.slice(0, 5_000).map((unitId) => assign({ ...input({ exposurePercent: 0 }), unitId }))
    expect(results.filter((a) => a.exposed || a.reason !== 'not_running' || a.layerBucket !== null)).toEqual([])
  })
})

describe('variantForBucket', () => {
  const fifty = [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }]
  const thirds = [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }, { name: 'c', weight: 1 }]

  it.each([
    [0, 'control'], [4_999, 'control'], [5_000, 'treatment'], [9_999, 'treatment'],
  ])('50/50: bucket %d → %s', (bucket, name) => {
    expect(variantForBucket(bucket, fifty)).toBe(name)
  })

  it.each([
    [3_333, 'a'], [3_334, 'b'], [6_666, 'b'], [6_667, 'c'], [9_999, 'c'],
  ])('1/1/1: bucket %d → %s', (bucket, name) => {
    expect(variantForBucket(bucket, thirds)).toBe(name)
  })

  it('each variant owns a share of buckets equal to its weight', () => {
    const weights = [{ name: 'a', weight: 10 }, { name: 'b', weight: 20 }, { name: 'c', weight: 70 }]
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 }
    for (let b = 0; b < 10_000; b++) counts[variantForBucket(b, weights)]!++
    expect(counts).toEqual({ a: 1_000, b: 2_000, c: 7_000 })
  })
})
