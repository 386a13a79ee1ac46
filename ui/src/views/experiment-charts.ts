import type { ComparisonEvidence, VerdictPoint } from '../api.js'
import { Chart, PALETTE } from '../chart.js'
import { Tile } from '../components.js'
import { int, num, pct } from '../format.js'
import { html } from '../html.js'

interface Metric { name: string; direction: 'increase' | 'decrease'; margin?: number }
interface Spec { variants: Array<{ name: string; weight: number }>; metrics: { primary: Metric; secondary: Metric[]; guardrails: Metric[] } }

const key = (c: { metric: string; variant: string }) => `${c.metric}/${c.variant}`

/** Metric × treatment series out of the verdicts' evidence, guardrails first. */
export function metricSeries(spec: Spec, verdicts: VerdictPoint[]) {
  const withEvidence = verdicts.filter((v) => v.evidence)
  const treatments = spec.variants.slice(1).map((v) => v.name)
  const metrics = [
    ...spec.metrics.guardrails.map((m) => ({ m, role: 'guardrail' })),
    { m: spec.metrics.primary, role: 'primary' },
    ...spec.metrics.secondary.map((m) => ({ m, role: 'secondary' })),
  ]
  return metrics.flatMap(({ m, role }) =>
    treatments.map((variant) => {
      const points = withEvidence.map((v) => ({ at: v.at, c: v.evidence!.comparisons.find((c) => key(c) === key({ metric: m.name, variant })) ?? null }))
      const present = points.filter((p) => p.c !== null) as Array<{ at: number; c: ComparisonEvidence }>
      return { metric: m, role, variant, points: present }
    }),
  )
}

/** The non-inferiority bound a guardrail is tested against, on the effect's absolute scale (margin × |control mean|), signed toward harm. */
function marginLine(m: Metric, last: ComparisonEvidence | undefined): number | null {
  if (m.margin === undefined || !last || last.controlMean === null) return null
  const bound = m.margin * Math.abs(last.controlMean)
  return m.direction === 'decrease' ? bound : -bound
}

export function MetricCharts({ spec, verdicts }: { spec: Spec; verdicts: VerdictPoint[] }) {
  const series = metricSeries(spec, verdicts)
  const guardrails = series.filter((s) => s.role === 'guardrail')
  if (series.every((s) => s.points.length === 0)) return html`<p class="muted">No verdict with evidence yet (verdicts before migration 0013 carry reasons only).</p>`
  return html`<div>
    <div class="tiles" aria-label="Guardrails, newest verdict">
      ${guardrails.map((g) => {
        const last = g.points.at(-1)?.c
        const harmful = verdicts.at(-1)?.reasons.some((r) => r.code === 'GUARDRAIL_HARM' && r.metric === g.metric.name && r.variant === g.variant)
        return html`<${Tile} testId=${`guardrail-${g.metric.name}-${g.variant}`} label=${`Guardrail ${g.metric.name} · ${g.variant}`} value=${last ? `${num(last.effect)} ${last.ciHigh === null ? `(≥ ${num(last.ciLow)})` : last.ciLow === null ? `(≤ ${num(last.ciHigh)})` : `[${num(last.ciLow)}, ${num(last.ciHigh)}]`}` : 'n/a'}
          note=${last ? `harm p=${num(last.pValue)} · ${int(last.controlUnits)}+${int(last.treatmentUnits)} units · ${last.method}` : 'no evidence'} tone=${harmful ? 'bad' : last ? 'ok' : undefined} />`
      })}
    </div>
    <div class="charts">
      ${series.map((s, i) => {
        const x = s.points.map((p) => p.at)
        const last = s.points.at(-1)?.c
        const margin = s.role === 'guardrail' ? marginLine(s.metric, last) : null
        const color = PALETTE[i % 2 === 0 ? 0 : 3]
        const low = s.points.map((p) => p.c.ciLow)
        const high = s.points.map((p) => p.c.ciHigh)
        // A guardrail's harm test is one-sided: its interval has one bound, drawn as a line; two bounds make a band.
        const twoSided = low.some((v) => v !== null) && high.some((v) => v !== null)
        const band = twoSided ? { label: 'interval', low, high, color } : undefined
        const lines = [
          { label: 'effect', values: s.points.map((p) => p.c.effect), color },
          ...(twoSided ? [] : low.some((v) => v !== null) ? [{ label: 'interval bound', values: low, color, dash: [3, 3], width: 1 }] : high.some((v) => v !== null) ? [{ label: 'interval bound', values: high, color, dash: [3, 3], width: 1 }] : []),
        ]
        const rules = [{ label: 'no effect', value: 0, color: '#444' }, ...(margin !== null ? [{ label: `margin (${pct(s.metric.margin ?? 0)} of control)`, value: margin, color: '#c62828' }] : [])]
        return html`<${Chart} testId=${`chart-effect-${s.metric.name}-${s.variant}`} title=${`${s.role} ${s.metric.name}: effect of ${s.variant} vs control (${s.metric.direction} is better)`}
          summary=${last ? `latest effect ${num(last.effect)}, always-valid interval ${num(last.ciLow)} to ${num(last.ciHigh)}, p=${num(last.pValue)}, over ${x.length} verdicts` : 'no data'}
          x=${x} lines=${lines} band=${band} rules=${rules} />`
      })}
    </div>
  </div>`
}

