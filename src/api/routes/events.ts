import type { FastifyInstance } from 'fastify'
import { InputError } from '../../errors.js'
import type { Runtime } from '../../services/runtime.js'
import { sqlQuery } from '../../sql-files.js'
import { guard, readableNamespaces } from '../auth.js'

export function registerEventRoutes(app: FastifyInstance, rt: Runtime): void {
  /**
   * NDJSON (one event a line) or a JSON array; 200 with counts once the batch is stored.
   * A batch may span namespaces: events:write in any namespace is enough.
   */
  app.post('/v1/events', guard('events:write'), async (request) => {
    const type = String(request.headers['content-type'] ?? 'application/x-ndjson')
    const body = String(request.body ?? '')
    const format = /json(?!l)/.test(type) && !/ndjson/.test(type) ? 'json' : 'ndjson'
    const key = request.headers['idempotency-key']
    return rt.ingest.ingest({ body, format, source: 'http', ...(typeof key === 'string' ? { idempotencyKey: key } : {}) })
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
