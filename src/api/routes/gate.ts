import type { FastifyInstance } from 'fastify'
import { InputError } from '../../errors.js'
import type { Runtime } from '../../services/runtime.js'

export function registerGateRoutes(app: FastifyInstance, rt: Runtime): void {
  /** GET /v1/assign?experiment=X&unit=U[&attr.country=DE…] */
  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/assign', async (request) => {
    const { experiment, unit } = request.query
    const missing = [experiment ? null : 'experiment', unit ? null : 'unit'].filter(Boolean)
    if (missing.length > 0) throw new InputError(`missing query parameter(s): ${missing.join(', ')}`)
    const attributes: Record<string, string> = {}
    for (const [k, v] of Object.entries(request.query)) if (k.startsWith('attr.') && v !== undefined) attributes[k.slice(5)] = v
    return rt.gate.assign(experiment!, unit!, attributes)
  })
}
