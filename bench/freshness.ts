/**
 * Benchmark (issue 16 item 4): freshness through the real loop — event ingested → the first
 * verdict that reflects it — on the embedded default (the runtime `runway serve` builds, system
 * clock, HTTP on 127.0.0.1), with `--experiments` running experiments evaluated every 10 s (their
 * spec's evaluation.interval, by the evaluate-cycle job: every RUNWAY_EVALUATE_TICK the due ones
 * in one batch) under a sustained telemetry load over POST /v1/events.
 *
 *   npx tsx bench/freshness.ts [--experiments 100] [--seconds 150] [--rate 20000] [--clients 4] [--batch 1000] [--units 200] [--incremental]
 *
 * `--incremental` runs the cycle with RUNWAY_EVAL_INCREMENTAL on (its default grace and re-base).
 *
 * Load: `--clients` child processes (bench/support-freshness-client.mjs) each paced to rate/clients,
 * NDJSON batches of `--batch` events over the experiments' unit pools (`--units` units each, assigned
 * with the gate's hash so misrouting never pauses them). The pools are stored first, so from then
 * on the background load adds events but never units.
 * Markers: every second one batch (over HTTP) holds one event per experiment from a unit never seen
 * before; its ack time (the 200 of a durable store) is recorded. Marker k of an experiment is
 * reflected by a verdict when the verdict's evaluatedAt (= window.to) ≥ the ack and its evidence's
 * SRM unit counts (verdicts.evidence, migration 0013: srm.counts) ≥ pool + k: marker units come
 * in order, each after the previous was acknowledged, so that count means marker k is in.
 * Freshness = (the verdict published on the bus, seen by a bench subscriber) − (marker ack).
 * Markers stop 30 s before the end; one still unreflected at the end is reported, not dropped.
 */
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { buildServer } from '../src/api/server.js'
import { loadConfig } from '../src/config.js'
import { assign } from '../src/domain/assignment.js'
import type { ExperimentRecord } from '../src/domain/experiment-record.js'
import { TOPICS } from '../src/ports/bus.js'
import { createRuntime, embeddedPorts } from '../src/services/runtime.js'

const { values: a } = parseArgs({ options: {
  experiments: { type: 'string', default: '100' }, seconds: { type: 'string', default: '150' }, rate: { type: 'string', default: '20000' },
  clients: { type: 'string', default: '4' }, batch: { type: 'string', default: '1000' }, units: { type: 'string', default: '200' },
  incremental: { type: 'boolean', default: false },
} })
const EXPERIMENTS = Number(a.experiments), SECONDS = Number(a.seconds), RATE = Number(a.rate), CLIENTS = Number(a.clients), BATCH = Number(a.batch), UNITS = Number(a.units)
const INTERVAL_MS = 10_000
const load = () => loadavg().map((x) => Number(x.toFixed(2)))
const q = (xs: number[], p: number) => (xs.length ? [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))]! : NaN)
const r2 = (x: number) => Number(x.toFixed(2))

const dataDir = mkdtempSync(join(tmpdir(), 'runway-bench-freshness-'))
const config = loadConfig(a.incremental ? { RUNWAY_EVAL_INCREMENTAL: 'on' } : {}, { dataDir, logLevel: (process.env.LOG ?? 'silent') as 'silent' })
const log = pino({ level: process.env.LOG ?? 'silent' }, pino.destination(2))
const rt = createRuntime(config, await embeddedPorts(config, log), log)
await rt.start()
console.error('started', new Date().toISOString())
const app = buildServer(rt)
await app.listen({ host: '127.0.0.1', port: 0 })
const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
const loadStart = load()

/** Verdicts as the controller sees them: when each was published. */
const seen = new Map<string, { experimentId: string; evaluatedAt: number; seenAt: number }>()
await rt.bus.subscribe(TOPICS.verdicts, 'freshness-bench', async (msg) => {
  const v = msg.value as { id: string; experimentId: string; evaluatedAt: number }
  seen.set(v.id, { experimentId: v.experimentId, evaluatedAt: v.evaluatedAt, seenAt: Date.now() })
})

