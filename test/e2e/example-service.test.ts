import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadScenario } from '../../src/cli/commands/simulate.js'
import { rng } from '../../src/sim/random.js'
import { activeEffect } from '../../src/sim/effects.js'
import { type Runway, runExperiment, startRunway, waitFor } from '../support/gate.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const demo = loadScenario(`${ROOT}scenarios/demo.yaml`)
const ranker = demo.experiments.find((e) => e.spec.id === 'search-ranker-v2')!
const TICK = 15 * 60_000

let rw: Runway
let service: ChildProcess
let serviceUrl = ''

beforeAll(async () => {
  // The service stamps exposures with the wall clock: start runway's manual clock there.
  rw = await startRunway({ now: Date.now() })
  await runExperiment(rw, ranker.spec)
  // The example imports 'runway/sdk' as any service would (dist/, built by npm test).
  service = spawn(process.execPath, ['--import', 'tsx', `${ROOT}examples/search-service/server.ts`], { cwd: ROOT, env: { ...process.env, RUNWAY_URL: rw.baseUrl, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] })
  serviceUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('example service did not start')), 30_000)
    service.stdout!.on('data', (chunk: Buffer) => {
      const m = /listening (\d+)/.exec(String(chunk))
      if (m) {
        clearTimeout(timer)
        resolve(`http://127.0.0.1:${m[1]}`)
      }
    })
    service.on('exit', (code) => reject(new Error(`example service exited with ${code}`)))
  })
}, 60_000)
afterAll(async () => {
  service?.kill('SIGTERM')
  await rw.stop()
  rw.cleanup()
})

const search = async (user: string) => (await (await fetch(`${serviceUrl}/search?user=${user}`)).json()) as { ranker: string; variant: string | null; reason: string }
const post = (path: string, body: unknown) => fetch(`${serviceUrl}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

describe('example service on the demo scenario (search-ranker-v2, compressed)', () => {
  it('serves the experiment through OpenFeature, sends telemetry, and stops exposing within a second of the rollback', async () => {
    const random = rng(demo.seed)
    const start = rw.clock.now()
    const exposedUsers: string[] = []
    let rolledBackAt: number | null = null
    for (let k = 0; k < 36 && rolledBackAt === null; k++) {
      const t = start + k * TICK
      const users = Array.from({ length: ranker.traffic.unitsPerHour / 4 }, (_, i) => `u-${k}-${i}`)
      // The demo's traffic through the service, 25 requests at a time.
      for (let i = 0; i < users.length; i += 25) {
        await Promise.all(
          users.slice(i, i + 25).map(async (user) => {
            const answer = await search(user)
            if (!answer.variant) return
            expect(answer.reason).toBe('SPLIT')
            exposedUsers.push(user)
            for (const [metric, model] of Object.entries(ranker.metrics)) {
              if (model.type !== 'bernoulli') continue
              const p = model.base + activeEffect(ranker.effects[answer.variant]?.[metric], { elapsed: 0, step: 1 }).shift
              for (let e = 0; e < ranker.traffic.eventsPerUnit; e++) await post('/outcome', { user, metric, outcome: random() < p, ts: Math.floor(t + random() * TICK) })
            }
          }),
        )
      }
      await post('/flush', {})
      await rw.clock.advanceTo(t + TICK) // evaluation jobs run; the controller applies their verdicts
      if ((await rw.runtime.state.get('search-ranker-v2'))?.state === 'rolled_back') rolledBackAt = performance.now()
    }
    expect(rolledBackAt, 'the harmful ranker is rolled back').not.toBeNull()
    const ledger = (await (await fetch(`${rw.baseUrl}/v1/experiments/search-ranker-v2`)).json()) as { ledger: Array<{ to: string; reason: string }> }
    expect(ledger.ledger.at(-1)!.reason).toMatch(/error_rate/)
    // Every exposed user now gets the default ranker, reason DISABLED — within a second.
    const probe = exposedUsers.slice(-20)
    await waitFor(async () => (await Promise.all(probe.map(search))).every((a) => a.variant === null && a.reason === 'DISABLED' && a.ranker === 'control'), 1_000, 'the service to stop exposing')
    // Exposures and tagged telemetry reached the warehouse; nothing was dropped.
    const stats = (await (await fetch(`${serviceUrl}/stats`)).json()) as Record<string, Record<string, number>>
    expect(stats.exposures!.droppedBufferFull! + stats.exposures!.droppedSendFailed! + stats.telemetry!.droppedBufferFull! + stats.telemetry!.droppedSendFailed!).toBe(0)
    const rows = await rw.runtime.warehouse.select<{ metric: string; units: string }>(
      `SELECT metric, uniqExact(unit_id) AS units FROM events WHERE experiment_id = 'search-ranker-v2' AND service = 'search' GROUP BY metric ORDER BY metric`,
    )
    expect(Object.fromEntries(rows.map((r) => [r.metric, Number(r.units)]))).toEqual({ click_through: exposedUsers.length, error_rate: exposedUsers.length, exposure: exposedUsers.length })
  }, 300_000)
})