export function ExposureCharts({ exposures, verdicts, srmAlpha }: { exposures: { bucketMs: number | null; variants: string[]; series: Array<{ t: number; units: Record<string, number> }>; misrouting: { units: number; misrouted: number; share: number } | null }; verdicts: VerdictPoint[]; srmAlpha: number }) {
  const x = exposures.series.map((p) => p.t)
  const totals = exposures.variants.map(() => 0)
  const lines = exposures.variants.map((v, i) => ({ label: v, color: PALETTE[i % PALETTE.length], step: true, values: exposures.series.map((p) => (totals[i]! += p.units[v] ?? 0)) }))
  const srm = verdicts.filter((v) => v.evidence?.srm.pValue !== null && v.evidence?.srm.pValue !== undefined)
  const lastSrm = srm.at(-1)?.evidence?.srm
  const m = exposures.misrouting
  return html`<div>
    <div class="tiles">
      <${Tile} testId="srm-tile" label="Sample ratio (SRM)" value=${lastSrm ? `p=${num(lastSrm.pValue)}` : 'n/a'} note=${lastSrm ? `${lastSrm.test} test · units ${lastSrm.counts.map(int).join(' / ')} · pauses below ${srmAlpha}` : 'no verdict yet'} tone=${lastSrm && lastSrm.pValue !== null ? (lastSrm.pValue < srmAlpha ? 'bad' : 'ok') : undefined} />
      <${Tile} testId="misrouting-tile" label="Misrouted units" value=${m ? pct(m.share) : 'n/a'} note=${m ? `${int(m.misrouted)} of ${int(m.units)} logged units under a variant the gate's hash does not give them (pauses above 1%)` : 'no allocation held (not started or ended)'} tone=${m ? (m.share > 0.01 ? 'bad' : 'ok') : undefined} />
    </div>
    <div class="charts">
      <${Chart} testId="chart-exposures" title=${`Units exposed per variant, cumulative (${exposures.bucketMs ? `${exposures.bucketMs / 1000}s buckets` : 'no events'})`} summary=${exposures.variants.map((v, i) => `${v}: ${totals[i]}`).join(', ')} x=${x} lines=${lines} />
      <${Chart} testId="chart-srm" title="SRM p-value per verdict" summary=${lastSrm ? `latest ${num(lastSrm.pValue)}` : 'none'} x=${srm.map((v) => v.at)} lines=${[{ label: 'SRM p', values: srm.map((v) => v.evidence!.srm.pValue) }]} rules=${[{ label: `pause below ${srmAlpha}`, value: srmAlpha, color: '#c62828' }]} height=${160} />
    </div>
  </div>`
}
