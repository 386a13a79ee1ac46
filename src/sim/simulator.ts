import { formatDuration } from '../domain/duration.js'
import { isTerminal, type LifecycleState } from '../domain/lifecycle.js'
import { isRefusalEntry } from '../domain/refusal.js'
import { faultsChangeAfter, misrouteAt, misrouteProbability } from './faults.js'
import { interactionShifts, servedVariant, sharedSaltAt } from './interactions.js'
import { populationOf } from './population.js'
import { poisson, rng } from './random.js'
import type { Scenario, ScriptedAction } from './scenario.js'
import { type ExperimentState, type InterferenceEntry, type LedgerEntry, type SimulationTarget, enqueue, experimentStates, interferenceOf, ledgerOf } from './target.js'
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
  /** Reason codes of the verdict or refusal behind the move ([] for a person's or the scheduler's). */
  codes: string[]
}

export interface SimulationSummary {
  scenario: string
  seed: number
  experiments: Array<{
    id: string
    finalState: string
    /** shipped, no-effect-detected, regressed or stopped once it ended; null while it has not. */
    result: string | null
    step: number
    exposure: number
    unitsExposed: number
    eventsSent: number
    /** What the scenario's faults did: events not sent (stopped, dropped) and units logged under another variant. */
    faults: { stoppedEvents: number; droppedEvents: number; misroutedUnits: number; saltedUnits: number }
    /** The ledger's moves; `step` is the rollout step (1-based) after the move. */
    transitions: Array<{ at: string; from: string | null; to: string; step: number; reason: string; codes: string[] }>
    /** The ledger's refusals (a start refused, a ramp or completion held): entries that did not move the experiment. */
    refusals: Array<{ at: string; state: string; step: number; reason: string; codes: string[] }>
  }>
  /** The scripted actions, each as the API answered it. */
  actions: Array<{ at: string; experiment: string; action: string; ok: boolean; message?: string }>
  ingest: { accepted: number; rejected: number; batches: number }
  /** The interference job's latest run as the API gives it (GET /v1/interference), one entry per row. */
  interference: InterferenceEntry[]
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
  codes: e.codes ?? [],
})

/** The result of an experiment: the list's, else the newest ledger entry that carries one. */
function resultOf(state: ExperimentState | undefined, ledger: LedgerEntry[]): string | null {
  if (state?.result !== undefined) return state.result
  for (let i = ledger.length - 1; i >= 0; i--) if (ledger[i]!.result !== undefined) return ledger[i]!.result ?? null
  return null
}

/**
 * Runs a scenario: each tick sends the tick's synthetic traffic through the
 * target (by default the public HTTP API), then moves time on, which lets the
 * scheduler and evaluation jobs run. Scripted actions are taken at their time,
 * through the same API. Outcomes come from the computed statistics; the
 * timeline is read back from each experiment's ledger.
 */
