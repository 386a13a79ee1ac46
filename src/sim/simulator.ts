import { formatDuration } from '../domain/duration.js'
import { isTerminal, type LifecycleEvent } from '../domain/lifecycle.js'
import type { ManualClock } from '../adapters/clock/manual-clock.js'
import { TOPICS } from '../ports/bus.js'
import type { Runtime } from '../services/runtime.js'
import { poisson, rng } from './random.js'
import type { Scenario } from './scenario.js'
import { type SyntheticEvent, unitEvents } from './traffic.js'

export interface TimelineEntry {
  /** Simulated wall time (ISO). */
  at: string
  /** Time since the scenario started, e.g. "6h15m". */
  elapsed: string
  experiment: string
  from: string | null
  to: string
  step: number
  exposure: number
  actor: string
  reason: string
}

export interface SimulationSummary {
  scenario: string
  experiments: Array<{
    id: string
    finalState: string
    step: number
    exposure: number
    unitsExposed: number
    eventsSent: number
    transitions: Array<{ at: string; from: string | null; to: string; reason: string }>
  }>
  ingest: { accepted: number; rejected: number; batches: number }
}

export interface SimulationOptions {
  scenario: Scenario
  runtime: Runtime
  clock: ManualClock
  /** Base URL of the running API; traffic goes through the real HTTP ingest path. */
  baseUrl: string
  onTransition?: (entry: TimelineEntry) => void
  onProgress?: (done: number, total: number) => void
  batchSize?: number
}

async function post(url: string, body: string, type: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': type } })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

/** Nothing more can happen without a person: every experiment ended or is paused. */
async function settled(runtime: Runtime): Promise<boolean> {
  return (await runtime.queue.list()).every((r) => isTerminal(r.state) || r.state === 'paused')
}

/**
 * Runs a scenario in accelerated time: each tick sends the tick's synthetic
 * traffic through the HTTP API, then advances the clock, which fires the
 * scheduler and evaluation jobs. Outcomes come from the computed statistics.
 */
export async function simulate(opts: SimulationOptions): Promise<SimulationSummary> {
  const { scenario, runtime, clock, baseUrl } = opts
  const start = Date.parse(scenario.start)
  const end = start + scenario.duration
  const random = rng(scenario.seed)
  const batchSize = opts.batchSize ?? 20_000
  const timeline: TimelineEntry[] = []
  const sub = await runtime.bus.subscribe(TOPICS.lifecycle, 'simulator', async (m) => {
    const e = m.value as LifecycleEvent
    const entry: TimelineEntry = {
      at: new Date(e.at).toISOString(),
      elapsed: e.at - start < 1000 ? '0s' : formatDuration(e.at - start),
      experiment: e.experimentId,
      from: e.from,
      to: e.to,
      step: e.step + 1,
      exposure: e.exposure,
      actor: `${e.actor.type}:${e.actor.id}`,
      reason: e.reason,
    }
    timeline.push(entry)
    opts.onTransition?.(entry)
  })
  const ids = scenario.experiments.map((x) => String(x.spec.id))
  const enqueued = new Set<number>()
  const units = new Map<string, number>(ids.map((id) => [id, 0]))
  const sent = new Map<string, number>(ids.map((id) => [id, 0]))
  const ingest = { accepted: 0, rejected: 0, batches: 0 }
  const ticks = Math.ceil(scenario.duration / scenario.tick)
  try {
    for (let k = 0, t = start; t < end; k++, t += scenario.tick) {
      for (const [i, exp] of scenario.experiments.entries()) {
        if (enqueued.has(i) || exp.enqueueAt > t - start) continue
        const res = await post(`${baseUrl}/v1/experiments`, JSON.stringify(exp.spec), 'application/json')
        if (res.status !== 201) throw new Error(`scenario experiment ${ids[i]} was not accepted: ${JSON.stringify(res.json)}`)
        enqueued.add(i)
      }
      const events: SyntheticEvent[] = []
      for (const [i, exp] of scenario.experiments.entries()) {
        if (!enqueued.has(i)) continue
        const id = ids[i]!
        const arrivals = poisson(random, (exp.traffic.unitsPerHour * scenario.tick) / 3_600_000)
        const stopped = exp.faults.some((f) => f.type === 'telemetry_stop' && t - start >= f.at)
        for (let u = 0; u < arrivals; u++) {
          const unitId = `${id}-${k}-${u}`
          const gate = await runtime.gate.assign(id, unitId)
          if (!gate.exposed || !gate.variant) continue
          units.set(id, (units.get(id) ?? 0) + 1)
          if (stopped) continue
          const misroute = exp.faults.find((f) => f.type === 'misroute' && t - start >= f.from)
          const logged = misroute && misroute.type === 'misroute' && random() < misroute.fraction ? misroute.to : gate.variant
          events.push(...unitEvents({ exp, experimentId: id, trueVariant: gate.variant, loggedVariant: logged, unitId, from: t, span: scenario.tick, random }))
        }
      }
      for (let b = 0; b < events.length; b += batchSize) {
        const chunk = events.slice(b, b + batchSize)
        const res = await post(`${baseUrl}/v1/events`, chunk.map((e) => JSON.stringify(e)).join('\n'), 'application/x-ndjson')
        if (res.status !== 200) throw new Error(`ingest failed with ${res.status}: ${JSON.stringify(res.json)}`)
        ingest.accepted += Number(res.json.accepted)
        ingest.rejected += Number(res.json.rejected)
        ingest.batches++
        for (const e of chunk) sent.set(e.experimentId, (sent.get(e.experimentId) ?? 0) + 1)
      }
      await clock.advanceTo(t + scenario.tick)
      opts.onProgress?.(k + 1, ticks)
      if (enqueued.size === ids.length && (await settled(runtime))) break
    }
  } finally {
    await sub.close()
  }
  const records = new Map((await runtime.queue.list()).map((r) => [r.spec.id, r]))
  return {
    scenario: scenario.name,
    ingest,
    experiments: ids.map((id) => {
      const r = records.get(id)
      return {
        id,
        finalState: r?.state ?? 'unknown',
        step: (r?.step ?? 0) + 1,
        exposure: r && r.state === 'running' ? r.spec.rollout.steps[r.step]!.exposure : 0,
        unitsExposed: units.get(id) ?? 0,
        eventsSent: sent.get(id) ?? 0,
        transitions: timeline.filter((e) => e.experiment === id).map((e) => ({ at: e.at, from: e.from, to: e.to, reason: e.reason })),
      }
    }),
  }
}
