import type { FastifyInstance } from 'fastify'
import { interferenceReport } from '../../services/interference-rows.js'
import type { Runtime } from '../../services/runtime.js'
import { anyNamespace, experimentNamespace, guard, param, readableNamespaces } from '../auth.js'

/**
 * The latest interference run (docs/interference.md). A pair is shown only to a caller who
 * may read both experiments' namespaces: a pair's numbers describe both.
 *   GET /v1/interference                  every pair
 *   GET /v1/experiments/:id/interference  the pairs one experiment is in (read on its namespace)
 */
export function registerInterferenceRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get('/v1/interference', guard('read', anyNamespace), async (request) => {
    const can = readableNamespaces(request)
    const rows = (await rt.interference.latest()).filter((r) => can(r.namespace_a) && can(r.namespace_b))
    return interferenceReport(rows)
  })
  app.get<{ Params: { id: string } }>('/v1/experiments/:id/interference', guard('read', experimentNamespace(param('id'))), async (request) => {
    await rt.queue.get(request.params.id)
    const can = readableNamespaces(request)
    const rows = (await rt.interference.latest(request.params.id)).filter((r) => can(r.namespace_a) && can(r.namespace_b))
    return interferenceReport(rows)
  })
}
