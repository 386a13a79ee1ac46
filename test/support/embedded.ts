import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { ManualClock } from '../../src/adapters/clock/manual-clock.js'
import { buildServer } from '../../src/api/server.js'
import { loadConfig, type RunwayConfig } from '../../src/config.js'
import { createRuntime, embeddedPorts, type Runtime } from '../../src/services/runtime.js'

export interface Embedded {
  runtime: Runtime
  clock: ManualClock
  baseUrl: string
  dataDir: string
  /** The HTTP server, for tests that read its route table. */
  app: FastifyInstance
  /** Stops server and runtime (the data directory stays until `cleanup`). */
  stop(): Promise<void>
  cleanup(): void
}

export const T0 = Date.parse('2026-03-02T00:00:00Z')

/** A whole embedded Runway on a manual clock, listening on an ephemeral loopback port. */
export async function startEmbedded(opts: { dataDir?: string; config?: Partial<RunwayConfig>; now?: number } = {}): Promise<Embedded> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'runway-test-'))
  const config = loadConfig({}, { dataDir, scheduleIntervalMs: 60_000, logLevel: 'silent', ...opts.config })
  const log = pino({ level: 'silent' })
  const clock = new ManualClock(opts.now ?? T0)
  const runtime = createRuntime(config, await embeddedPorts(config, log, clock), log)
  await runtime.start()
  const app = buildServer(runtime)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    runtime,
    clock,
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    app,
    async stop() {
      await app.close()
      await runtime.stop()
    },
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A valid spec body; override any field. */
export function specBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'exp-a',
    layer: 'layer-a',
    owner: 'team-a',
    hypothesis: 'B beats A',
    variants: [
      { name: 'control', weight: 50 },
      { name: 'treatment', weight: 50 },
    ],
    rollout: { steps: [{ exposure: 10, minDuration: '1h' }, { exposure: 100, minDuration: '1h' }] },
    metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }] },
    evaluation: { interval: '15m', staleAfter: '1h', minUnits: 20 },
    ...overrides,
  }
}

export async function postJson(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })
  return { status: res.status, body: (await res.json()) as any }
}

export async function getJson(baseUrl: string, path: string) {
  const res = await fetch(`${baseUrl}${path}`)
  return { status: res.status, body: (await res.json()) as any }
}
