import { describe, expect, it } from 'vitest'
import { assign, bucketOf, layerSalt } from '../../../src/domain/assignment.js'
import { compileExperiment } from '../../../src/domain/fast-assignment.js'
import { matchesTargeting } from '../../../src/domain/targeting.js'
import { rng } from '../../../src/sim/random.js'
import { chiSquareSf } from '../../../src/stats/gamma.js'
import { srmChiSquare } from '../../../src/stats/srm.js'
import { gateExperiment } from './fixtures.js'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:./@'
const UNICODE = ['é', 'ü', '✓', '日本', '🙂', 'ß']

/** Random unit ids of every length 0–40, a tenth with non-ASCII characters (the reference path). */
function unitIds(n: number, seed: number): string[] {
  const r = rng(seed)
  return Array.from({ length: n }, () => {
    let s = ''
    const len = Math.floor(r() * 41)
    for (let i = 0; i < len; i++) s += r() < 0.01 ? UNICODE[Math.floor(r() * UNICODE.length)]! : ALPHABET[Math.floor(r() * ALPHABET.length)]!
    return s
  })
}

describe('compiled evaluation equals the reference assign()', () => {
  it('for random experiments (salts of every length mod 4, weights, allocations, exposures) and 200,000 unit ids', () => {
    const r = rng(7)
    const units = unitIds(20_000, 11)
    let checked = 0
    const mismatches: string[] = []
    for (let x = 0; x < 10; x++) {
      const start = Math.floor(r() * 9_000)
      const e = gateExperiment({
        id: `e${'x'.repeat(x)}-${x}`,
        namespace: ['default', 'ns', 'tenant-acme'][x % 3]!,
        layer: `l${'y'.repeat(x % 4)}`,
        exposure: [0, 5, 25, 33.3, 100][x % 5]!,
        allocation: x === 9 ? null : { start, size: 1 + Math.floor(r() * (10_000 - start - 1)) },
        variants: Array.from({ length: 2 + (x % 3) }, (_, i) => ({ name: `v${i}`, weight: 1 + Math.floor(r() * 50) / 7 })),
      })
      const c = compileExperiment(e)
      for (const unitId of units) {
        const ref = assign({ namespace: e.namespace, layer: e.layer, experimentId: e.id, allocation: e.allocation, exposurePercent: e.exposure, variants: e.variants, unitId })
        const fast = c.evaluate(unitId)
        const same = ref.exposed ? fast.variant === ref.variant : !fast.exposed && fast.reason === ref.reason
        if (!same && mismatches.length < 10) mismatches.push(`${e.id}/${unitId}: ${JSON.stringify(fast)} vs ${JSON.stringify(ref)}`)
        checked++
      }
    }
    expect(mismatches).toEqual([])
    expect(checked).toBe(200_000)
  })

  it('applies targeting before assignment, as the server gate does', () => {
    const e = gateExperiment({ targeting: [{ attribute: 'country', op: 'in', values: ['DE'] }, { attribute: 'platform', op: 'not_in', values: ['ios'] }] })
    const c = compileExperiment(e)
    const cases: Array<Record<string, string>> = [{ country: 'DE' }, { country: 'FR' }, { country: 'DE', platform: 'ios' }, {}]
    for (const attrs of cases) {
      const got = c.evaluate('user-1', attrs)
      expect(got.reason === 'not_targeted').toBe(!matchesTargeting(e.targeting, attrs))
    }
  })
})

describe('split and independence', () => {
  it('1,000,000 units split as the weights say (chi-square p > 0.001)', () => {
    const weights = [20, 30, 50]
    const c = compileExperiment(gateExperiment({ variants: weights.map((weight, i) => ({ name: `v${i}`, weight })) }))
    const counts = [0, 0, 0]
    for (let i = 0; i < 1_000_000; i++) counts[Number(c.evaluate(`user-${i}`).variant!.slice(1))]!++
    const srm = srmChiSquare({ counts, weights })
    expect(srm.pValue).toBeGreaterThan(0.001)
  })

  it('two layers assign independently (chi-square test of independence on 200,000 units, p > 0.001)', () => {
    const a = compileExperiment(gateExperiment({ id: 'exp-a', layer: 'checkout', variants: [{ name: 'a0', weight: 50 }, { name: 'a1', weight: 50 }] }))
    const b = compileExperiment(gateExperiment({ id: 'exp-b', layer: 'search', variants: [{ name: 'b0', weight: 30 }, { name: 'b1', weight: 30 }, { name: 'b2', weight: 40 }] }))
    const table = [
      [0, 0, 0],
      [0, 0, 0],
    ]
    const n = 200_000
    for (let i = 0; i < n; i++) {
      const u = `unit-${i}`
      table[Number(a.evaluate(u).variant!.slice(1))]![Number(b.evaluate(u).variant!.slice(1))]!++
    }
    const rows = table.map((r) => r.reduce((s, x) => s + x, 0))
    const cols = [0, 1, 2].map((j) => table[0]![j]! + table[1]![j]!)
    let chi = 0
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) chi += (table[i]![j]! - (rows[i]! * cols[j]!) / n) ** 2 / ((rows[i]! * cols[j]!) / n)
    expect(chiSquareSf(chi, 2)).toBeGreaterThan(0.001)
    // And their layer buckets are uncorrelated (|r| < 4/sqrt(n) ≈ 0.009).
    let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0
    for (let i = 0; i < n; i++) {
      const x = bucketOf(layerSalt('default', 'checkout'), `unit-${i}`)
      const y = bucketOf(layerSalt('default', 'search'), `unit-${i}`)
      sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y
    }
    const r = (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy))
    expect(Math.abs(r)).toBeLessThan(4 / Math.sqrt(n))
  })
})
