import { assign } from '../domain/assignment.js'
import { type ExperimentRecord, exposureOf } from '../domain/experiment-record.js'
import { type Attributes, matchesTargeting } from '../domain/targeting.js'
import { NotFoundError } from '../errors.js'
import type { StateStore } from '../ports/state-store.js'

export interface GateAnswer {
  experimentId: string
  unitId: string
  exposed: boolean
  variant: string | null
  reason: string
  state: string
  step: number
  exposure: number
}

/**
 * Assignment from live state: the moment an experiment leaves `running`
 * (paused, rolled back), its exposure is 0 and every unit gets "not exposed".
 */
export class GateService {
  constructor(private readonly state: Pick<StateStore, 'get'>) {}

  async assign(experimentId: string, unitId: string, attributes: Attributes = {}): Promise<GateAnswer> {
    return (await this.assignMany(experimentId, [{ unitId, attributes }]))[0]!
  }

  /** Many units of one experiment against one read of its state. */
  async assignMany(experimentId: string, units: ReadonlyArray<{ unitId: string; attributes?: Attributes }>): Promise<GateAnswer[]> {
    const r = await this.state.get(experimentId)
    if (!r) throw new NotFoundError(`no experiment ${experimentId}`)
    return units.map((u) => this.answer(r, u.unitId, u.attributes ?? {}))
  }

  private answer(r: ExperimentRecord, unitId: string, attributes: Attributes): GateAnswer {
    const experimentId = r.spec.id
    const exposure = exposureOf(r)
    const base = { experimentId, unitId, state: r.state, step: r.step, exposure }
    if (!matchesTargeting(r.spec.targeting, attributes)) return { ...base, exposed: false, variant: null, reason: 'not_targeted' }
    const a = assign({
      namespace: r.spec.namespace,
      layer: r.spec.layer,
      experimentId,
      allocation: r.allocation,
      exposurePercent: exposure,
      variants: r.spec.variants,
      unitId,
    })
    return a.exposed ? { ...base, exposed: true, variant: a.variant, reason: 'assigned' } : { ...base, exposed: false, variant: null, reason: a.reason }
  }
}
