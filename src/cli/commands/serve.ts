import { buildServer } from '../../api/server.js'
import type { RunwayConfig } from '../../config.js'
import { createLogger, createRuntime, embeddedPorts } from '../../services/runtime.js'

/** `runway serve`: API, jobs and controller in one process on the embedded default. */
export async function serveCommand(config: RunwayConfig): Promise<void> {
  const log = createLogger(config)
  const runtime = createRuntime(config, embeddedPorts(config, log), log)
  await runtime.start()
  const app = buildServer(runtime)
  await app.listen({ host: config.host, port: config.port })
  log.info({ url: `http://${config.host}:${config.port}`, dataDir: config.dataDir }, 'runway serving')
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down')
    await app.close()
    await runtime.stop()
    process.exit(0)
  }
  process.once('SIGINT', () => void shutdown('SIGINT'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
}
