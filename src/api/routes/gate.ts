import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { Attributes } from '../../domain/targeting.js'
import { parseWith } from '../../domain/validation.js'
import { InputError } from '../../errors.js'
import type { Runtime } from '../../services/runtime.js'
import { experimentNamespace, guard, jsonField, query } from '../auth.js'

const AssignBatch = z.object({
  experimentId: z.string().min(1),
  units: z
    .array(z.union([z.string().min(1), z.object({ unitId: z.string().min(1), attributes: Attributes.optional() })]))
    .min(1)
    .max(10_000),
})

function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new InputError(`invalid JSON: ${(error as Error).message}`)
  }
}

export function registerGateRoutes(app: FastifyInstance, rt: Runtime): void {
  /** GET /v1/assign?experiment=X&unit=U[&attr.country=DE…] */
  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/assign', guard('read', experimentNamespace(query('experiment'))), async (request) => {
    const { experiment, unit } = request.query
    const missing = [experiment ? null : 'experiment', unit ? null : 'unit'].filter(Boolean)
    if (missing.length > 0) throw new InputError(`missing query parameter(s): ${missing.join(', ')}`)
    const attributes: Record<string, string> = {}
    for (const [k, v] of Object.entries(request.query)) if (k.startsWith('attr.') && v !== undefined) attributes[k.slice(5)] = v
    return rt.gate.assign(experiment!, unit!, attributes)
  })

  /** POST /v1/assign {"experimentId", "units": ["u1", …] | [{"unitId", "attributes"}]}: up to 10,000 units at once. */
  // A POST that changes nothing: assignment is a read.
  app.post('/v1/assign', guard('read', experimentNamespace(jsonField('experimentId'))), async (request) => {
    const parsed = parseWith(AssignBatch, parseJsonBody(String(request.body ?? '')))
    if (!parsed.ok) throw new InputError('invalid assign batch', parsed.problems)
    const units = parsed.value.units.map((u) => (typeof u === 'string' ? { unitId: u } : u))
    return { assignments: await rt.gate.assignMany(parsed.value.experimentId, units) }
  })
}
