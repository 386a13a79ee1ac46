import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Runtime } from '../services/runtime.js'
import { TokenService } from '../services/tokens.js'
import { hardenedServerOptions, installUrlLimit } from './http-hardening.js'
import { type ClickHouseHttpDeps, registerClickHouseRoutes } from './routes/clickhouse-http.js'

/**
 * What the ClickHouse endpoint is built with, wherever it is mounted: the
 * runtime's raw SQL (allow-lists, limits, namespace row filters), its write
 * switch and body limit, and the credentials (API tokens with
 * RUNWAY_AUTH=required, else the one configured user). One definition, so the
 * API's `/clickhouse` and the port of its own cannot drift apart.
 */
export function clickHouseDeps(rt: Runtime, tokens: TokenService): Omit<ClickHouseHttpDeps, 'prefix' | 'routeConfig'> | null {
  const ch = rt.config.clickhouseHttp
  if (!rt.rawSql || !ch.enabled) return null
  const auth = rt.config.auth.mode === 'required' ? { tokens, authRequired: true } : { user: ch.user, password: ch.password }
  return { rawSql: rt.rawSql, writable: ch.writable, bodyLimit: ch.maxBodyBytes, ...auth }
}

/**
 * The ClickHouse interface alone, at the root of its own listener
 * (RUNWAY_CLICKHOUSE_HTTP_PORT), as ClickHouse serves it on 8123: the JDBC
 * driver (DBeaver, DataGrip, Metabase) has no path-prefix option, so it cannot
 * reach `/clickhouse`. Only the ClickHouse routes live here, none of the API's.
 * Returns null when the port is not configured or the endpoint is off.
 */
export function buildClickHousePortServer(rt: Runtime): FastifyInstance | null {
  if (rt.config.clickhouseHttp.port === null) return null
  const tokens = new TokenService({ warehouse: rt.warehouse, clock: rt.clock, cacheTtlMs: rt.config.auth.cacheTtlMs })
  const deps = clickHouseDeps(rt, tokens)
  if (!deps) return null
  const logger = rt.log.child({ component: 'clickhouse-port' }, { level: rt.log.levelVal > 20 ? 'warn' : rt.log.level })
  const app: FastifyInstance = Fastify({ loggerInstance: logger as FastifyBaseLogger, ...hardenedServerOptions(rt.config) })
  installUrlLimit(app)
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).type('text/plain; charset=UTF-8').send(`There is no handle ${request.url.split('?')[0]}\n`)
  })
  registerClickHouseRoutes(app, { ...deps, prefix: '' })
  return app
}