const ids = Array.from({ length: EXPERIMENTS }, (_, i) => `fr-${i}`)
for (const id of ids) {
  await rt.queue.enqueue({
    id, layer: `layer-${id}`, owner: 'bench', hypothesis: 'freshness',
    variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
    rollout: { steps: [{ exposure: 100, minDuration: '1h' }] },
    metrics: { primary: { name: 'conversion', direction: 'increase' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }] },
    evaluation: { interval: '10s', staleAfter: '1h', minUnits: 20 },
  }, { type: 'person', id: 'bench' })
}
await rt.queue.scheduleTick()
console.error('enqueued+ticked', new Date().toISOString())
const records = new Map<string, ExperimentRecord>()
for (const id of ids) records.set(id, (await rt.state.get(id))!)
const running = [...records.values()].filter((r) => r.state === 'running').length
if (running !== EXPERIMENTS) throw new Error(`only ${running} of ${EXPERIMENTS} running: ${[...records.values()].map((r) => `${r.spec.id}=${r.state}`).slice(0, 5).join(' ')}`)
/** The gate's variant for a unit, or null when the unit is outside the experiment's traffic. */
const variantOf = (r: ExperimentRecord, unitId: string) => {
  const x = assign({ namespace: r.spec.namespace, layer: r.spec.layer, experimentId: r.spec.id, allocation: r.allocation, exposurePercent: 100, variants: r.spec.variants, unitId })
  return x.exposed ? x.variant : null
}
const pools: Array<[string, Array<[string, string]>]> = ids.map((id) => {
  const r = records.get(id)!
  const units: Array<[string, string]> = []
  for (let k = 0; units.length < UNITS; k++) {
    const v = variantOf(r, `u-${id}-${k}`)
    if (v) units.push([`u-${id}-${k}`, v])
  }
  return [id, units]
})
// Every pool unit once, in-process (not part of the measured load): afterwards only markers add units.
const prefill = pools.flatMap(([id, units]) => units.map(([u, v], k) => JSON.stringify({ eventId: `pre-${id}-${k}`, ts: Date.now(), experimentId: id, variant: v, unitId: u, service: 'checkout', metric: 'conversion', value: k % 10 === 0 ? 1 : 0 })))
for (let i = 0; i < prefill.length; i += 10_000) await rt.ingest.ingest({ body: prefill.slice(i, i + 10_000).join('\n'), format: 'ndjson', source: 'http' })
console.error('setup done', { running, at: new Date().toISOString() })
const poolFile = join(dataDir, 'pools.json')
writeFileSync(poolFile, JSON.stringify(pools))

let peakRss = 0
const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 1000)
const t0 = Date.now()
const clients = Array.from({ length: CLIENTS }, (_, i) =>
  new Promise<{ sent: number; failed: number; seconds: number; latencies: number[] }>((resolve, reject) => {
    const child = fork(new URL('./support-freshness-client.mjs', import.meta.url).pathname, [url, poolFile, String(RATE / CLIENTS), String(SECONDS), String(BATCH), String(i)])
    child.once('message', (m) => resolve(m as never))
    child.once('exit', (code) => code !== 0 && reject(new Error(`client ${i} exited ${code}`)))
  }))

