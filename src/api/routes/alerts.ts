import type { FastifyInstance } from 'fastify'
import { AlertmanagerWebhook } from '../../domain/incident.js'
import { parseWith } from '../../domain/validation.js'
import { InputError } from '../../errors.js'
import type { Runtime } from '../../services/runtime.js'
import { allNamespaces, guard } from '../auth.js'

/**
 * POST /v1/alerts/alertmanager: Alertmanager's webhook (webhook_config with
 * http_config.authorization: a token holding `alert` on `*`). Incident mode spans
 * namespaces, so the permission is asked for on all of them.
 */
export function registerAlertRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post('/v1/alerts/alertmanager', guard('alert', allNamespaces), async (request) => {
    let json: unknown
    try {
      json = JSON.parse(String(request.body ?? ''))
    } catch (error) {
      throw new InputError(`invalid JSON: ${(error as Error).message}`)
    }
    const parsed = parseWith(AlertmanagerWebhook, json)
    if (!parsed.ok) throw new InputError('not an Alertmanager webhook payload (version 4)', parsed.problems, 'INVALID_ALERT')
    return { alerts: await rt.incidents.receive(parsed.value) }
  })
}