export async function simulate(opts: SimulationOptions): Promise<SimulationSummary> {
  const { scenario, target } = opts
  const start = opts.start ?? Date.parse(scenario.start)
  const end = start + scenario.duration
  const random = rng(scenario.seed)
  const population = populationOf(scenario.units, scenario.seed, random)
  const ids = scenario.experiments.map((x) => String(x.spec.id))
  const variants = scenario.experiments.map((x) => x.spec.variants as Array<{ name: string; weight: number }>)
  const enqueued = new Set<number>()
  const counters = new Map(ids.map((id) => [id, { units: 0, sent: 0, stoppedEvents: 0, droppedEvents: 0, misroutedUnits: 0, saltedUnits: 0 }]))
  const ingest = { accepted: 0, rejected: 0, batches: 0 }
  const ticks = Math.ceil(scenario.duration / scenario.tick)
  const seen = new Map<string, number>(ids.map((id) => [id, 0]))
  // Stable sort: actions at the same time are taken in the order written.
  const pending: ScriptedAction[] = [...scenario.actions].sort((a, b) => a.at - b.at)
  const actions: SimulationSummary['actions'] = []
  /** Each experiment's rollout step (1-based) as of the last look: effects `fromStep` read it. */
  const steps = new Map<string, number>()
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
  /** Takes the scripted actions due by `elapsed`, moving the clock to each one's time first. */
  const actUntil = async (elapsed: number, moveClock: boolean) => {
    while (pending.length > 0 && pending[0]!.at <= elapsed) {
      const a = pending.shift()!
      if (moveClock) await target.advanceTo(start + a.at)
      const res = await target.act(a.experiment, a.action, a.reason)
      actions.push({ at: new Date(start + a.at).toISOString(), experiment: a.experiment, action: a.action, ok: res.ok, ...(res.ok ? {} : { message: res.message }) })
    }
  }
  /** What experiment `other` serves these units now (null: not exposed, or not enqueued yet): interactions need it. */
  const servedBy = async (other: string, units: string[], elapsed: number): Promise<Array<string | null>> => {
    const j = ids.indexOf(other)
    if (units.length === 0 || !enqueued.has(j)) return units.map(() => null)
    const salt = sharedSaltAt(scenario.experiments[j]!.faults, elapsed)
    return (await target.assign(other, units)).map((g, u) => (g.exposed && g.variant ? servedVariant(salt, g.variant, units[u]!, variants[j]!) : null))
  }
  for (let k = 0, t = start; t < end; k++, t += scenario.tick) {
    for (const [i, exp] of scenario.experiments.entries()) {
      if (enqueued.has(i) || exp.enqueueAt > t - start) continue
      await enqueue(target, exp.spec)
      enqueued.add(i)
    }
    await actUntil(t - start, false)
    const events: SyntheticEvent[] = []
    for (const [i, exp] of scenario.experiments.entries()) {
      if (!enqueued.has(i)) continue
      const id = ids[i]!
      const arrivals = poisson(random, (exp.traffic.unitsPerHour * scenario.tick) / 3_600_000)
      if (arrivals === 0) continue
      const unitIds = population.arrivals(id, k, arrivals)
      const gates = await target.assign(id, unitIds)
      const c = counters.get(id)!
      const misroute = misrouteAt(exp.faults, t - start)
      const salt = sharedSaltAt(exp.faults, t - start)
      const step = steps.get(id) ?? 0
      const served = gates.map((g, u) => (g.exposed && g.variant ? servedVariant(salt, g.variant, unitIds[u]!, variants[i]!) : null))
      const shifts = await interactionShifts({ interactions: scenario.interactions, id, unitIds, served, partner: (other, units) => servedBy(other, units, t - start) })
      gates.forEach((gate, u) => {
        const variant = served[u]
        if (!variant) return
        c.units++
        if (variant !== gate.variant) c.saltedUnits++
        const logged = misroute && random() < misrouteProbability(misroute, variant, variants[i]!) ? misroute.to : variant
        if (logged !== variant) c.misroutedUnits++
        const tally = unitEvents({
          exp, experimentId: id, trueVariant: variant, loggedVariant: logged, unitId: unitIds[u]!, from: t, span: scenario.tick, scenarioStart: start, step, random, out: events,
          eventPrefix: population.eventPrefix(id, k, unitIds[u]!), ...(shifts[u] ? { interaction: shifts[u] } : {}),
        })
        c.sent += tally.sent
        c.stoppedEvents += tally.stopped
        c.droppedEvents += tally.dropped
      })
    }
    if (events.length > 0) {
      const res = await target.sendEvents(events)
      ingest.accepted += res.accepted
      ingest.rejected += res.rejected
      ingest.batches++
    }
    const next = Math.min(t + scenario.tick, end)
    await actUntil(next - start - 1, true)
    await target.advanceTo(t + scenario.tick)
    await reportNew()
    opts.onProgress?.(k + 1, ticks)
    const states = await experimentStates(target)
    for (const s of states) steps.set(s.id, s.step)
    // Nothing more happens once every experiment ended, or is paused with nothing scripted to
    // change that: no person's action to come and no fault that ends (or starts) later.
    const elapsed = t + scenario.tick - start
    const settled = (s: ExperimentState) => {
      if (isTerminal(s.state as LifecycleState)) return true
      if (s.state !== 'paused') return false
      const exp = scenario.experiments[ids.indexOf(s.id)]!
      return !pending.some((a) => a.experiment === s.id) && !faultsChangeAfter(exp.faults, elapsed)
    }
    const mine = states.filter((s) => ids.includes(s.id))
    if (enqueued.size === ids.length && mine.length === ids.length && mine.every(settled)) break
  }
  const final = new Map((await experimentStates(target)).map((s) => [s.id, s]))
  const experiments: SimulationSummary['experiments'] = []
  for (const id of ids) {
    const s = final.get(id)
    const ledger = s ? await ledgerOf(target, id) : []
    const c = counters.get(id)!
    experiments.push({
      id,
      finalState: s?.state ?? 'unknown',
      result: resultOf(s, ledger),
      step: s?.step ?? 0,
      exposure: s?.exposure ?? 0,
      unitsExposed: c.units,
      eventsSent: c.sent,
      faults: { stoppedEvents: c.stoppedEvents, droppedEvents: c.droppedEvents, misroutedUnits: c.misroutedUnits, saltedUnits: c.saltedUnits },
      transitions: ledger.filter((e) => !isRefusalEntry(e)).map((e) => ({ at: new Date(e.at).toISOString(), from: e.from, to: e.to, step: e.step + 1, reason: e.reason, codes: e.codes ?? [] })),
      refusals: ledger.filter((e) => isRefusalEntry(e)).map((e) => ({ at: new Date(e.at).toISOString(), state: e.to, step: e.step + 1, reason: e.reason, codes: e.codes ?? [] })),
    })
  }
  return { scenario: scenario.name, seed: scenario.seed, ingest, experiments, actions, interference: await interferenceOf(target) }
}
