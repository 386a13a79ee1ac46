import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import { html } from './html.js'

export const PALETTE = ['#1f5fbf', '#b35900', '#2e7d32', '#6a1b9a', '#c62828', '#00695c']

export interface Line { label: string; values: Array<number | null>; color?: string; dash?: number[]; width?: number; bars?: boolean; /** Hold each value until the next (counts). */ step?: boolean }

export interface ChartProps {
  /** Accessible name; also shown as the caption. */
  title: string
  /** Screen-reader summary of what the chart shows (latest values). */
  summary: string
  /** Epoch milliseconds. */
  x: number[]
  lines: Line[]
  /** An interval drawn as a filled band between two series. */
  band?: { label: string; low: Array<number | null>; high: Array<number | null>; color?: string }
  /** Horizontal reference lines (zero, margin, SLO). */
  rules?: Array<{ label: string; value: number; color?: string }>
  height?: number
  testId?: string
}

/** A time-series chart (uPlot) with an optional band and reference lines; resizes with its container. */
export function Chart(p: ChartProps) {
  const el = useRef<HTMLDivElement>(null)
  // The views build new arrays on every render (each poll of any panel re-renders the view):
  // rebuild the plot only when what it draws changed, not every 10 s, which also kept a
  // person's zoom for no more than one poll.
  const drawn = JSON.stringify([p.x, p.lines, p.band, p.rules, p.height])
  useEffect(() => {
    const root = el.current
    if (!root || p.x.length === 0) return
    const xs = p.x.map((t) => t / 1000)
    const series: uPlot.Series[] = [{ label: 'time' }]
    const data: Array<Array<number | null>> = [xs]
    for (const [i, l] of p.lines.entries()) {
      series.push({ label: l.label, stroke: l.color ?? PALETTE[i % PALETTE.length], width: l.width ?? 2, ...(l.dash ? { dash: l.dash } : {}), ...(l.step ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}), ...(l.bars ? { paths: uPlot.paths.bars!({ size: [0.8, 40] }), fill: l.color ?? PALETTE[i % PALETTE.length] } : {}), spanGaps: true })
      data.push(l.values)
    }
    const bands: uPlot.Band[] = []
    if (p.band) {
      const color = p.band.color ?? PALETTE[0]!
      series.push({ label: `${p.band.label} high`, stroke: color, width: 0.5, spanGaps: true }, { label: `${p.band.label} low`, stroke: color, width: 0.5, spanGaps: true })
      data.push(p.band.high, p.band.low)
      bands.push({ series: [data.length - 2, data.length - 1], fill: `${color}33` })
    }
    for (const r of p.rules ?? []) {
      series.push({ label: r.label, stroke: r.color ?? '#555', width: 1, dash: [6, 4] })
      data.push(xs.map(() => r.value))
    }
    const width = Math.max(240, root.clientWidth)
    const plot = new uPlot(
      {
        width,
        height: p.height ?? 220,
        series,
        bands,
        axes: [{ stroke: '#333', grid: { stroke: '#e3e3e3' } }, { stroke: '#333', grid: { stroke: '#e3e3e3' }, size: 60 }],
        // One bucket alone (a run minutes old) would make uPlot span years around it: show ±5 minutes instead.
        scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 300, max + 300] : [min, max]) } },
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
      },
      data as uPlot.AlignedData,
      root,
    )
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(240, root.clientWidth), height: p.height ?? 220 }))
    ro.observe(root)
    return () => {
      ro.disconnect()
      plot.destroy()
    }
  }, [drawn])
  return html`<figure class="chart" data-testid=${p.testId} data-points=${p.x.length}>
    <figcaption>${p.title}</figcaption>
    ${p.x.length === 0 ? html`<p class="muted">no data yet</p>` : html`<div ref=${el} role="img" aria-label=${`${p.title}: ${p.summary}`}></div>`}
  </figure>`
}
