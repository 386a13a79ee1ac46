import { get } from '../api.js'
import { Chart, PALETTE } from '../chart.js'
import { ErrorNote } from '../components.js'
import { int, num, pct } from '../format.js'
import { html } from '../html.js'
import { usePoll } from '../hooks.js'

/** The subset of a metric definition (src/domain/metric.ts) the SLI panel reads. */
export interface SliMetric { name: string; type?: string; source?: string; slo?: { max?: number; min?: number; objective?: number } }
export interface SliPoint { variant: string; bucketMs: number; events: number; sum: number; sumSquares: number; mean: number | null; p50: number | null; p95: number | null; p99: number | null }
export interface SliAnswer { metric: string; source: string; window: string; fromMs?: number; toMs?: number; points: SliPoint[] }

/** One chart per event metric (guardrails first), ratios left out: they have no event values (docs/slis.md). */
export function sliMetrics(metrics: { primary: SliMetric; secondary?: SliMetric[]; guardrails?: SliMetric[] }): SliMetric[] {
  const all = [...(metrics.guardrails ?? []), metrics.primary, ...(metrics.secondary ?? [])].filter((m) => m.type !== 'ratio')
  const seen = new Set<string>()
  return all.filter((m) => { const s = m.source ?? m.name; if (seen.has(s)) return false; seen.add(s); return true })
}

/** 5-minute buckets up to a day of data, hourly beyond (30 days = 720 points per line). */
export const sliWindow = (spanMs: number) => (spanMs <= 86_400_000 ? '5m' : '1h')

/** Σx² = Σx exactly when every value is 0 or 1: an outcome (error, conversion), charted as a rate, not as quantiles. */
export const isOutcome = (points: SliPoint[]) => points.length > 0 && points.every((p) => p.sumSquares === p.sum)

/** Aligned series for uPlot: one x per bucket any variant has, null where a variant has none. */
export function sliLines(answer: SliAnswer, variants: string[]) {
  const x = [...new Set(answer.points.map((p) => p.bucketMs))].sort((a, b) => a - b)
  const at = new Map(answer.points.map((p) => [`${p.variant}\u0000${p.bucketMs}`, p]))
  const col = (v: string, f: (p: SliPoint) => number | null) => x.map((t) => { const p = at.get(`${v}\u0000${t}`); return p ? f(p) : null })
  const outcome = isOutcome(answer.points)
  const lines = variants.flatMap((v, i) => {
    const color = PALETTE[i % PALETTE.length]
    return outcome
      ? [{ label: `${v} rate`, color, values: col(v, (p) => p.mean) }]
      : [
          { label: `${v} p50`, color, width: 1, dash: [2, 3], values: col(v, (p) => p.p50) },
          { label: `${v} p95`, color, values: col(v, (p) => p.p95) },
          { label: `${v} p99`, color, width: 1, dash: [8, 3], values: col(v, (p) => p.p99) },
        ]
  })
  return { x, lines, outcome }
}

/** The SLO as a line on the chart's scale: the bad-event threshold on a quantile chart, the allowed bad share (1 − objective) on a rate chart. */
export function sloRule(m: SliMetric, outcome: boolean): { label: string; value: number; color: string } | null {
  if (!m.slo) return null
  const objective = m.slo.objective ?? 0.99
  if (outcome) return { label: `SLO: bad share ≤ ${pct(1 - objective)}`, value: 1 - objective, color: '#c62828' }
  const threshold = m.slo.max ?? m.slo.min
  return threshold === undefined ? null : { label: `SLO: ${m.slo.max !== undefined ? '≤' : '≥'} ${num(threshold)}`, value: threshold, color: '#c62828' }
}