/** ackAt[k]: when marker batch k was acknowledged (marker k of every experiment is in it). */
const ackAt: number[] = []
const markerLatency: number[] = []
let markerFailures = 0
const markerCursor = new Map<string, number>()
const markersUntil = t0 + (SECONDS - 30) * 1000
while (Date.now() < markersUntil) {
  const due = t0 + (ackAt.length + 1) * 1000
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
  const k = ackAt.length + 1
  const lines: string[] = []
  for (const id of ids) {
    const r = records.get(id)!
    // The k-th new unit of this experiment: the first candidate after the previous one that is exposed.
    let j = markerCursor.get(id) ?? 0
    let v: string | null = null
    while (!(v = variantOf(r, `m-${id}-${j}`))) j++
    markerCursor.set(id, j + 1)
    lines.push(JSON.stringify({ eventId: `mk-${id}-${k}`, ts: Date.now(), experimentId: id, variant: v, unitId: `m-${id}-${j}`, service: 'checkout', metric: 'conversion', value: 0 }))
  }
  const t = Date.now()
  const res = await fetch(`${url}/v1/events`, { method: 'POST', body: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson' } })
  const out = (await res.json()) as { accepted?: number }
  if (res.status !== 200 || out.accepted !== EXPERIMENTS) { markerFailures++; console.error('marker batch not fully accepted', res.status, out); break }
  ackAt.push(Date.now())
  markerLatency.push(Date.now() - t)
}
console.error('markers done', ackAt.length)
const results = await Promise.all(clients)
console.error('clients done')
const wall = (Date.now() - t0) / 1000
clearInterval(rssTimer)
const loadEnd = load()

// Verdict evidence from the verdicts table: units per verdict = sum of the SRM counts.
const rows = await rt.warehouse.select<{ id: string; experiment_id: string; evidence: string }>(
  "SELECT id, experiment_id, evidence FROM verdicts WHERE startsWith(experiment_id, 'fr-')", {})
const unitsOf = new Map(rows.map((r) => [r.id, r.evidence ? (JSON.parse(r.evidence).srm.counts as number[]).reduce((s, x) => s + x, 0) : 0]))
const verdicts = [...seen.entries()].map(([id, v]) => ({ ...v, units: unitsOf.get(id) ?? -1 })).sort((x, y) => x.seenAt - y.seenAt)
const byExp = new Map<string, typeof verdicts>()
for (const v of verdicts) byExp.set(v.experimentId, [...(byExp.get(v.experimentId) ?? []), v])

const fresh: number[] = []
let unreflected = 0
for (const [id, units] of pools) {
  const vs = byExp.get(id) ?? []
  for (let k = 1; k <= ackAt.length; k++) {
    const hit = vs.find((v) => v.evaluatedAt >= ackAt[k - 1]! && v.units >= units.length + k)
    if (hit) fresh.push((hit.seenAt - ackAt[k - 1]!) / 1000)
    else unreflected++
  }
}
// Cadence: gaps between consecutive verdicts of one experiment during the load.
const gaps: number[] = []
for (const vs of byExp.values()) for (let i = 1; i < vs.length; i++) if (vs[i]!.evaluatedAt > t0) gaps.push((vs[i]!.evaluatedAt - vs[i - 1]!.evaluatedAt) / 1000)
const h = ((await rt.metrics.registry.getSingleMetric('runway_sli_compute_seconds')?.get())?.values ?? []) as Array<{ metricName?: string; value: number }>
const evalSum = h.find((x) => x.metricName?.endsWith('_sum'))?.value ?? NaN
const evalCount = h.find((x) => x.metricName?.endsWith('_count'))?.value ?? NaN
const sent = results.reduce((s, r) => s + r.sent, 0)
const batchLat = results.flatMap((r) => r.latencies)
const stillRunning = (await rt.queue.list()).filter((r) => r.state === 'running' && r.spec.id.startsWith('fr-')).length

console.log(JSON.stringify({
  incremental: config.evaluateIncremental.enabled, experiments: EXPERIMENTS, running, stillRunning, seconds: SECONDS, wallSeconds: r2(wall), targetRate: RATE, clients: CLIENTS, batch: BATCH,
  achievedEventsPerSec: Math.round(sent / wall), failedEvents: results.reduce((s, r) => s + r.failed, 0),
  batchLatencyMs: { p50: Math.round(q(batchLat, 0.5)), p99: Math.round(q(batchLat, 0.99)) },
  markerBatches: ackAt.length, markerFailures, markerAckMs: { p50: Math.round(q(markerLatency, 0.5)), p99: Math.round(q(markerLatency, 0.99)) },
  markers: ackAt.length * EXPERIMENTS, reflected: fresh.length, unreflected,
  freshnessSeconds: { p50: r2(q(fresh, 0.5)), p99: r2(q(fresh, 0.99)), max: r2(Math.max(...fresh)) },
  freshnessIntervals: { p50: r2(q(fresh, 0.5) * 1000 / INTERVAL_MS), p99: r2(q(fresh, 0.99) * 1000 / INTERVAL_MS), max: r2(Math.max(...fresh) * 1000 / INTERVAL_MS) },
  verdictsDuringRun: verdicts.filter((v) => v.evaluatedAt >= t0).length,
  verdictGapSeconds: { p50: r2(q(gaps, 0.5)), p99: r2(q(gaps, 0.99)), max: r2(Math.max(...gaps)) },
  // runway_sli_compute_seconds observes one evaluate-cycle run (every due experiment, one batch).
  evaluationCycleMs: { mean: Math.round((evalSum / evalCount) * 1000), cycles: evalCount },
  peakRssMB: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
  loadStart, loadEnd,
}))
await app.close()
await rt.stop()
rmSync(dataDir, { recursive: true, force: true })
process.exit(0)
