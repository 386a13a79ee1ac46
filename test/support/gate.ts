import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { ManualClock } from '../../src/adapters/clock/manual-clock.js'
import { buildServer } from '../../src/api/server.js'
import { loadConfig } from '../../src/config.js'
import { ENGINE_VERSION, type Verdict } from '../../src/domain/verdict.js'
import { createRuntime, embeddedPorts, type Runtime } from '../../src/services/runtime.js'
import { T0, postJson, specBody } from './embedded.js'

export interface Runway {
  runtime: Runtime
  clock: ManualClock
  baseUrl: string
  port: number
  dataDir: string
  stop(): Promise<void>
  cleanup(): void
}

/** An embedded runway that can come back on the same port and data (a restart, as SDKs see it). */
export async function startRunway(opts: { port?: number; dataDir?: string; now?: number } = {}): Promise<Runway> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'runway-sdk-'))
  // The environment may point at Kafka or Redis; these tests own a whole embedded runway.
  const config = { ...loadConfig({}, { dataDir, scheduleIntervalMs: 60_000, logLevel: 'silent' }), kafka: null, redis: null, clickhouseUrl: null }
  const log = pino({ level: 'silent' })
  const clock = new ManualClock(opts.now ?? T0)
  const runtime = createRuntime(config, await embeddedPorts(config, log, clock), log)
  await runtime.start()
  const app = buildServer(runtime)
  await app.listen({ host: '127.0.0.1', port: opts.port ?? 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    runtime,
    clock,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    async stop() {
      await app.close()
      await runtime.stop()
    },
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Enqueues a spec and starts it (scheduler tick); throws unless it runs. */
export async function runExperiment(rw: Pick<Runway, 'baseUrl' | 'runtime'>, overrides: Record<string, unknown>): Promise<void> {
  const res = await postJson(rw.baseUrl, '/v1/experiments', specBody(overrides))
  if (res.status !== 201) throw new Error(`enqueue answered ${res.status}: ${JSON.stringify(res.body)}`)
  await rw.runtime.queue.scheduleTick()
  const r = await rw.runtime.state.get(String(overrides.id))
  if (r?.state !== 'running') throw new Error(`${String(overrides.id)} is ${r?.state}, not running`)
}

/** Applies a verdict through the controller, as one from the decision engine would be. */
export async function applyVerdict(rw: Pick<Runway, 'runtime' | 'clock'>, experimentId: string, decision: Verdict['decision']): Promise<void> {
  const r = await rw.runtime.state.get(experimentId)
  const now = rw.clock.now()
  const verdict: Verdict = {
    id: randomUUID(),
    experimentId,
    seq: (r?.lastAppliedVerdictSeq ?? 0) + 1,
    decision,
    step: r?.step ?? 0,
    reasons: [{ code: 'GUARDRAIL_HARM', message: 'test verdict', numbers: {} }],
    window: { from: now, to: now },
    evaluatedAt: now,
    engineVersion: ENGINE_VERSION,
    needsApproval: false,
  }
  await rw.runtime.controller.apply(verdict)
}

/** Polls `check` every 5 ms until it holds, at most `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<number> {
  const start = performance.now()
  for (;;) {
    if (await check()) return performance.now() - start
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}
