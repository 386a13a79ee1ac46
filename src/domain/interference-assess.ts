/**
 * One run of the interference job, as a pure function of what was read: per pair the
 * assignment cross-tab, per shared metric and treatment combination the four cells, and
 * the control-arm series. Interaction p-values are always-valid (running minimum over
 * looks, stats/interference-interaction.ts) and Benjamini–Hochberg adjusted across every
 * pair × metric × treatment combination of the run, flagged at the namespace's FDR.
 * Assignment dependence is flagged when its χ² p-value, Benjamini–Hochberg adjusted across the
 * run's pairs, is below `assignmentAlpha` (a strict level: the χ² test is not sequential, and a
 * real salting fault gives p ≈ 0). Unadjusted, 1,225 independent pairs at 0.001 would flag about
 * one pair on every run (bench/README-interference.md, 50 × 1M); adjusted, a run with no fault
 * flags any with probability at most assignmentAlpha (Benjamini & Hochberg 1995).
 */
import { assignmentIndependence } from '../stats/interference-assignment.js'
import { baselineCorrelation } from '../stats/interference-correlation.js'
import { sequentialInteraction, type InteractionCells } from '../stats/interference-interaction.js'
import { benjaminiHochberg } from '../stats/multiple-testing.js'

export type InterferenceStatus = 'flagged' | 'clear' | 'insufficient'

export interface PairInput {
  a: string
  b: string
  /** FDR of the stricter of the two namespaces' policies. */
  fdr: number
  assignment: { variantsA: string[]; variantsB: string[]; table: number[][] }
  interactions: Array<{ metric: string; variantA: string; variantB: string; cells: InteractionCells; previousP: number | null }>
  baseline: Array<{ metric: string; x: number[]; y: number[] }>
}

export interface InterferenceRow {
  a: string
  b: string
  kind: 'interaction' | 'assignment'
  metric: string
  variantA: string
  variantB: string
  units: number
  delta: number | null
  se: number | null
  ciLow: number | null
  ciHigh: number | null
  relative: number | null
  relativeSe: number | null
  z: number | null
  /** Always-valid p (interaction: running minimum) or the χ² p (assignment). */
  pValue: number | null
  adjustedP: number | null
  chiSquare: number | null
  df: number | null
  correlation: number | null
  correlationLow: number | null
  correlationHigh: number | null
  correlationN: number
  statsStatus: string
  status: InterferenceStatus
}

const blank = { delta: null, se: null, ciLow: null, ciHigh: null, relative: null, relativeSe: null, z: null, adjustedP: null, chiSquare: null, df: null, correlation: null, correlationLow: null, correlationHigh: null, correlationN: 0 }

export function assessInterference({ pairs, alpha = 0.05, tuningN, assignmentAlpha = 0.001 }: {
  pairs: PairInput[]
  alpha?: number
  tuningN?: number
  assignmentAlpha?: number
}): InterferenceRow[] {
  const rows: InterferenceRow[] = []
  const fdrs: number[] = []
  for (const p of pairs) {
    const ind = assignmentIndependence({ table: p.assignment.table })
    rows.push({
      ...blank, a: p.a, b: p.b, kind: 'assignment', metric: '', variantA: '', variantB: '', units: ind.units,
      chiSquare: ind.chiSquare, df: ind.df, pValue: ind.pValue, adjustedP: null, statsStatus: ind.status,
      status: ind.pValue === null ? 'insufficient' : ind.status === 'ok' ? 'clear' : 'insufficient',
    })
    fdrs.push(NaN)
    for (const it of p.interactions) {
      const r = sequentialInteraction({ cells: it.cells, alpha, ...(tuningN !== undefined ? { tuningN } : {}) })
      const base = p.baseline.find((s) => s.metric === it.metric)
      const corr = base ? baselineCorrelation({ x: base.x, y: base.y, alpha }) : null
      const pValue = r.pValue === null ? null : it.previousP === null ? r.pValue : Math.min(r.pValue, it.previousP)
      rows.push({
        ...blank, a: p.a, b: p.b, kind: 'interaction', metric: it.metric, variantA: it.variantA, variantB: it.variantB, units: r.units,
        delta: r.delta, se: r.se, ciLow: r.ci?.[0] ?? null, ciHigh: r.ci?.[1] ?? null, relative: r.relative, relativeSe: r.relativeSe, z: r.z,
        pValue, correlation: corr?.r ?? null, correlationLow: corr?.ci?.[0] ?? null, correlationHigh: corr?.ci?.[1] ?? null, correlationN: corr?.n ?? 0,
        statsStatus: r.status, status: 'insufficient',
      })
      fdrs.push(p.fdr)
    }
  }
  const assigned = rows.map((r, i) => i).filter((i) => rows[i]!.kind === 'assignment')
  const assignedP = benjaminiHochberg({ pValues: assigned.map((i) => rows[i]!.pValue) }).adjusted
  assigned.forEach((i, k) => {
    const row = rows[i]!
    row.adjustedP = assignedP[k] ?? null
    // A cross-tab with small expected counts is still flagged when p is tiny: a salting fault shows at once.
    if (row.adjustedP !== null && row.adjustedP < assignmentAlpha) row.status = 'flagged'
  })
  const idx = rows.map((r, i) => i).filter((i) => rows[i]!.kind === 'interaction')
  const { adjusted } = benjaminiHochberg({ pValues: idx.map((i) => rows[i]!.pValue) })
  idx.forEach((i, k) => {
    const row = rows[i]!
    row.adjustedP = adjusted[k] ?? null
    row.status = row.adjustedP === null ? 'insufficient' : row.adjustedP <= fdrs[i]! ? 'flagged' : 'clear'
  })
  return rows
}

/** A pair's status: flagged when any of its rows is, clear when every row is clear. */
export function pairStatus(rows: readonly InterferenceRow[]): InterferenceStatus {
  if (rows.some((r) => r.status === 'flagged')) return 'flagged'
  if (rows.length > 0 && rows.every((r) => r.status === 'clear')) return 'clear'
  return 'insufficient'
}
