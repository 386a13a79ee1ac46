import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUCKETS } from '../../src/domain/assignment.js'
import type { ExperimentRecord } from '../../src/domain/experiment-record.js'
import { effectivePriority, planSchedule } from '../../src/domain/schedule.js'
import { rng } from '../../src/sim/random.js'
import { type Embedded, specBody, startEmbedded } from '../support/embedded.js'

/**
 * Property-style scenario: random enqueue / schedule / pause / resume / complete /
 * cancel sequences over 20 experiments in 3 layers and 2 namespaces, on the real
 * queue and ledger. After every step: no layer is ever above 100% and no two
 * experiments of a layer share a bucket; each scheduling pass starts experiments
 * in (aged) priority order within a layer; every waiting experiment says why.
 */
let rt: Embedded
beforeAll(async () => {
  // The test drives scheduling itself; background jobs rarely fire as the clock jumps.
  rt = await startEmbedded({ config: { scheduleIntervalMs: 6 * 3_600_000, interferenceIntervalMs: 6 * 3_600_000, housekeeping: { intervalMs: 6 * 3_600_000, archiveAfterMs: 30 * 86_400_000 } } })
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

const HOLDS = new Set(['scheduled', 'running', 'paused'])
const layerOf = (r: ExperimentRecord) => `${r.spec.namespace}/${r.spec.layer}`

function checkLayers(records: ExperimentRecord[], where: string): void {
  const byLayer = new Map<string, Array<{ id: string; start: number; size: number }>>()
  for (const r of records) {
    if (!HOLDS.has(r.state)) continue
    expect(r.allocation, `${where}: ${r.spec.id} ${r.state} holds no range`).not.toBeNull()
    byLayer.set(layerOf(r), [...(byLayer.get(layerOf(r)) ?? []), { id: r.spec.id, ...r.allocation! }])
  }
  for (const [layer, ranges] of byLayer) {
    const total = ranges.reduce((s, a) => s + a.size, 0)
    expect(total, `${where}: layer ${layer} at ${total / 100}%`).toBeLessThanOrEqual(BUCKETS)
    const sorted = [...ranges].sort((a, b) => a.start - b.start)
    sorted.forEach((a, i) => {
      expect(a.start + a.size, `${where}: ${a.id} runs past the layer`).toBeLessThanOrEqual(BUCKETS)
      if (i > 0) expect(a.start, `${where}: ${sorted[i - 1]!.id} and ${a.id} overlap in ${layer}`).toBeGreaterThanOrEqual(sorted[i - 1]!.start + sorted[i - 1]!.size)
    })
  }
}

describe('queue scenario: 20 experiments, 3 layers, 2 namespaces', () => {
  it.each([1, 2, 3, 4, 5])('random sequence, seed %i: never overbooks, starts in priority order, explains every wait', async (seed) => {
    const random = rng(seed)
    const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(random() * xs.length)]
    const layers = [['ns-a', 'l1'], ['ns-a', 'l2'], ['ns-b', 'l1']] as const
    const queue = rt.runtime.queue
    const person = { type: 'person' as const, id: 'tester' }
    let created = 0
    for (let stepNo = 0; stepNo < 120; stepNo++) {
      const records = await queue.list()
      const mine = records.filter((r) => r.spec.id.startsWith(`s${seed}-`))
      const op = random()
      const where = `seed ${seed} step ${stepNo}`
      if (op < 0.3 && created < 20) {
        const [namespace, layer] = layers[created % 3]!
        await queue.enqueue(
          specBody({ id: `s${seed}-${created++}`, evaluation: { interval: '1d', staleAfter: '2d', minUnits: 20 }, namespace, layer: `${layer}-${seed}`, trafficShare: pick([10, 20, 30, 50, 70, 100])!, priority: Math.floor(random() * 200) }),
          person,
        )
      } else if (op < 0.55) {
        // Scheduling pass: what starts, starts in aged priority order within its layer.
        const before = await queue.list()
        const now = rt.clock.now()
        const started = new Set((await queue.scheduleTick()).filter((e) => e.to === 'running').map((e) => e.experimentId))
        const after = await queue.list()
        for (const id of started) {
          const s = before.find((r) => r.spec.id === id)!
          for (const q of after.filter((r) => r.state === 'queued' && layerOf(r) === layerOf(s))) {
            expect(effectivePriority(q, now), `${where}: ${q.spec.id} waits while lower ${id} started`).toBeLessThanOrEqual(effectivePriority(s, now) + 1e-9)
          }
        }
      } else if (op < 0.65) {
        const r = pick(mine.filter((x) => x.state === 'running'))
        if (r) await rt.runtime.actions.act(r.spec.id, 'pause', person, 'random pause')
      } else if (op < 0.72) {
        const r = pick(mine.filter((x) => x.state === 'paused'))
        if (r) await rt.runtime.actions.act(r.spec.id, 'resume', person, 'random resume')
      } else if (op < 0.85) {
        const r = pick(mine.filter((x) => x.state === 'running'))
        if (r) await queue.apply(r.spec.id, (x) => ({ request: { to: 'completed', actor: { type: 'verdict', id: 'v' }, reason: 'done', at: rt.clock.now() } }))
      } else if (op < 0.9) {
        const r = pick(mine.filter((x) => ['queued', 'running', 'paused'].includes(x.state)))
        if (r) await rt.runtime.actions.act(r.spec.id, 'cancel', person, 'random cancel')
      } else {
        await rt.clock.advanceTo(rt.clock.now() + Math.floor(random() * 6) * 3_600_000)
      }
      const now = await queue.list()
      checkLayers(now, where)
      const { waiting } = planSchedule(now, queue.scheduleOptions())
      for (const r of now.filter((x) => x.state === 'queued')) {
        const w = waiting.find((x) => x.experimentId === r.spec.id)
        // Either it waits with a reason, or it would start on the next pass.
        if (w) expect(w.reason.length, `${where}: ${r.spec.id}`).toBeGreaterThan(10)
      }
    }
    expect(created).toBeGreaterThanOrEqual(15)
  }, 120_000)
})
