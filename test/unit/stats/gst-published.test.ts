import { describe, expect, it } from 'vitest'
import { gstBoundaries } from '../../../src/stats/gst.js'

/**
 * Published Lan–DeMets boundaries (two-sided α = 0.05, i.e. 0.025 per side, equally spaced
 * looks), as tabulated for the O'Brien–Fleming-type spending function 2 − 2Φ(z_{1−α/4}/√t)
 * and the Pocock-type function by the R packages ldbounds (Casper & Perez, after
 * Reboussin, DeMets, Kim & Lan 2000) and gsDesign (sfLDOF / sfLDPocock), and in
 * Jennison & Turnbull (2000, ch. 7). Checked to 1e-3 on the z scale.
 */
const PUBLISHED: Array<{ spending: 'obf' | 'pocock'; k: number; z: number[] }> = [
  { spending: 'obf', k: 3, z: [3.7103, 2.5114, 1.993] },
  { spending: 'obf', k: 4, z: [4.3326, 2.9631, 2.359, 2.0141] },
  { spending: 'obf', k: 5, z: [4.8769, 3.3569, 2.6803, 2.2898, 2.031] },
  { spending: 'pocock', k: 5, z: [2.438, 2.4268, 2.4101, 2.3966, 2.3859] },
]

describe('group-sequential boundaries against published tables', () => {
  it.each(PUBLISHED)('Lan–DeMets $spending, K = $k', ({ spending, k, z }) => {
    const fractions = Array.from({ length: k }, (_, i) => (i + 1) / k)
    const r = gstBoundaries({ informationFractions: fractions, alpha: 0.05, sided: 'two', spending })
    expect(r.status).toBe('ok')
    r.boundaries.forEach((c, i) => expect(Math.abs(c - z[i]!), `look ${i + 1}: ${c} vs ${z[i]}`).toBeLessThan(1e-3))
    expect(r.cumulativeAlpha.at(-1)!).toBeCloseTo(0.05, 4)
  })
})
