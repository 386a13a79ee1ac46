import { Worker } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PolicyConfigSchema } from '../../src/domain/policy-config.js'
import { type Embedded, T0, getJson, specBody, startEmbedded } from '../support/embedded.js'

/**
 * Issue 10: with a long queue the scheduler must not take the API down. 2,000
 * experiments are enqueued through the queue service (the real enqueue: validation,
 * policy, state and ledger) of a real embedded server; then scheduling ticks run
 * back to back while a client on its own thread (its own event loop, as a probe in
 * another process) sends GET /healthz one after another. Every one must be answered.
 */
const QUEUED = 2_000
const PROBES = 40
const HOUR = 3_600_000
const policy = PolicyConfigSchema.parse({
  defaults: { quotas: { runningPerTeam: 8 } },
  namespaces: { frozen: { freezes: [{ name: 'release', start: new Date(T0 - HOUR).toISOString(), end: new Date(T0 + 24 * HOUR).toISOString() }] } },
  slos: { checkout: { metric: 'checkout_error', objective: 0.99 } },
})

/** Sends `count` GET requests one after another; each may take up to `timeoutMs`. */
const PROBE = `
const { parentPort, workerData } = require('node:worker_threads')
;(async () => {
  const statuses = []
  for (let i = 0; i < workerData.count; i++) {
    try {
      const res = await fetch(workerData.url, { signal: AbortSignal.timeout(workerData.timeoutMs) })
      await res.text()
      statuses.push(res.status)
    } catch (e) { statuses.push(String(e && e.name)) }
  }
  parentPort.postMessage(statuses)
})()
`

let rt: Embedded
beforeAll(async () => {
  rt = await startEmbedded({ config: { policy, scheduleIntervalMs: 3_600_000 } })
  const actor = { type: 'person' as const, id: 'bulk' }
  const specs = Array.from({ length: QUEUED }, (_, i) =>
    specBody({
      id: `scale-${i}`,
      namespace: i % 10 === 0 ? 'frozen' : 'web',
      layer: `layer-${i % 20}`,
      owner: `team-${i % 5}`,
      priority: i % 7,
      trafficShare: [5, 10, 25][i % 3],
      services: ['checkout'],
    }),
  )
  // Side by side in groups, so that ledger appends share the journal's group commits.
  for (let i = 0; i < specs.length; i += 50) {
    const outcomes = await Promise.all(specs.slice(i, i + 50).map((s) => rt.runtime.queue.enqueue(s, actor)))
    expect(outcomes.every((o) => o.accepted)).toBe(true)
  }
}, 600_000)
afterAll(async () => {
  await rt?.stop()
  rt?.cleanup()
})

describe('queue at scale', () => {
  it(`GET /healthz answers every request while ticks run over ${QUEUED} queued experiments`, async () => {
    const probe = new Worker(PROBE, { eval: true, workerData: { url: `${rt.baseUrl}/healthz`, count: PROBES, timeoutMs: 5_000 } })
    let done = false
    const statuses = new Promise<unknown[]>((resolve, reject) => {
      probe.once('message', (m) => {
        done = true
        resolve(m as unknown[])
      })
      probe.once('error', reject)
    })
    let ticks = 0
    let started = 0
    // Ticks back to back until every probe has its answer, and at least three of them.
    while (!done || ticks < 3) {
      started += (await rt.runtime.queue.scheduleTick()).filter((e) => e.to === 'running').length
      ticks++
    }
    const answers = await statuses
    await probe.terminate()
    expect(answers).toHaveLength(PROBES)
    expect(answers.filter((s) => s === 200)).toHaveLength(PROBES)
    expect(ticks).toBeGreaterThanOrEqual(3)

    // The ticks decided right: the team quota (8 per team, 5 teams) and the freeze held.
    const records = await rt.runtime.queue.list()
    const running = records.filter((r) => r.state === 'running')
    expect(running.length).toBe(started)
    expect(running.length).toBeLessThanOrEqual(40)
    expect(running.some((r) => r.spec.namespace === 'frozen')).toBe(false)
    for (let t = 0; t < 5; t++) expect(running.filter((r) => r.spec.owner === `team-${t}`).length).toBeLessThanOrEqual(8)
    const frozen = records.filter((r) => r.spec.namespace === 'frozen')
    expect(frozen.every((r) => r.state === 'queued' && r.blockedBy?.[0]?.rule === 'freeze-window')).toBe(true)
  }, 600_000)

  it('the queue view places every waiting experiment with its reason', async () => {
    const { status, body } = await getJson(rt.baseUrl, '/v1/queue')
    expect(status).toBe(200)
    const waiting = body.waiting as Array<{ experimentId: string; layer: string; position: number; reason: string }>
    const queued = (await rt.runtime.queue.list()).filter((r) => r.state === 'queued')
    expect(waiting.map((w) => w.experimentId).sort()).toEqual(queued.map((r) => r.spec.id).sort())
    // Places in each layer are 1..n with no gap.
    const byLayer = new Map<string, number[]>()
    for (const w of waiting) byLayer.set(w.layer, [...(byLayer.get(w.layer) ?? []), w.position])
    for (const positions of byLayer.values()) expect(positions.sort((a, b) => a - b)).toEqual(positions.map((_, i) => i + 1))
    const reasons = new Map(waiting.map((w) => [w.experimentId, w.reason]))
    expect(reasons.get('scale-0')).toMatch(/^policy: freeze-window/)
    expect(waiting.every((w) => /^(policy: |behind |layer )/.test(w.reason))).toBe(true)
  }, 120_000)
})
