import type { ScenarioExperiment } from './scenario.js'
import { normal } from './random.js'

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

/** One exposed unit's events for every modelled metric, with the variant's true effect applied. */
export function unitEvents(input: {
  exp: ScenarioExperiment
  experimentId: string
  trueVariant: string
  loggedVariant: string
  unitId: string
  from: number
  span: number
  random: () => number
}): SyntheticEvent[] {
  const { exp, random } = input
  const effects = exp.effects[input.trueVariant] ?? {}
  const out: SyntheticEvent[] = []
  let i = 0
  for (const [metric, model] of Object.entries(exp.metrics)) {
    const shift = effects[metric] ?? 0
    for (let k = 0; k < exp.traffic.eventsPerUnit; k++) {
      const base = {
        eventId: `${input.unitId}-${i++}`,
        ts: Math.floor(input.from + random() * input.span),
        experimentId: input.experimentId,
        variant: input.loggedVariant,
        unitId: input.unitId,
        service: 'sim',
        metric,
      }
      if (model.type === 'bernoulli') {
        const p = Math.min(1, Math.max(0, model.base + shift))
        out.push({ ...base, outcome: random() < p })
      } else {
        out.push({ ...base, value: model.mean + shift + model.sd * normal(random) })
      }
    }
  }
  return out
}
