import { beforeAll, describe, expect, it } from 'vitest'
import { momentsOf } from '../../../src/stats/moments.js'
import { assignmentIndependence } from '../../../src/stats/interference-assignment.js'
import { baselineCorrelation } from '../../../src/stats/interference-correlation.js'
import { sequentialInteraction } from '../../../src/stats/interference-interaction.js'
import { createRng } from '../../../src/stats/random.js'
import { relErr, runPython } from '../../support/python.js'

/**
 * The interaction contrast and its SE from four cells' sufficient statistics against
 * statsmodels OLS y ~ A*B on the unit-level data (test/support/py/interference-ols.py):
 * Runway's Σ s²/n is the HC2 SE exactly (not HC3, and not the classical SE when the cell
 * variances differ). The assignment χ² against scipy chi2_contingency(correction=False);
 * the Fisher-z interval against numpy/scipy.
 */
interface UnitCase { kind: 'interaction'; y: number[]; a: number[]; b: number[] }

function unitCase(seed: number, sizes: [number, number, number, number], sds: [number, number, number, number], inter: number): UnitCase {
  const rng = createRng({ seed })
  const c: UnitCase = { kind: 'interaction', y: [], a: [], b: [] }
  const cellAB: Array<[number, number]> = [[1, 1], [1, 0], [0, 1], [0, 0]]
  cellAB.forEach(([a, b], k) => {
    for (let i = 0; i < sizes[k]!; i++) {
      c.a.push(a)
      c.b.push(b)
      c.y.push(5 + 0.4 * a - 0.3 * b + inter * a * b + sds[k]! * rng.normal())
    }
  })
  return c
}

function cellsOf(c: UnitCase) {
  const pick = (a: number, b: number) => momentsOf({ values: c.y.filter((_, i) => c.a[i] === a && c.b[i] === b) })
  return { tt: pick(1, 1), tc: pick(1, 0), ct: pick(0, 1), cc: pick(0, 0) }
}

const interactions: UnitCase[] = [
  unitCase(1, [200, 300, 250, 400], [1, 1, 1, 1], 0),
  unitCase(2, [50, 500, 80, 2000], [3, 1, 0.5, 2], 0.7),
  unitCase(3, [1200, 900, 1100, 1000], [0.2, 5, 1, 9], -0.2),
  unitCase(4, [12, 15, 9, 20], [1, 2, 4, 8], 1.5),
]
const tables = [
  [[510, 490], [495, 505]],
  [[120, 80, 30], [100, 100, 44], [7, 90, 60]],
  [[1000, 0], [0, 1000]],
  [[30, 31, 29, 40], [33, 28, 30, 31]],
]
const corr = [0, 1].map((s) => {
  const rng = createRng({ seed: 40 + s })
  const x = Array.from({ length: 24 + 10 * s }, () => rng.normal())
  return { kind: 'correlation', x, y: x.map((v) => 0.6 * v + rng.normal()), alpha: 0.05 }
})

describe('interference statistics vs statsmodels / scipy (computed in this run)', () => {
  let ref: Array<Record<string, number>> = []
  beforeAll(() => {
    ref = runPython('interference-ols.py', [...interactions, ...tables.map((table) => ({ kind: 'assignment', table })), ...corr])
  })

  it('Δ equals the A:B coefficient and SE equals its HC2 SE to 1e-6 relative', () => {
    interactions.forEach((c, i) => {
      const r = sequentialInteraction({ cells: cellsOf(c) })
      expect(r.status).toBe('ok')
      expect(relErr(r.delta, ref[i]!.coef!, 1e-12)).toBeLessThan(1e-6)
      expect(relErr(r.se, ref[i]!.seHC2!)).toBeLessThan(1e-6)
    })
  })

  it('with unequal cell variances the SE is neither HC3 nor the classical pooled SE', () => {
    const i = 1
    const r = sequentialInteraction({ cells: cellsOf(interactions[i]!) })
    expect(relErr(r.se, ref[i]!.seHC3!)).toBeGreaterThan(1e-3)
    expect(relErr(r.se, ref[i]!.seClassical!)).toBeGreaterThan(1e-3)
  })

  it('χ² of independence agrees with chi2_contingency(correction=False)', () => {
    tables.forEach((table, k) => {
      const want = ref[interactions.length + k]!
      const got = assignmentIndependence({ table })
      expect(got.df).toBe(want.df)
      expect(relErr(got.chiSquare, want.chiSquare!)).toBeLessThan(1e-9)
      expect(relErr(got.pValue, want.pValue!, 1e-300)).toBeLessThan(1e-6)
    })
  })

  it('Fisher-z interval of the baseline correlation', () => {
    corr.forEach((c, k) => {
      const want = ref[interactions.length + tables.length + k]!
      const got = baselineCorrelation({ x: c.x, y: c.y })
      expect(relErr(got.r, want.r!)).toBeLessThan(1e-9)
      expect(relErr(got.ci![0], want.low!)).toBeLessThan(1e-6)
      expect(relErr(got.ci![1], want.high!)).toBeLessThan(1e-6)
    })
  })
})
