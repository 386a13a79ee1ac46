import type { FastifyInstance, FastifyRequest } from 'fastify'
import { authorize } from '../../domain/auth.js'
import { InputError } from '../../errors.js'
import type { NamespaceCheck } from '../../services/ingest.js'
import type { Runtime } from '../../services/runtime.js'
import { sqlQuery } from '../../sql-files.js'
import { guard, readableNamespaces } from '../auth.js'

export function registerEventRoutes(app: FastifyInstance, rt: Runtime): void {
  /**
   * NDJSON (one event a line) or a JSON array; 200 with counts once the batch is stored.
   * A batch may span namespaces: events:write in some namespace lets it in, and
   * each line for an experiment in a namespace the token may not write is dead-lettered.
   */
  app.post('/v1/events', guard('events:write'), async (request) => {
    const type = String(request.headers['content-type'] ?? 'application/x-ndjson')
    const body = String(request.body ?? '')
    const format = /json(?!l)/.test(type) && !/ndjson/.test(type) ? 'json' : 'ndjson'
    const key = request.headers['idempotency-key']
    const refuseNamespace = namespaceCheckOf(request)
    return rt.ingest.ingest({ body, format, source: 'http', ...(typeof key === 'string' ? { idempotencyKey: key } : {}), ...(refuseNamespace ? { refuseNamespace } : {}) })
  })

  app.get<{ Querystring: { limit?: string } }>('/v1/dead-letters', guard('read'), async (request) => {
    const limit = Number(request.query.limit ?? 100)
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new InputError('limit must be an integer from 1 to 10000')
    const rows = await rt.warehouse.select<{ experiment_id: string }>(sqlQuery('dead-letters-recent'), { limit })
    // Of the newest `limit`, those of experiments in namespaces the caller may read.
    const visible = readableNamespaces(request)
    if (visible(null)) return { deadLetters: rows } // reads every namespace
    const namespaceOf = async (id: string) => (id === '' ? null : ((await rt.gateState.get(id))?.spec.namespace ?? null))
    const kept = []
    for (const row of rows) if (visible(await namespaceOf(row.experiment_id))) kept.push(row)
    return { deadLetters: kept }
  })
}

/** With auth on, why the token may not send to a namespace (the same rule and words as a 403); none with auth off. */
function namespaceCheckOf(request: FastifyRequest): NamespaceCheck | null {
  const principal = request.principal
  if (!principal) return null
  return (namespace) => {
    const verdict = authorize(principal, 'events:write', namespace)
    return verdict.ok ? null : verdict.reason
  }
}
