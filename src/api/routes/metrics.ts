import type { FastifyInstance } from 'fastify'
import type { RunwayMetrics } from '../../services/metrics.js'
import { publicRoute } from '../auth.js'

/** GET /metrics: the queue's own SLIs in the Prometheus text format (aggregates only, no experiment ids). */
export function registerMetricsRoute(app: FastifyInstance, metrics: RunwayMetrics): void {
  app.get('/metrics', publicRoute('Prometheus scrapes aggregate operational numbers; no experiment data'), async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType)
    return metrics.registry.metrics()
  })
}
