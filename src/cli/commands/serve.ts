import Fastify from 'fastify'
import { warnIfUnauthenticated } from '../../api/auth.js'
import { buildServer } from '../../api/server.js'
import { buildClickHousePortServer } from '../../api/clickhouse-port.js'
import type { RunwayMetrics } from '../../services/metrics.js'
import type { RunwayConfig } from '../../config.js'
import { createPorts } from '../../services/ports.js'
import { createLogger, createRuntime } from '../../services/runtime.js'

function healthServer(role: string, metrics: RunwayMetrics) {
  const app = Fastify()
  app.get('/healthz', async () => ({ ok: true, role }))
  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType)
    return metrics.registry.metrics()
  })
  return app
}

/** `runway serve [--role …]`: the parts of Runway this process runs, on the configured adapters. */
export async function serveCommand(config: RunwayConfig): Promise<void> {
  const log = createLogger(config)
  const runtime = createRuntime(config, await createPorts(config, log), log)
  await runtime.start()
  const serves = config.role === 'api' || config.role === 'all'
  // Roles without the API still answer /healthz, for orchestrators' liveness checks.
  const app = serves ? buildServer(runtime) : healthServer(config.role, runtime.metrics)
  await app.listen({ host: config.host, port: config.port })
  // The ClickHouse interface at the root of a port of its own, for clients without a path option (JDBC).
  const chPort = serves ? buildClickHousePortServer(runtime) : null
  if (chPort) {
    await chPort.listen({ host: config.host, port: config.clickhouseHttp.port ?? 0 })
    log.info({ url: `http://${config.host}:${(chPort.server.address() as { port: number } | null)?.port ?? config.clickhouseHttp.port}` }, 'clickhouse interface on its own port')
  }
  log.info(
    {
      role: config.role,
      url: `http://${config.host}:${(app.server.address() as { port: number } | null)?.port ?? config.port}`,
      warehouse: config.clickhouseUrl ?? `embedded (${config.dataDir})`,
      bus: config.kafka ? `kafka ${config.kafka.brokers.join(',')}` : 'in-process',
      state: config.redis ? `redis (${config.redis.prefix})` : 'in-memory',
    },
    'runway serving',
  )
  if (serves) warnIfUnauthenticated(config, log)
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down')
    await app.close()
    await chPort?.close()
    await runtime.stop()
    process.exit(0)
  }
  process.once('SIGINT', () => void shutdown('SIGINT'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
}
