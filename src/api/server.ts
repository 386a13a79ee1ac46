import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { errorBody, httpStatusOf, type RunwayError, TooLargeError } from '../errors.js'
import type { Runtime } from '../services/runtime.js'
import { installAuth, publicRoute } from './auth.js'
import { frameworkRefusal, hardenedServerOptions, installBodyDecoding, installUrlLimit } from './http-hardening.js'
import { registerActionRoutes } from './routes/actions.js'
import { registerMetricsRoute } from './routes/metrics.js'
import { registerClickHouseRoutes } from './routes/clickhouse-http.js'
import { clickHouseDeps } from './clickhouse-port.js'
import { registerEventRoutes } from './routes/events.js'
import { registerExperimentRoutes } from './routes/experiments.js'
import { registerGateRoutes } from './routes/gate.js'
import { registerTokenRoutes } from './routes/tokens.js'
import { registerGateConfigRoutes } from './routes/gate-config.js'
import { registerAuditRoutes } from './routes/audit.js'
import { registerSliRoutes } from './routes/slis.js'
import { registerInterferenceRoutes } from './routes/interference.js'
import { registerUiRoutes } from './routes/ui.js'
import { registerUiExperimentReads } from './routes/ui-experiment-reads.js'
import { registerUiOpsReads } from './routes/ui-ops-reads.js'
import { registerAlertRoutes } from './routes/alerts.js'
import { registerIncidentRoutes } from './routes/incidents.js'

/** The HTTP API. Bodies arrive as text; each route validates with the domain's zod schemas. */
export function buildServer(rt: Runtime): FastifyInstance {
  // Per-request access lines are debug noise here; failures are logged by the error handler.
  const logger = rt.log.child({ component: 'api' }, { level: rt.log.levelVal > 20 ? 'warn' : rt.log.level })
  const app: FastifyInstance = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: rt.config.ingest.maxBytes, ...hardenedServerOptions(rt.config) })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))
  // The API's own routes; the ClickHouse endpoint decodes its bodies itself, as ClickHouse does.
  installBodyDecoding(app, { maxBytes: rt.config.ingest.maxBytes, appliesTo: (url) => url.startsWith('/v1/') })

  app.setErrorHandler((error, request, reply) => {
    let e: unknown = error
    const code = (error as { code?: string }).code
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      e = new TooLargeError(`request body exceeds the limit of ${rt.config.ingest.maxBytes} bytes (RUNWAY_INGEST_MAX_BYTES)`, { maxBytes: rt.config.ingest.maxBytes })
    } else {
      // 4xx from the framework (415, 414, 400…) keep their status, in the API's error shape.
      const refusal = frameworkRefusal(error)
      if (refusal) {
        request.log.debug({ url: request.url, status: refusal.status, code: refusal.body.error.code }, 'request refused')
        void reply.status(refusal.status).send(refusal.body)
        return
      }
    }
    const status = httpStatusOf(e)
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed')
    else request.log.debug({ url: request.url, status, code: (e as RunwayError).code }, 'request refused')
    void reply.status(status).send(errorBody(e))
  })
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` } })
  })

  installUrlLimit(app)
  // Before any route: every route, whoever adds it, passes the auth hooks (docs in ./auth.ts).
  const { tokens } = installAuth(app, rt)
  app.get('/healthz', publicRoute('liveness checks carry no token'), async () => ({ ok: true }))
  registerTokenRoutes(app, tokens)
  registerExperimentRoutes(app, rt)
  registerEventRoutes(app, rt)
  registerGateRoutes(app, rt)
  registerActionRoutes(app, rt)
  registerMetricsRoute(app, rt.metrics)
  registerGateConfigRoutes(app, rt)
  registerAuditRoutes(app, rt)
  registerSliRoutes(app, rt)
  registerInterferenceRoutes(app, rt)
  registerAlertRoutes(app, rt)
  registerIncidentRoutes(app, rt)
  registerUiExperimentReads(app, rt)
  registerUiOpsReads(app, rt)
  registerUiRoutes(app)
  // With RUNWAY_AUTH=required the endpoint takes API tokens (it refuses to be built without them); otherwise its one user.
  const ch = clickHouseDeps(rt, tokens)
  if (ch) registerClickHouseRoutes(app, { ...ch, prefix: rt.config.clickhouseHttp.prefix, routeConfig: publicRoute('checks its own credentials: a Runway API token as the ClickHouse password, or RUNWAY_CLICKHOUSE_HTTP_USER/PASSWORD with auth off').config })
  return app
}
