import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../../services/runtime.js'
import { allNamespaces, guard } from '../auth.js'

/** GET /v1/incidents: open incidents first, then resolved ones (for the on-call view). */
export function registerIncidentRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get('/v1/incidents', guard('read', allNamespaces), async () => {
    const incidents = rt.incidents.list()
    return { open: incidents.filter((i) => i.status === 'firing').length, incidents }
  })
}
