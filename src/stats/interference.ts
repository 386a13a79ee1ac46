/**
 * Interference between two running experiments A and B that share units: the 2×2
 * interaction contrast (μ_TT − μ_TC) − (μ_CT − μ_CC) (first letter: arm in A, second: in B),
 * SE = √Σ s²_cell/n_cell, z and two-sided normal p (a factorial-design interaction test,
 * e.g. Montgomery, Design and Analysis of Experiments, ch. 5), with Benjamini–Hochberg
 * across all pairs of running experiments; plus the correlation of the two control groups'
 * windowed metric series (Pearson r, t-test with n − 2 df).
 */
import { benjaminiHochberg } from './multiple-testing.js'
import { mean, sampleVariance, validateMoments, type Moments } from './moments.js'
import { normalSf } from './normal.js'
import { worstStatus, type StatsStatus } from './status.js'
import { studentTSf } from './student-t.js'
import { pearson } from './pearson.js'

export interface InteractionCells {
  tt: Moments
  tc: Moments
  ct: Moments
  cc: Moments
}

export interface InteractionResult {
  status: StatsStatus
  contrast: number | null
  se: number | null
  z: number | null
  pValue: number | null
}

export function interactionContrast({ cells }: { cells: InteractionCells }): InteractionResult {
  const list = [cells.tt, cells.tc, cells.ct, cells.cc]
  const status = worstStatus(...list.map(validateMoments))
  const none = { contrast: null, se: null, z: null, pValue: null }
  if (status !== 'ok') return { status, ...none }
  const [tt, tc, ct, cc] = list.map((m) => mean(m)!) as [number, number, number, number]
  const contrast = tt - tc - (ct - cc)
  const variance = list.reduce((acc, m) => acc + sampleVariance(m)! / m.n, 0)
  if (!(variance > 0)) return { status: 'ZERO_VARIANCE', ...none, contrast, se: 0 }
  const se = Math.sqrt(variance)
  const z = contrast / se
  return { status: 'ok', contrast, se, z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))) }
}

export interface InterferencePair {
  a: string
  b: string
  cells: InteractionCells
}

/** Interaction test for every pair, BH-adjusted across pairs; `flagged` when q ≤ fdr. */
export function interferenceIndex({ pairs, fdr = 0.05 }: { pairs: InterferencePair[]; fdr?: number }): {
  pairs: (InteractionResult & { a: string; b: string; qValue: number | null; flagged: boolean })[]
} {
  const results = pairs.map((p) => interactionContrast({ cells: p.cells }))
  const { adjusted } = benjaminiHochberg({ pValues: results.map((r) => r.pValue) })
  return {
    pairs: results.map((r, i) => ({
      ...r, a: pairs[i]!.a, b: pairs[i]!.b, qValue: adjusted[i] ?? null, flagged: adjusted[i] !== null && adjusted[i]! <= fdr,
    })),
  }
}

/** Pearson correlation of two equally long series, with the two-sided t-test of r = 0. */
export function seriesCorrelation({ x, y }: { x: number[]; y: number[] }): { status: StatsStatus; r: number | null; pValue: number | null; n: number } {
  const n = x.length
  if (n !== y.length || !x.every(Number.isFinite) || !y.every(Number.isFinite)) return { status: 'INVALID_INPUT', r: null, pValue: null, n }
  if (n < 3) return { status: 'INSUFFICIENT_SAMPLE', r: null, pValue: null, n }
  const r = pearson(x, y)
  if (r === null) return { status: 'ZERO_VARIANCE', r: null, pValue: null, n }
  if (Math.abs(r) === 1) return { status: 'ok', r, pValue: 0, n }
  const t = r * Math.sqrt((n - 2) / (1 - r * r))
  return { status: 'ok', r, pValue: Math.min(1, 2 * studentTSf(Math.abs(t), n - 2)), n }
}

export { sequentialInteraction, type SequentialInteraction } from './interference-interaction.js'
export { assignmentIndependence, type AssignmentIndependence } from './interference-assignment.js'
export { baselineCorrelation, type BaselineCorrelation } from './interference-correlation.js'
