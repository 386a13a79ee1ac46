import { formatDuration } from '../domain/duration.js'
import { isTerminal, type LifecycleState } from '../domain/lifecycle.js'
import { poisson, rng } from './random.js'
import type { Scenario } from './scenario.js'
import { type LedgerEntry, type SimulationTarget, enqueue, experimentStates, ledgerOf } from './target.js'
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
  target: SimulationTarget
  /** Scenario start (epoch ms); default the scenario's `start`. Real-time runs start now. */
  start?: number
  onTransition?: (entry: TimelineEntry) => void
  onProgress?: (done: number, total: number) => void
}

const toEntry = (id: string, start: number, e: LedgerEntry): TimelineEntry => ({
  at: new Date(e.at).toISOString(),
  elapsed: e.at - start < 1000 ? '0s' : formatDuration(e.at - start),
  experiment: id,
  from: e.from,
  to: e.to,
  step: e.step + 1,
  exposure: e.exposure,
  actor: `${e.actor.type}:${e.actor.id}`,
  reason: e.reason,
})

/**
 * Runs a scenario: each tick sends the tick's synthetic traffic through the
 * target (by default the public HTTP API), then moves time on, which lets the
 * scheduler and evaluation jobs run. Outcomes come from the computed statistics;
 * the timeline is read back from each experiment's ledger.
 */
export async function simulate(opts: SimulationOptions): Promise<SimulationSummary> {
  const { scenario, target } = opts
  const start = opts.start ?? Date.parse(scenario.start)
  const end = start + scenario.duration
  const random = rng(scenario.seed)
  const ids = scenario.experiments.map((x) => String(x.spec.id))
  const enqueued = new Set<number>()
  const units = new Map<string, number>(ids.map((id) => [id, 0]))
  const sent = new Map<string, number>(ids.map((id) => [id, 0]))
  const ingest = { accepted: 0, rejected: 0, batches: 0 }
  const ticks = Math.ceil(scenario.duration / scenario.tick)
  const seen = new Map<string, number>(ids.map((id) => [id, 0]))
  const reportNew = async () => {
    if (!opts.onTransition) return
    const fresh: TimelineEntry[] = []
    for (const id of ids.filter((_, i) => enqueued.has(i))) {
      const ledger = await ledgerOf(target, id)
      fresh.push(...ledger.slice(seen.get(id)).map((e) => toEntry(id, start, e)))
      seen.set(id, ledger.length)
    }
    fresh.sort((a, b) => a.at.localeCompare(b.at)).forEach(opts.onTransition)
  }
  for (let k = 0, t = start; t < end; k++, t += scenario.tick) {
    for (const [i, exp] of scenario.experiments.entries()) {
      if (enqueued.has(i) || exp.enqueueAt > t - start) continue
      await enqueue(target, exp.spec)
      enqueued.add(i)
    }
    const events: SyntheticEvent[] = []
    for (const [i, exp] of scenario.experiments.entries()) {
      if (!enqueued.has(i)) continue
      const id = ids[i]!
      const arrivals = poisson(random, (exp.traffic.unitsPerHour * scenario.tick) / 3_600_000)
      if (arrivals === 0) continue
      const unitIds = Array.from({ length: arrivals }, (_, u) => `${id}-${k}-${u}`)
      const gates = await target.assign(id, unitIds)
      const stopped = exp.faults.some((f) => f.type === 'telemetry_stop' && t - start >= f.at)
      gates.forEach((gate, u) => {
        if (!gate.exposed || !gate.variant) return
        units.set(id, (units.get(id) ?? 0) + 1)
        if (stopped) return
        const misroute = exp.faults.find((f) => f.type === 'misroute' && t - start >= f.from)
        const logged = misroute && misroute.type === 'misroute' && random() < misroute.fraction ? misroute.to : gate.variant
        events.push(...unitEvents({ exp, experimentId: id, trueVariant: gate.variant, loggedVariant: logged, unitId: unitIds[u]!, from: t, span: scenario.tick, random }))
      })
    }
    if (events.length > 0) {
      const res = await target.sendEvents(events)
      ingest.accepted += res.accepted
      ingest.rejected += res.rejected
      ingest.batches++
      for (const e of events) sent.set(e.experimentId, (sent.get(e.experimentId) ?? 0) + 1)
    }
    await target.advanceTo(t + scenario.tick)
    await reportNew()
    opts.onProgress?.(k + 1, ticks)
    // Nothing more happens without a person once every experiment ended or is paused.
    const states = await experimentStates(target)
    const mine = states.filter((s) => ids.includes(s.id))
    if (enqueued.size === ids.length && mine.length === ids.length && mine.every((s) => isTerminal(s.state as LifecycleState) || s.state === 'paused')) break
  }
  const final = new Map((await experimentStates(target)).map((s) => [s.id, s]))
  const experiments: SimulationSummary['experiments'] = []
  for (const id of ids) {
    const s = final.get(id)
    const ledger = s ? await ledgerOf(target, id) : []
    experiments.push({
      id,
      finalState: s?.state ?? 'unknown',
      step: s?.step ?? 0,
      exposure: s?.exposure ?? 0,
      unitsExposed: units.get(id) ?? 0,
      eventsSent: sent.get(id) ?? 0,
      transitions: ledger.map((e) => ({ at: new Date(e.at).toISOString(), from: e.from, to: e.to, reason: e.reason })),
    })
  }
  return { scenario: scenario.name, ingest, experiments }
}
