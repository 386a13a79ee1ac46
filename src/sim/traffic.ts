import { type ActiveEffect, activeEffect, isTimed } from './effects.js'
import { dropProbability, telemetryStopped } from './faults.js'
import { normal } from './random.js'
import type { MetricModel, ScenarioExperiment } from './scenario.js'

export interface SyntheticEvent {
  eventId: string
  ts: number
  experimentId: string
  variant: string
  unitId: string
  service: string
  metric: string
  value?: number
  outcome?: boolean
}

/** What became of one unit's events: sent, or lost to a telemetry_stop or telemetry_drop fault. */
export interface UnitTally {
  sent: number
  stopped: number
  dropped: number
}

/** One event's outcome or value under the metric's model with the effect applied (scenario-parts.ts). */
function draw(model: MetricModel, e: ActiveEffect, random: () => number): { outcome: boolean } | { value: number } {
  if (model.type === 'bernoulli') {
    const p = Math.min(1, Math.max(0, model.base * e.scale + e.shift))
    return { outcome: random() < p }
  }
  const base = model.type === 'normal' ? model.mean + model.sd * normal(random) : model.median * Math.exp(model.sigma * normal(random))
  const tail = e.tail !== null && random() < e.tail.fraction ? e.tail.add : 0
  return { value: base * e.scale + e.shift + tail }
}

/**
 * One exposed unit's events for every modelled metric, with its true variant's effect applied,
 * logged under `loggedVariant`, pushed onto `out`. Events at times a fault stops or drops
 * telemetry are not sent (counted in the tally); values are drawn before a fault is applied, so a
 * stop changes only what is lost, not the values of the events that are sent.
 */
export function unitEvents(input: {
  exp: ScenarioExperiment
  experimentId: string
  trueVariant: string
  loggedVariant: string
  unitId: string
  from: number
  span: number
  /** Scenario start (epoch ms): effect windows and faults count from it. */
  scenarioStart: number
  /** The experiment's rollout step (1-based) while these events happen. */
  step: number
  random: () => number
  out: SyntheticEvent[]
  /** Event ids are `${eventPrefix}-${i}` (default the unit id: unique when units are per experiment). */
  eventPrefix?: string
  /** Shift per metric from the scenario's interactions this unit is in (added to its effect). */
  interaction?: Readonly<Record<string, number>>
}): UnitTally {
  const { exp, random, out } = input
  const effects = exp.effects[input.trueVariant] ?? {}
  const faults = exp.faults
  const tally: UnitTally = { sent: 0, stopped: 0, dropped: 0 }
  let i = 0
  for (const [metric, model] of Object.entries(exp.metrics)) {
    const effect = effects[metric]
    const timed = isTimed(effect)
    const extra = input.interaction?.[metric] ?? 0
    const withExtra = (e: ActiveEffect): ActiveEffect => (extra === 0 ? e : { ...e, shift: e.shift + extra })
    const fixed = timed ? null : withExtra(activeEffect(effect, { elapsed: 0, step: 0 }))
    for (let k = 0; k < exp.traffic.eventsPerUnit; k++) {
      const ts = Math.floor(input.from + random() * input.span)
      const elapsed = ts - input.scenarioStart
      const drawn = draw(model, fixed ?? withExtra(activeEffect(effect, { elapsed, step: input.step })), random)
      const eventId = `${input.eventPrefix ?? input.unitId}-${i++}`
      if (faults.length > 0) {
        if (telemetryStopped(faults, elapsed)) {
          tally.stopped++
          continue
        }
        const p = dropProbability(faults, elapsed, metric)
        if (p > 0 && random() < p) {
          tally.dropped++
          continue
        }
      }
      out.push({ eventId, ts, experimentId: input.experimentId, variant: input.loggedVariant, unitId: input.unitId, service: 'sim', metric, ...drawn })
      tally.sent++
    }
  }
  return tally
}
