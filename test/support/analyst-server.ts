import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { ROOT, embeddedEnv, runCli } from './cli.js'

/**
 * A real `runway serve` for the analyst-client tests (notebooks, JDBC, clickhouse-connect):
 * RUNWAY_AUTH=required, the ClickHouse interface on `/clickhouse` and on a port of its own,
 * an admin token made on the data directory before the server starts, and a viewer token
 * limited to one namespace made through the server.
 */
export interface AnalystServer {
  url: string
  /** Root of the ClickHouse interface on its own port (RUNWAY_CLICKHOUSE_HTTP_PORT). */
  chUrl: string
  chPort: number
  admin: string
  stop(): void
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

async function until(what: string, probe: () => Promise<boolean>, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await probe().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what} did not come up`)
}

export async function startAnalystServer(dataDir: string): Promise<AnalystServer> {
  const created = await runCli(['token', 'create', '--role', 'admin', '--namespace', '*', '--name', 'analyst-admin', '--data-dir', dataDir])
  if (created.code !== 0) throw new Error(`token create failed: ${created.stderr}`)
  const admin = created.stdout.trim()
  const port = await freePort()
  const chPort = await freePort()
  const server: ChildProcess = spawn(process.execPath, [`${ROOT}bin/runway.js`, 'serve', '--data-dir', dataDir, '--port', String(port)], {
    env: { ...embeddedEnv(), RUNWAY_AUTH: 'required', RUNWAY_LOG_LEVEL: 'warn', RUNWAY_CLICKHOUSE_HTTP_PORT: String(chPort) },
    stdio: 'ignore',
  })
  const url = `http://127.0.0.1:${port}`
  const chUrl = `http://127.0.0.1:${chPort}`
  try {
    await until('runway serve', async () => (await fetch(`${url}/healthz`)).ok)
    await until('the ClickHouse port', async () => (await fetch(`${chUrl}/ping`)).ok)
  } catch (error) {
    server.kill('SIGTERM')
    throw error
  }
  return { url, chUrl, chPort, admin, stop: () => void server.kill('SIGTERM') }
}

/** A token made through the server (role on one namespace), for the namespace-limit checks. */
export async function createToken(s: AnalystServer, role: string, namespace: string): Promise<string> {
  const res = await runCli(['token', 'create', '--role', role, '--namespace', namespace, '--name', `${role}-${namespace}`, '--server', s.url], { env: { RUNWAY_TOKEN: s.admin } })
  if (res.code !== 0) throw new Error(`token create failed: ${res.stderr}`)
  return res.stdout.trim()
}
