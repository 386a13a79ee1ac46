import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../../services/runtime.js'
import { readLedger } from '../../services/ledger.js'
import { actorOf, experimentNamespace, guard, param, readableNamespaces, specNamespace } from '../auth.js'
import { parseSpecText } from '../spec-body.js'
import { resolveCatalogMetrics } from '../../domain/metric-catalog.js'
import { experimentView } from '../views.js'
import { registerTimelineRoute } from './timeline.js'

export function registerExperimentRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post('/v1/experiments', guard('experiments:write', specNamespace), async (request, reply) => {
    const spec = resolveCatalogMetrics(parseSpecText(String(request.body ?? ''), 'spec'), rt.config.metricCatalog)
    const done = rt.metrics.enqueueSeconds.startTimer()
    const outcome = await rt.queue.enqueue(spec, actorOf(request)).finally(done)
    if (!outcome.accepted) {
      return reply.status(422).send({ accepted: false, experimentId: outcome.experimentId, failures: outcome.failures })
    }
    return reply.status(201).send({ accepted: true, experiment: experimentView(outcome.record) })
  })

  app.get('/v1/experiments', guard('read'), async (request) => {
    const visible = readableNamespaces(request)
    const records = (await rt.queue.list()).filter((r) => visible(r.spec.namespace))
    return { experiments: records.sort((a, b) => a.enqueuedAt - b.enqueuedAt || a.spec.id.localeCompare(b.spec.id)).map(experimentView) }
  })

  app.get<{ Params: { id: string } }>('/v1/experiments/:id', guard('read', experimentNamespace(param('id'))), async (request) => {
    const record = await rt.queue.get(request.params.id)
    return { experiment: experimentView(record), spec: record.spec, ledger: await readLedger(rt.warehouse, record.spec.id) }
  })

  registerTimelineRoute(app, rt)
}
