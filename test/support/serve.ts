import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { ROOT, embeddedEnv } from './cli.js'
import { waitHealthy } from './wait.js'

/** A free loopback port (the OS picks; the caller binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

export interface Served {
  url: string
  proc: ChildProcess
  /** what the server wrote to stdout and stderr so far (for failure messages) */
  log(): string
  stop(): Promise<void>
}

/** Starts the built `runway serve` (embedded default) on a free port with its own data directory. */
export async function startServe(dataDir: string, env: Record<string, string> = {}): Promise<Served> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const proc = spawn(process.execPath, [`${ROOT}bin/runway.js`, 'serve', '--data-dir', dataDir, '--port', String(port)], {
    env: { ...embeddedEnv(), RUNWAY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout!.on('data', (d) => (out += d))
  proc.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const log = () => out.slice(-4000)
  await waitHealthy(url, { what: `runway serve on ${url}`, detail: () => `exit code ${proc.exitCode}; log:\n${log()}` })
  return {
    url,
    proc,
    log,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}
