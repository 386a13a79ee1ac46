import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { ManualClock } from '../adapters/clock/manual-clock.js'
import { SystemClock } from '../adapters/clock/system-clock.js'
import { buildServer } from '../api/server.js'
import type { RunwayConfig } from '../config.js'
import { createRuntime, embeddedPorts } from '../services/runtime.js'
import type { Scenario } from './scenario.js'
import { type SimulationSummary, type TimelineEntry, simulate } from './simulator.js'
import { httpTarget, waitUntil } from './target.js'

export interface HarnessOptions {
  config: RunwayConfig
  log: Logger
  /** Run on the wall clock (scenario durations are then real seconds) instead of a manual one. */
  realtime?: boolean
  /** Keep the data directory (default: a temporary one, removed afterwards). */
  dataDir?: string
  onTransition?: (entry: TimelineEntry) => void
  onProgress?: (done: number, total: number) => void
}

/**
 * A whole embedded Runway on a manual clock, with its HTTP API on an ephemeral
 * loopback port, running one scenario and then shutting down.
 */
export async function runScenario(scenario: Scenario, opts: HarnessOptions): Promise<SimulationSummary> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'runway-sim-'))
  // Always the embedded default, whatever the environment points at: the run owns its whole runway.
  const config: RunwayConfig = {
    ...opts.config,
    dataDir,
    kafka: null,
    redis: null,
    clickhouseUrl: null,
    role: 'all',
    // Its API is private to the run (loopback, ephemeral port), whatever RUNWAY_AUTH says for real servers.
    auth: { ...opts.config.auth, mode: 'off' },
    scheduleIntervalMs: opts.realtime ? Math.min(opts.config.scheduleIntervalMs, 500) : 60_000,
  }
  const manual = opts.realtime ? null : new ManualClock(Date.parse(scenario.start))
  const runtime = createRuntime(config, await embeddedPorts(config, opts.log, manual ?? new SystemClock()), opts.log)
  const app = buildServer(runtime)
  try {
    await runtime.start()
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    return await simulate({
      scenario,
      target: httpTarget(`http://127.0.0.1:${port}`, manual ? (t) => manual.advanceTo(t) : waitUntil),
      ...(manual ? {} : { start: Date.now() }),
      ...(opts.onTransition ? { onTransition: opts.onTransition } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    })
  } finally {
    await app.close()
    await runtime.stop()
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
}
