import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BIN = `${ROOT}bin/runway.js`

/** The test environment without the distributed services' addresses: the embedded default. */
export function embeddedEnv(): Record<string, string | undefined> {
  const { KAFKA_BROKERS: _k, REDIS_URL: _r, CLICKHOUSE_URL: _c, RUNWAY_ROLE: _role, ...rest } = process.env
  return rest
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built `runway` command as a user would (needs `npm run build`, which `npm test` does first). */
export function runCli(args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error('dist/ is missing: run `npm run build` (npm test does it) before the CLI tests')
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...embeddedEnv(), ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(opts.input ?? '')
  })
}
