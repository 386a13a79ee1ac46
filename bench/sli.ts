/**
 * Benchmark: windowed SLIs and metric evidence on the embedded engine (method: bench/README-sli.md).
 *   1. t-digest error: p50/p90/p95/p99 from the sli_minute projection (1m, 5m, 1h buckets, and the
 *      whole range) against exact order statistics of the same events (rank ⌈n·p⌉).
 *   2. SLI compute latency: a batch of BATCH events inserted → visible in GET-equivalent series
 *      (sliSeries) with its count; insert + first read that shows it, median and p95 of RUNS.
 *   3. Evaluation time per experiment: today's reads (variant-stats per metric, mean) against the
 *      new evidence reads (mean + CUPED, count, p95 quantile with SLO windows), same data.
 * Run: npx tsx bench/sli.ts [events=200000]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { embeddedWarehouse } from '../src/adapters/warehouse/clickhouse-warehouse.js'
import { newRecord } from '../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../src/domain/experiment.js'
import { toWarehouseTime } from '../src/domain/telemetry.js'
import { readMetricEvidence } from '../src/services/metric-evidence.js'
import { migrate } from '../src/services/migrate.js'
import { sliSeries } from '../src/services/slis.js'
import { sqlQuery } from '../src/sql-files.js'
import { orderStatistic } from '../src/stats/quantile-sample.js'

const EVENTS = Number(process.argv[2] ?? 200_000)
const MINUTES = 120
const UNITS = 5_000
const BATCH = 1_000
const RUNS = 20
const T0 = Date.parse('2026-03-02T00:00:00Z')
const LEVELS = [0.5, 0.9, 0.95, 0.99]

const dir = mkdtempSync(join(tmpdir(), 'runway-bench-sli-'))
const w = embeddedWarehouse(dir)
await migrate(w)
let seed = 11
const rnd = () => ((seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647)
const normal = () => Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd())

// Latency-like lognormal values (ms), one metric; a revenue metric with a pre-period for CUPED.
const latency: Array<{ minute: number; variant: string; value: number }> = []
const rows: Array<Record<string, unknown>> = []
for (let i = 0; i < EVENTS; i++) {
  const minute = Math.floor((i / EVENTS) * MINUTES)
  const unit = Math.floor(rnd() * UNITS)
  const variant = unit % 2 ? 'treatment' : 'control'
  const value = Math.round(Math.exp(5 + 0.6 * normal()) * 10) / 10
  latency.push({ minute, variant, value })
  const ts = T0 + minute * 60_000 + Math.floor(rnd() * 60_000)
  rows.push({ event_id: `l${i}`, ts: toWarehouseTime(ts), experiment_id: 'bench', variant, unit_id: `u${unit}`, service: 's', metric: 'latency_ms', value, attributes: {}, received_at: toWarehouseTime(ts) })
  if (i % 4 === 0) rows.push({ event_id: `r${i}`, ts: toWarehouseTime(ts), experiment_id: 'bench', variant, unit_id: `u${unit}`, service: 's', metric: 'revenue', value: (unit % 17) + rnd() * 5, attributes: {}, received_at: toWarehouseTime(ts) })
}
for (let u = 0; u < UNITS; u++) rows.push({ event_id: `p${u}`, ts: toWarehouseTime(T0 - 86_400_000), experiment_id: 'baseline', variant: 'x', unit_id: `u${u}`, service: 's', metric: 'revenue', value: (u % 17) + rnd() * 5, attributes: {}, received_at: toWarehouseTime(T0) })
for (let i = 0; i < rows.length; i += 50_000) await w.insert('events', rows.slice(i, i + 50_000))

const spec = ExperimentSpecSchema.parse({
  id: 'bench', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
  metrics: {
    primary: { name: 'revenue', covariate: { prePeriod: '7d' } },
    secondary: [{ name: 'requests', type: 'count', source: 'latency_ms' }],
    guardrails: [{ name: 'latency_p95', type: 'quantile', quantile: 0.95, source: 'latency_ms', direction: 'decrease', slo: { max: 400, objective: 0.99 } }],
  },
})
const record = { ...newRecord(spec, T0 - 1), state: 'running' as const, startedAt: T0, stepStartedAt: T0 }
const now = T0 + MINUTES * 60_000

// 1. Sketch error.
console.log(`\n1. t-digest vs exact quantiles (${EVENTS.toLocaleString()} events, ${MINUTES} minutes, 2 variants)`)
console.log('window  buckets  level  median |rel err|  max |rel err|')
for (const window of ['1m', '5m', '1h', 'start'] as const) {
  const series = await sliSeries(w, { record, metric: 'latency_p95', window, now })
  const size = window === '1m' ? 1 : window === '5m' ? 5 : window === '1h' ? 60 : MINUTES
  const errs: number[][] = LEVELS.map(() => [])
  for (const p of series.points) {
    const first = (p.bucketMs - T0) / 60_000
    const vals = Float64Array.from(latency.filter((l) => l.variant === p.variant && l.minute >= first && l.minute < first + size).map((l) => l.value)).sort()
    const est = [p.p50, p.p90, p.p95, p.p99]
    LEVELS.forEach((lv, k) => { const exact = orderStatistic(vals, lv); errs[k]!.push(Math.abs(est[k]! - exact) / exact) })
  }
  LEVELS.forEach((lv, k) => {
    const e = errs[k]!.sort((a, b) => a - b)
    console.log(`${window.padEnd(7)} ${String(series.points.length).padStart(7)}  p${String(lv * 100).padEnd(4)} ${(100 * e[Math.floor(e.length / 2)]!).toFixed(2).padStart(10)}%  ${(100 * e[e.length - 1]!).toFixed(2).padStart(11)}%`)
  })
}

const stats = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return { median: s[Math.floor(s.length / 2)]!, p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]! } }
const ms = (x: number) => `${x.toFixed(1)} ms`

// 2. SLI compute latency: insert → visible.
const lat: number[] = []
let total = (await sliSeries(w, { record, metric: 'latency_p95', window: 'start', now: now + 3_600_000 })).points.reduce((s, p) => s + p.events, 0)
for (let r = 0; r < RUNS; r++) {
  const ts = now + r * 1000
  const batch = Array.from({ length: BATCH }, (_, j) => ({ event_id: `n${r}-${j}`, ts: toWarehouseTime(ts), experiment_id: 'bench', variant: j % 2 ? 'treatment' : 'control', unit_id: `u${j}`, service: 's', metric: 'latency_ms', value: 100 + j, attributes: {}, received_at: toWarehouseTime(ts) }))
  const t = performance.now()
  await w.insert('events', batch)
  for (let k = 0; k < 1000; k++) {
    const seen = (await sliSeries(w, { record, metric: 'latency_p95', window: 'start', now: now + 3_600_000 })).points.reduce((s, p) => s + p.events, 0)
    if (seen === total + BATCH) break
  }
  lat.push(performance.now() - t)
  total += BATCH
}
const l = stats(lat)
console.log(`\n2. SLI compute latency, ${BATCH}-event batch inserted → visible in the series (${RUNS} runs): median ${ms(l.median)}, p95 ${ms(l.p95)}`)

// 3. Evaluation reads per experiment.
const time = async (f: () => Promise<unknown>) => { const xs: number[] = []; await f(); for (let i = 0; i < 10; i++) { const t = performance.now(); await f(); xs.push(performance.now() - t) } return stats(xs) }
const before = await time(async () => {
  for (const name of ['revenue', 'latency_ms', 'latency_ms']) await w.select(sqlQuery('variant-stats'), { experiment: 'bench', metric: name, aggregation: 'mean', type: 'mean' })
})
const after = await time(async () => {
  for (const m of [spec.metrics.primary, ...spec.metrics.secondary, ...spec.metrics.guardrails]) await readMetricEvidence(w, { experiment: 'bench', metric: m, control: 'control', now })
})
const window5 = await time(() => sliSeries(w, { record, metric: 'latency_p95', window: '5m', now }))
console.log(`\n3. Evaluation reads per experiment (3 metrics, ${EVENTS.toLocaleString()} events; 10 runs after a warm-up)`)
console.log(`   today (variant-stats ×3, unit means only): median ${ms(before.median)}, p95 ${ms(before.p95)}`)
console.log(`   new (CUPED mean, count, exact p95 + SLO 5m/30m/1h/6h): median ${ms(after.median)}, p95 ${ms(after.p95)}`)
console.log(`   SLI series, 5m buckets over ${MINUTES} minutes (projection): median ${ms(window5.median)}, p95 ${ms(window5.p95)}`)
await w.close()
rmSync(dir, { recursive: true, force: true })