function SliChart({ base, metric, window, variants }: { base: string; metric: SliMetric; window: string; variants: string[] }) {
  const r = usePoll(() => get<SliAnswer>(`${base}/slis?metric=${encodeURIComponent(metric.name)}&window=${window}`), 30_000, [base, metric.name, window])
  if (!r.data) return html`<div><${ErrorNote} error=${r.error} />${r.error ? null : html`<p class="muted">loading ${metric.name}…</p>`}</div>`
  // Say what is missing rather than draw an empty frame: no event of this metric has reached sli_minute in the window.
  if (r.data.points.length === 0) return html`<p class="muted" data-testid=${`sli-empty-${metric.name}`}>${metric.name}: no telemetry yet${r.data.fromMs ? ` since ${new Date(r.data.fromMs).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''} (no ${r.data.source} events in the per-minute SLI projection).</p>`
  const { x, lines, outcome } = sliLines(r.data, variants)
  const rule = sloRule(metric, outcome)
  const last = (v: string) => [...r.data!.points].reverse().find((p) => p.variant === v)
  const summary = variants.map((v) => { const p = last(v); return `${v}: ${p ? (outcome ? `rate ${pct(p.mean)}` : `p50 ${num(p.p50)}, p95 ${num(p.p95)}, p99 ${num(p.p99)}`) : 'no events'}` }).join('; ')
  return html`<${Chart} testId=${`chart-sli-${metric.name}`} title=${`${metric.name}${metric.source && metric.source !== metric.name ? ` (${metric.source})` : ''}: ${outcome ? 'rate' : 'p50 / p95 / p99'} per variant, ${window} buckets`}
    summary=${summary} x=${x} lines=${lines} rules=${rule ? [rule] : []} height=${180} />`
}

export function SliCharts({ base, metrics, variants, spanMs }: { base: string; metrics: SliMetric[]; variants: string[]; spanMs: number }) {
  const window = sliWindow(spanMs)
  if (metrics.length === 0) return html`<p class="muted" data-testid="sli-none">No event metric to chart: every metric of this spec is a ratio (docs/slis.md).</p>`
  return html`<div class="charts">${metrics.map((m) => html`<${SliChart} key=${m.name} base=${base} metric=${m} window=${window} variants=${variants} />`)}</div>`
}

interface InterferenceRow { a: string; b: string; metric: string; kind: string; units: number; delta: number | null; ci: [number, number] | null; adjustedP: number | null; status: string; action: string }
interface InterferenceAnswer { runId: string | null; evaluatedAt: string | null; pairs: Array<{ a: string; b: string; status: string; rows: InterferenceRow[] }> }

export function InterferenceTable({ base, id }: { base: string; id: string }) {
  const r = usePoll(() => get<InterferenceAnswer>(`${base}/interference`), 30_000, [base])
  if (!r.data) return html`<div><${ErrorNote} error=${r.error} />${r.error ? null : html`<p class="muted">loading…</p>`}</div>`
  const rows = r.data.pairs.flatMap((p) => p.rows)
  if (rows.length === 0) return html`<p class="muted" data-testid="interference-none">No interference run has covered this experiment yet (docs/interference.md).</p>`
  return html`<div class="table-wrap"><table data-testid="interference">
    <caption class="muted small">Run ${r.data.runId} at ${r.data.evaluatedAt}</caption>
    <thead><tr><th scope="col">Other experiment</th><th scope="col">Metric</th><th scope="col">Units</th><th scope="col">Δ</th><th scope="col">CI</th><th scope="col">Adjusted p</th><th scope="col">Status</th></tr></thead>
    <tbody>${rows.map((x) => html`<tr data-pair=${x.a === id ? x.b : x.a} data-kind=${x.kind} data-metric=${x.metric}><td>${x.a === id ? x.b : x.a}</td><td>${x.metric}${x.kind ? html` <span class="muted small">${x.kind}</span>` : null}</td><td>${int(x.units)}</td><td>${num(x.delta)}</td>
      <td>${x.ci ? `[${num(x.ci[0])}, ${num(x.ci[1])}]` : 'n/a'}</td><td>${num(x.adjustedP)}</td><td><span class=${`badge i-${x.status}`}>${x.status}</span>${x.action && x.action !== 'none' && x.action !== x.status ? html` <span class="small">${x.action}</span>` : null}</td></tr>`)}</tbody>
  </table></div>`
}
