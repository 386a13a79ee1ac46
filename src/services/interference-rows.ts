import type { InterferenceRow } from '../domain/interference-assess.js'
import type { CandidatePair } from '../domain/interference.js'
import { toWarehouseTime } from '../domain/telemetry.js'

/** A row of the `interference` table (sql/migrations/0019_interference.sql), as stored and as read back. */
export interface StoredInterferenceRow {
  run_id: string
  evaluated_at: string
  experiment_a: string
  experiment_b: string
  namespace_a: string
  namespace_b: string
  reason: string
  kind: string
  metric: string
  variant_a: string
  variant_b: string
  window_from: string
  window_to: string
  units: number
  delta: number | null
  se: number | null
  ci_low: number | null
  ci_high: number | null
  relative: number | null
  relative_se: number | null
  z: number | null
  p_value: number | null
  adjusted_p: number | null
  chi_square: number | null
  df: number | null
  correlation: number | null
  correlation_low: number | null
  correlation_high: number | null
  correlation_n: number
  fdr: number
  stats_status: string
  status: string
  action: string
}

export function storedRow({ row: r, pair, runId, now, fdr, action }: {
  row: InterferenceRow
  pair: CandidatePair
  runId: string
  now: number
  fdr: number
  action: string
}): StoredInterferenceRow {
  const f = (x: number | null) => (x === null || !Number.isFinite(x) ? null : x)
  return {
    run_id: runId,
    evaluated_at: toWarehouseTime(now),
    experiment_a: r.a,
    experiment_b: r.b,
    namespace_a: pair.a.spec.namespace,
    namespace_b: pair.b.spec.namespace,
    reason: pair.reason,
    kind: r.kind,
    metric: r.metric,
    variant_a: r.variantA,
    variant_b: r.variantB,
    window_from: toWarehouseTime(Math.max(pair.a.startedAt ?? 0, pair.b.startedAt ?? 0)),
    window_to: toWarehouseTime(now),
    units: r.units,
    delta: f(r.delta),
    se: f(r.se),
    ci_low: f(r.ciLow),
    ci_high: f(r.ciHigh),
    relative: f(r.relative),
    relative_se: f(r.relativeSe),
    z: f(r.z),
    p_value: f(r.pValue),
    adjusted_p: f(r.adjustedP),
    chi_square: f(r.chiSquare),
    df: r.df,
    correlation: f(r.correlation),
    correlation_low: f(r.correlationLow),
    correlation_high: f(r.correlationHigh),
    correlation_n: r.correlationN,
    fdr,
    stats_status: r.statsStatus,
    status: r.status,
    action,
  }
}

export interface PairSummary {
  a: string
  b: string
  status: 'flagged' | 'clear' | 'insufficient'
  /** Largest |Δ|/SE over the pair's interactions (0 when none was computable). */
  index: number
}

/** One line per pair: flagged when any row is, clear when every row is, otherwise insufficient. */
export function pairSummaries(rows: ReadonlyArray<Pick<StoredInterferenceRow, 'experiment_a' | 'experiment_b' | 'status' | 'z'>>): PairSummary[] {
  const by = new Map<string, PairSummary & { all: string[] }>()
  for (const r of rows) {
    const key = `${r.experiment_a}\u0000${r.experiment_b}`
    const s = by.get(key) ?? { a: r.experiment_a, b: r.experiment_b, status: 'insufficient', index: 0, all: [] }
    s.all.push(r.status)
    if (r.z !== null && Number.isFinite(Number(r.z))) s.index = Math.max(s.index, Number(r.z))
    by.set(key, s)
  }
  return [...by.values()].map(({ all, ...s }) => ({
    ...s,
    status: all.includes('flagged') ? 'flagged' : all.length > 0 && all.every((x) => x === 'clear') ? 'clear' : 'insufficient',
  }))
}

/** A row as the API and `runway interference --json` give it (numbers as numbers, camelCase). */
export function apiRow(r: StoredInterferenceRow) {
  const n = (x: unknown) => (x === null || x === undefined ? null : Number(x))
  return {
    a: r.experiment_a, b: r.experiment_b, namespaceA: r.namespace_a, namespaceB: r.namespace_b, reason: r.reason,
    kind: r.kind, metric: r.metric, variantA: r.variant_a, variantB: r.variant_b,
    window: { from: r.window_from, to: r.window_to }, evaluatedAt: r.evaluated_at, units: Number(r.units),
    delta: n(r.delta), se: n(r.se), ci: r.ci_low === null || r.ci_high === null ? null : [Number(r.ci_low), Number(r.ci_high)],
    relative: n(r.relative), relativeSe: n(r.relative_se), z: n(r.z), pValue: n(r.p_value), adjustedP: n(r.adjusted_p),
    chiSquare: n(r.chi_square), df: n(r.df),
    baseline: { correlation: n(r.correlation), ci: r.correlation_low === null || r.correlation_high === null ? null : [Number(r.correlation_low), Number(r.correlation_high)], n: Number(r.correlation_n) },
    fdr: Number(r.fdr), statsStatus: r.stats_status, status: r.status, action: r.action,
  }
}
export type ApiInterferenceRow = ReturnType<typeof apiRow>

/** The API's answer: the pairs of the latest run, each with its status, index and rows. */
export function interferenceReport(rows: StoredInterferenceRow[]) {
  const summaries = pairSummaries(rows)
  return {
    runId: rows[0]?.run_id ?? null,
    evaluatedAt: rows[0]?.evaluated_at ?? null,
    pairs: summaries.map((s) => ({ ...s, rows: rows.filter((r) => r.experiment_a === s.a && r.experiment_b === s.b).map(apiRow) })),
  }
}
